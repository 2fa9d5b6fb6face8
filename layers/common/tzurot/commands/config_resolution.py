"""The LLM config in effect for one user talking to one personality.

Layers, lowest first; each later layer overrides the fields it sets (NULL columns inherit):

1. the personality's default config (`personality_default_configs` -> `llm_configs`);
2. the user's legacy per-personality config (`user_personality_configs` -> a whole `llm_configs`
   row), which, when present, REPLACES layer 1 (it was a complete config in the old schema);
3. the user's default override (`user_config_overrides` with personality_id NULL);
4. the user's override for this personality (`user_config_overrides` with personality_id set).

Advanced parameters are provider-specific, so they merge key by key only while the provider
stays the same: a layer that switches provider drops the advanced parameters below it, and must
name a model too (a model name means nothing to another provider). The result is validated with
the security core's per-provider schemas (`tzurot.params.validate`); a config that fails tells
the user what to fix instead of reaching the provider.

Only layers 1-2 carry `max_conversation_history` and `max_referenced_messages`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from tzurot.errors import TzurotError

DEFAULT_HISTORY = 50
DEFAULT_REFERENCED = 10


class ConfigUnusable(TzurotError):
    """The effective config cannot be used; `problems` are user-readable (field: reason)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


class NoModel(ConfigUnusable):
    """No layer names a provider and model (guest mode, when configured, still can answer)."""


@dataclass(frozen=True)
class Layer:
    """One layer's values; None means "not set here, inherit"."""

    source: str  # personality | legacy | user-default | user-personality | guest
    provider: str | None = None
    model: str | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    advanced_parameters: dict[str, Any] | None = None
    max_conversation_history: int | None = None
    max_referenced_messages: int | None = None

    @classmethod
    def from_row(cls, source: str, row: dict[str, Any] | None) -> Layer | None:
        """A layer from a JSON row (numbers as text or numbers; absent keys are None)."""
        if not row:
            return None
        return cls(
            source=source,
            provider=row.get("provider"),
            model=row.get("model"),
            temperature=_float(row.get("temperature")),
            top_p=_float(row.get("top_p")),
            max_tokens=row.get("max_tokens"),
            advanced_parameters=row.get("advanced_parameters"),
            max_conversation_history=row.get("max_conversation_history"),
            max_referenced_messages=row.get("max_referenced_messages"),
        )

    @classmethod
    def from_llm_config(cls, config) -> Layer | None:
        """Layer 1 from the personality's `LlmConfig` (tzurot.personalities.model)."""
        if config is None:
            return None
        return cls(
            source="personality",
            provider=config.provider,
            model=config.model,
            temperature=_float(config.temperature),
            top_p=_float(config.top_p),
            max_tokens=config.max_tokens,
            advanced_parameters=dict(config.advanced_parameters or {}),
            max_conversation_history=config.max_conversation_history,
            max_referenced_messages=config.max_referenced_messages,
        )


@dataclass(frozen=True)
class EffectiveConfig:
    provider: str
    model: str
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    advanced_parameters: dict[str, Any] = field(default_factory=dict)
    max_conversation_history: int = DEFAULT_HISTORY
    max_referenced_messages: int = DEFAULT_REFERENCED
    # field -> the layer that set it, for `/config show` and for support
    sources: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class UserLayers:
    """The user's own layers (2-4) as loaded from the database."""

    legacy: Layer | None = None
    user_default: Layer | None = None
    user_personality: Layer | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> UserLayers:
        data = data or {}
        return cls(
            legacy=Layer.from_row("legacy", data.get("legacy")),
            user_default=Layer.from_row("user-default", data.get("user_default")),
            user_personality=Layer.from_row("user-personality", data.get("user_personality")),
        )


_UNIVERSAL = ("model", "temperature", "top_p", "max_tokens")
_MEMORY = ("max_conversation_history", "max_referenced_messages")


