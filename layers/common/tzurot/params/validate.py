"""One entry point per config kind, returning user-readable errors the /config command can show.

    result = validate_llm_config("anthropic", model="claude-sonnet-4-5", temperature=None,
                                 top_p=None, max_tokens=8000,
                                 advanced_parameters={"thinking": {"type": "enabled",
                                                                   "budgetTokens": 4000}})
    result.ok                 # True
    result.normalized         # what to store: canonical types, camelCase advanced keys
    result.notes              # what the provider will not send, and why
    result.message()          # errors as lines of "path: reason"

Every value may be None ("not set here": an override layer inherits it). Rules between the
universal columns and the advanced parameters (docs/parameters.md):
- Anthropic (API version 2026-10-21) takes no sampling parameters: temperature, top_p and topK
  are kept in the config but NOT SENT, and reported in `notes` (they may come from another
  layer the user cannot unset). Extended thinking: budgetTokens >= 1024 and below the
  effective max tokens (max_tokens, or 1024 when unset) is an ERROR otherwise.
- OpenAI: the limit goes out as max_completion_tokens (maxCompletionTokens, else max_tokens;
  max_tokens is deprecated); `seed` (deprecated) is not sent. Reasoning models (reasoningEffort
  set, or an o-series / GPT-5+ model) get neither temperature, top_p nor stop. All in `notes`.
- OpenRouter: typicalP and transforms are no longer in its ChatRequest: kept, not sent, noted.
"""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any

from pydantic import ConfigDict, Field, StringConstraints, ValidationError
from pydantic.alias_generators import to_camel

from tzurot.params.base import Params
from tzurot.params.image import IMAGE_PARAMS, OpenAIImageParams
from tzurot.params.llm import (
    ANTHROPIC_DEFAULT_MAX_TOKENS,
    LLM_PARAMS,
    TOKEN_ID_PATTERN,
    AnthropicAdvancedParams,
    OpenAIAdvancedParams,
    OpenRouterAdvancedParams,
    is_openai_reasoning_model,
)
from tzurot.params.voice import VoiceSettings

LLM_PROVIDERS = tuple(LLM_PARAMS)
IMAGE_PROVIDERS = tuple(IMAGE_PARAMS)
ADVANCED = "advanced_parameters"
MODEL_PATTERN = r"^[\w.:/@+\-]+$"
# What a pattern means, for the error message (a regex is no help to a user).
_PATTERN_REASONS = {
    MODEL_PATTERN: "may hold only letters, digits and _ . : / @ + -",
    TOKEN_ID_PATTERN: "must be a token id (digits only)",
}
_KEY_SHOWN = 40  # a longer unknown key is cut in messages (it is shown twice per line)


@dataclass(frozen=True)
class FieldError:
    """One problem (or, in `notes`, one remark): where it is and what is wrong, in plain words."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass(frozen=True)
class ValidationResult:
    ok: bool
    errors: list[FieldError] = field(default_factory=list)
    normalized: dict[str, Any] | None = None
    notes: list[FieldError] = field(default_factory=list)

    def message(self) -> str:
        """The errors, one per line, ready for an ephemeral Discord message."""
        return "\n".join(str(error) for error in self.errors)


class _Universal(Params):
    """The llm_configs columns; snake_case as in the database."""

    model_config = ConfigDict(alias_generator=None)

    model: (
        Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=MODEL_PATTERN)]
        | None
    ) = None
    temperature: Annotated[float, Field(ge=0, le=2)] | None = None
    top_p: Annotated[float, Field(ge=0, le=1)] | None = None
    max_tokens: Annotated[int, Field(ge=1, le=1_000_000)] | None = None


class _AnthropicUniversal(_Universal):
    temperature: Annotated[float, Field(ge=0, le=1)] | None = None  # Anthropic's range is 0..1


# --- turning pydantic errors into sentences -----------------------------------------------------


def _shown(key: Any) -> str:
    text = str(key)
    return text if len(text) <= _KEY_SHOWN else text[: _KEY_SHOWN - 1] + "…"


def _path(prefix: str, loc: tuple[Any, ...]) -> str:
    text = prefix
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text = f"{text}.{_shown(part)}" if text else _shown(part)
    return text


def _model_at(model: type[Params], loc: tuple[Any, ...]) -> type[Params] | None:
    """The schema class that validates the object at `loc` (to list its allowed keys)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        fields = {f.alias or name: f for name, f in current.model_fields.items()}
        if part not in fields:
            return None
        current = _inner_model(fields[part].annotation)
        if current is None:
            return None
    return current


def _inner_model(annotation: Any) -> type[Params] | None:
    if isinstance(annotation, type) and issubclass(annotation, Params):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, list, typing.Annotated):
        for arg in typing.get_args(annotation):
            found = _inner_model(arg)
            if found is not None:
                return found
    return None


def _suggest(key: str, allowed: list[str]) -> str | None:
    """A likely intended key: snake_case or case slips, a prefix, or a near spelling."""
    by_lower = {name.lower(): name for name in allowed}
    for candidate in (to_camel(key).lower(), key.lower(), key.replace("_", "").lower()):
        if candidate in by_lower:
            return by_lower[candidate]
    if len(key) >= 4:
        for name in allowed:
            if name.lower().startswith(key.lower()):
                return name
    close = difflib.get_close_matches(key.lower(), list(by_lower), n=1, cutoff=0.8)
    return by_lower[close[0]] if close else None


def _unknown_key(model: type[Params], loc: tuple[Any, ...], where: str) -> str:
    key = str(loc[-1])
    parent = _model_at(model, loc[:-1])
    allowed = [f.alias or name for name, f in parent.model_fields.items()] if parent else []
    reason = f"unknown key {_shown(key)!r} for {where}"
    suggestion = _suggest(key, allowed)
    if suggestion:
        reason += f" (did you mean {suggestion!r}?)"
    if allowed:
        reason += f"; allowed: {', '.join(sorted(allowed))}"
    return reason


_REASONS = {
    "missing": "is required",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "bool_type": "must be true or false",
    "string_type": "must be text",
    "list_type": "must be a list",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "finite_number": "must be a finite number",
}