def merge(base: Layer | None, user: UserLayers) -> EffectiveConfig:
    """Apply the layers; ConfigUnusable when no provider/model results or a switch lacks one."""
    first = user.legacy or base
    values: dict[str, Any] = {"advanced_parameters": {}}
    sources: dict[str, str] = {}
    for layer in (first, user.user_default, user.user_personality):
        if layer is None:
            continue
        switching = layer.provider is not None and layer.provider != values.get("provider")
        if switching and "provider" in values:
            if layer.model is None:
                raise ConfigUnusable(
                    [
                        f"provider: your settings switch to {layer.provider} but keep the "
                        f"{values['provider']} model {values.get('model')!r}; choose a "
                        f"model for {layer.provider} with /config set-model"
                    ]
                )
            values["advanced_parameters"] = {}
            sources.pop("advanced_parameters", None)
        if layer.provider is not None:
            values["provider"] = layer.provider
            sources["provider"] = layer.source
        for name in _UNIVERSAL + (_MEMORY if layer is first else ()):
            value = getattr(layer, name)
            if value is not None:
                values[name] = value
                sources[name] = layer.source
        if layer.advanced_parameters:
            values["advanced_parameters"] = {
                **values["advanced_parameters"],
                **layer.advanced_parameters,
            }
            sources["advanced_parameters"] = layer.source
    if not values.get("provider") or not values.get("model"):
        raise NoModel(
            ["model: this personality has no model configured; choose one with /config set-model"]
        )
    return EffectiveConfig(**values, sources=sources)


def check(config: EffectiveConfig):
    """The provider's validation of `config` (a tzurot.params ValidationResult: errors, the
    normalized values, and `notes` on what is kept but not sent)."""
    from tzurot.params.validate import validate_llm_config

    return validate_llm_config(
        config.provider,
        model=config.model,
        temperature=config.temperature,
        top_p=config.top_p,
        max_tokens=config.max_tokens,
        advanced_parameters=dict(config.advanced_parameters),
    )


def validate(config: EffectiveConfig) -> EffectiveConfig:
    """Check `config` against the provider's schema; ConfigUnusable lists what is wrong."""
    result = check(config)
    if not result.ok:
        raise ConfigUnusable([f"{error.path}: {error.reason}" for error in result.errors])
    normalized = getattr(result, "normalized", None)
    if isinstance(normalized, dict) and isinstance(normalized.get("advanced_parameters"), dict):
        return replace(config, advanced_parameters=normalized["advanced_parameters"])
    return config


def effective_config(base: Layer | None, user: UserLayers) -> EffectiveConfig:
    """Merge the layers and validate the result (the function callers want)."""
    return validate(merge(base, user))


def guest_config(config: EffectiveConfig | None, provider: str, model: str) -> EffectiveConfig:
    """The operator's guest provider and model with the user's universal parameters (none when
    the personality has no config at all); advanced parameters only survive when the guest
    provider is the same provider."""
    if config is None:
        return EffectiveConfig(provider=provider, model=model, sources={"provider": "guest"})
    advanced = config.advanced_parameters if provider == config.provider else {}
    sources = {**config.sources, "provider": "guest", "model": "guest"}
    return replace(
        config, provider=provider, model=model, advanced_parameters=advanced, sources=sources
    )


def user_layers_sql(user_id_sql: str) -> str:
    """A scalar subquery: the user's layers 2-4 for the personality in the parameter
    `config_personality_id`, as JSON {"legacy", "user_default", "user_personality"} (null where
    absent). `user_id_sql` is the SQL expression of the user's uuid. Numbers travel as text so
    they stay exact."""
    override = """(SELECT jsonb_build_object(
            'provider', o.provider, 'model', o.model, 'temperature', o.temperature::text,
            'top_p', o.top_p::text, 'max_tokens', o.max_tokens,
            'advanced_parameters', o.advanced_parameters)
        FROM user_config_overrides o
        WHERE o.user_id = {uid} AND o.personality_id {match})"""
    return f"""(SELECT jsonb_build_object(
    'legacy', (SELECT jsonb_build_object(
            'provider', c.provider, 'model', c.model, 'temperature', c.temperature::text,
            'top_p', c.top_p::text, 'max_tokens', c.max_tokens,
            'advanced_parameters', c.advanced_parameters,
            'max_conversation_history', c.max_conversation_history,
            'max_referenced_messages', c.max_referenced_messages)
        FROM user_personality_configs u JOIN llm_configs c ON c.id = u.llm_config_id
        WHERE u.user_id = {user_id_sql} AND u.personality_id = %(config_personality_id)s),
    'user_default', {override.format(uid=user_id_sql, match="IS NULL")},
    'user_personality', {override.format(uid=user_id_sql, match="= %(config_personality_id)s")}
))"""


def load_user_layers(conn, user_id: str, personality_id: str | None) -> UserLayers:
    """The user's layers for one personality (one round trip); personality_id None: only the
    user's default layer (what /config edits without a personality)."""
    pid = str(personality_id) if personality_id is not None else None
    row = conn.execute(
        "SELECT " + user_layers_sql("%(config_user_id)s"),
        {"config_user_id": str(user_id), "config_personality_id": pid},
    ).fetchone()
    return UserLayers.from_json(row[0])


def _float(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, Decimal | int | float | str):
        return float(value)
    raise TypeError(f"not a number: {value!r}")