def _num(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _reason(error: dict[str, Any], model: type[Params], where: str) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "extra_forbidden":
        return _unknown_key(model, error["loc"], where)
    if kind in _REASONS:
        return _REASONS[kind]
    if kind == "greater_than_equal":
        return f"must be at least {_num(ctx['ge'])}"
    if kind == "less_than_equal":
        return f"must be at most {_num(ctx['le'])}"
    if kind == "greater_than":
        return f"must be greater than {_num(ctx['gt'])}"
    if kind == "less_than":
        return f"must be less than {_num(ctx['lt'])}"
    if kind == "literal_error":
        return f"must be one of {ctx['expected']}"
    if kind == "too_long":
        return f"must have at most {ctx['max_length']} items"
    if kind == "string_too_long":
        return f"must be at most {ctx['max_length']} characters"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_pattern_mismatch":
        return _PATTERN_REASONS.get(ctx.get("pattern"), "has characters that are not allowed")
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return error["msg"]


def _check(
    model: type[Params], data: Any, prefix: str, where: str
) -> tuple[Params | None, list[FieldError]]:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return None, [FieldError(prefix or "value", "must be an object")]
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        return None, [
            _field_error(error, model, prefix, where)
            for error in exc.errors(include_url=False, include_input=False)
        ]


def _field_error(error: dict[str, Any], model: type[Params], prefix: str, where: str) -> FieldError:
    loc, reason = tuple(error["loc"]), _reason(error, model, where)
    if len(loc) >= 2 and loc[-1] == "[key]":
        # A bad key of a mapping (logitBias): pydantic says `logitBias.the.[key]`; name the
        # mapping and the key instead.
        return FieldError(_path(prefix, loc[:-2]), f"key {_shown(loc[-2])!r} {reason}")
    return FieldError(_path(prefix, loc), reason)


def _number(value: Any) -> Any:
    # numeric columns arrive as Decimal; bool is not a number here (strict models reject it).
    return float(value) if isinstance(value, Decimal) else value


def _unknown_provider(provider: Any, known: tuple[str, ...]) -> ValidationResult:
    return ValidationResult(
        ok=False,
        errors=[
            FieldError(
                "provider", f"unknown provider {provider!r}; expected one of {', '.join(known)}"
            )
        ],
    )


# --- entry points ---------------------------------------------------------------------------------


def validate_llm_config(
    provider: str,
    *,
    model: str | None = None,
    temperature: float | Decimal | None = None,
    top_p: float | Decimal | None = None,
    max_tokens: int | None = None,
    advanced_parameters: dict[str, Any] | None = None,
) -> ValidationResult:
    """Validate one LLM config layer for `provider` (openai, anthropic, google, openrouter)."""
    schema = LLM_PARAMS.get(provider)
    if schema is None:
        return _unknown_provider(provider, LLM_PROVIDERS)
    universal, errors = _check(
        _AnthropicUniversal if provider == "anthropic" else _Universal,
        {
            "model": model,
            "temperature": _number(temperature),
            "top_p": _number(top_p),
            "max_tokens": max_tokens,
        },
        "",
        provider,
    )
    advanced, advanced_errors = _check(schema, advanced_parameters, ADVANCED, provider)
    errors += advanced_errors
    if errors or universal is None or advanced is None:
        return ValidationResult(ok=False, errors=errors)
    notes: list[FieldError] = []
    if isinstance(advanced, AnthropicAdvancedParams):
        errors += _anthropic_thinking(advanced, universal, notes)
    elif isinstance(advanced, OpenAIAdvancedParams):
        _openai_not_sent(advanced, universal, notes)
    elif isinstance(advanced, OpenRouterAdvancedParams):
        _openrouter_not_sent(advanced, notes)
    if errors:
        return ValidationResult(ok=False, errors=errors, notes=notes)
    normalized = universal.model_dump() | {ADVANCED: advanced.dump()}
    return ValidationResult(ok=True, normalized=normalized, notes=notes)


def _anthropic_thinking(
    advanced: AnthropicAdvancedParams, universal: _Universal, notes: list[FieldError]
) -> list[FieldError]:
    off = "kept, not sent: Anthropic's current API (2026-10-21) takes no sampling parameters"
    if universal.temperature is not None:
        notes.append(FieldError("temperature", off))
    if universal.top_p is not None:
        notes.append(FieldError("top_p", off))
    if advanced.top_k is not None:
        notes.append(FieldError(f"{ADVANCED}.topK", off))
    if advanced.thinking is None or not advanced.thinking.enabled:
        return []
    limit = universal.max_tokens or ANTHROPIC_DEFAULT_MAX_TOKENS
    budget = advanced.thinking.budget_tokens
    if budget < limit:
        return []
    why = "max_tokens" if universal.max_tokens else f"max_tokens (default {limit} when unset)"
    return [
        FieldError(
            f"{ADVANCED}.thinking.budgetTokens",
            f"must be below {why}; raise max_tokens above {budget} or lower the budget",
        )
    ]


def _openai_not_sent(
    advanced: OpenAIAdvancedParams, universal: _Universal, notes: list[FieldError]
) -> None:
    if universal.max_tokens is not None:
        if advanced.max_completion_tokens is None:
            notes.append(
                FieldError(
                    "max_tokens", "sent as max_completion_tokens (OpenAI deprecated max_tokens)"
                )
            )
        else:
            notes.append(FieldError("max_tokens", "not sent; maxCompletionTokens applies"))
    if advanced.seed is not None:
        notes.append(
            FieldError(f"{ADVANCED}.seed", "kept, not sent: deprecated in OpenAI chat completions")
        )
    if not is_openai_reasoning_model(universal.model or "", advanced.dump()):
        return
    off = "not sent to a reasoning model (reasoningEffort, o-series, GPT-5 and later)"
    if universal.temperature is not None:
        notes.append(FieldError("temperature", off))
    if universal.top_p is not None:
        notes.append(FieldError("top_p", off))
    if advanced.stop:
        notes.append(FieldError(f"{ADVANCED}.stop", off))


def _openrouter_not_sent(advanced: OpenRouterAdvancedParams, notes: list[FieldError]) -> None:
    off = "kept, not sent: no longer in OpenRouter's chat request"
    if advanced.typical_p is not None:
        notes.append(FieldError(f"{ADVANCED}.typicalP", off))
    if advanced.transforms is not None:
        notes.append(FieldError(f"{ADVANCED}.transforms", off))


def validate_image_params(
    provider: str,
    advanced_parameters: dict[str, Any] | None = None,
    *,
    size: str | None = None,
    model: str | None = None,
) -> ValidationResult:
    """Validate image_configs settings for `provider` (openai, openrouter, google); `notes`
    name the stored settings the provider's current API does not take (`model` refines them)."""
    schema = IMAGE_PARAMS.get(provider)
    if schema is None:
        return _unknown_provider(provider, IMAGE_PROVIDERS)
    params, errors = _check(schema, advanced_parameters, ADVANCED, f"{provider} images")
    if size is not None and not _valid_size(size):
        errors.append(FieldError("size", "must be WIDTHxHEIGHT in pixels, e.g. 1024x1024"))
    if errors or params is None:
        return ValidationResult(ok=False, errors=errors)
    normalized: dict[str, Any] = {ADVANCED: params.dump()}
    if size is not None:
        normalized["size"] = size
    notes = _openai_image_notes(params, model) if isinstance(params, OpenAIImageParams) else []
    return ValidationResult(ok=True, normalized=normalized, notes=notes)


def _openai_image_notes(params: OpenAIImageParams, model: str | None) -> list[FieldError]:
    notes = []
    if params.style is not None:
        notes.append(
            FieldError(
                f"{ADVANCED}.style",
                "kept, not sent: only the retired DALL-E models had it; describe the style in "
                "the prompt (promptPrefix)",
            )
        )
    if params.quality in ("standard", "hd"):
        notes.append(
            FieldError(
                f"{ADVANCED}.quality",
                f"{params.quality!r} is kept, not sent: only the retired DALL-E models had it",
            )
        )
    elif params.quality in ("xhigh", "max") and model and not model.startswith("gpt-image-2.5-"):
        notes.append(
            FieldError(f"{ADVANCED}.quality", f"{params.quality!r} not sent: {model} lacks it")
        )
    return notes


def _valid_size(size: Any) -> bool:
    if not isinstance(size, str) or size.count("x") != 1:
        return False
    width, height = size.split("x")
    return all(part.isdigit() and 64 <= int(part) <= 4096 for part in (width, height))


def validate_voice_settings(settings: dict[str, Any] | None) -> ValidationResult:
    """Validate ElevenLabs voice settings: stability, similarity, style, frequency in [0, 1]."""
    if isinstance(settings, dict):
        settings = {key: _number(value) for key, value in settings.items()}
    voice, errors = _check(VoiceSettings, settings, "", "voice settings")
    if errors or voice is None:
        return ValidationResult(ok=False, errors=errors)
    return ValidationResult(ok=True, normalized=voice.dump())
