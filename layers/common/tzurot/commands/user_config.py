"""/config show|set-model|set-param|edit-advanced|reset [personality]: a user's own LLM settings;
/config voice on|off [personality] (spoken replies) lives in tzurot.commands.voice_preference.

Settings live in `user_config_overrides`: one row per user for one personality, or with no
personality as the user's default for all of them. NULL columns inherit from the layer below
(tzurot.commands.config_resolution has the layers and the one merge /chat uses; `show` uses the
same merge, so what it shows is what /chat will do, with the layer each value comes from).

Every edit is checked before anything is written: for a personality, the config that would
result is validated with the provider's schema (tzurot.params); for the defaults, the default
layer itself is validated for its provider. An edit that fails shows field-level errors and
changes nothing. A provider switch clears the scope's advanced parameters: they are specific to
the provider they were written for.

`edit-advanced` arrives as a modal submit (the endpoint opens the form; see
tzurot.discord.modals): its text replaces the scope's advanced parameters, empty clears them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from tzurot.catalog.checks import model_refusal
from tzurot.commands import formatting as fmt
from tzurot.commands.account import AccountCall, Refusal, Reply, run
from tzurot.commands.config_resolution import (
    ConfigUnusable,
    EffectiveConfig,
    Layer,
    UserLayers,
    load_user_layers,
    merge,
    validate,
)
from tzurot.commands.config_resolution import check as check_config
from tzurot.commands.errors import provider_name
from tzurot.commands.voice_preference import set_voice
from tzurot.discord.definitions import PARAMETERS, TEXT_PROVIDERS
from tzurot.discord.modals import ADVANCED_FIELD
from tzurot.personalities.model import Personality
from tzurot.storable import storable_json

# Without a provider, the defaults' universal values are checked against the widest ranges any
# provider accepts: OpenRouter's (temperature 0-2, top_p 0-1).
WIDEST_PROVIDER = "openrouter"
MAX_JSON_SHOWN = 900

SOURCE_LABELS = {
    "personality": "personality default",
    "legacy": "your saved config",
    "user-default": "your default",
    "user-personality": "your setting for {personality}",
    "guest": "guest mode",
}
FIELDS = (
    ("provider", "provider"),
    ("model", "model"),
    ("temperature", "temperature"),
    ("top_p", "top_p"),
    ("max_tokens", "max_tokens"),
    ("advanced_parameters", "advanced parameters"),
)
PICK_HINT = "Start typing in the `model` option to see the models that can."
EDIT_HINT = (
    "Change with `/config set-model`, `/config set-param` or `/config edit-advanced`; "
    "undo with `/config reset`."
)


def handle(job, ctx) -> str:
    return run(job, ctx, _SUBCOMMANDS.get(job.subcommand or "", _unknown))


# --- where the settings apply -----------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """One personality, or (personality None) the user's defaults, with the layers loaded."""

    personality: Personality | None
    base: Layer | None  # the personality's own config (layers 1)
    layers: UserLayers  # the user's layers for it

    @property
    def personality_id(self) -> str | None:
        return str(self.personality.id) if self.personality else None

    @property
    def label(self) -> str:
        return self.personality.label if self.personality else "your defaults"

    @property
    def own(self) -> Layer | None:
        """The layer this scope's commands edit."""
        return self.layers.user_personality if self.personality else self.layers.user_default

    def with_own(self, layer: Layer | None) -> Scope:
        field = "user_personality" if self.personality else "user_default"
        return replace(self, layers=replace(self.layers, **{field: layer}))

    def empty_layer(self) -> Layer:
        return Layer(source="user-personality" if self.personality else "user-default")


def load_scope(call: AccountCall) -> Scope:
    name = call.option("personality")
    personality = call.personality(name) if name else None
    layers = load_user_layers(call.conn, call.user.id, str(personality.id) if personality else None)
    base = Layer.from_llm_config(personality.llm) if personality else None
    return Scope(personality, base, layers)


# --- show -------------------------------------------------------------------------------------


def show(call: AccountCall) -> Reply:
    scope = load_scope(call)
    text = render(scope)
    if scope.personality is None:
        others = _personalities_with_settings(call)
        if others:
            text += "\nYou also have settings for: " + ", ".join(others) + "."
    return Reply(text)


def render(scope: Scope) -> str:
    """What /config show prints for `scope` (also the tail of every successful edit)."""
    if scope.personality is None:
        return render_defaults(scope.own)
    try:
        config = merge(scope.base, scope.layers)
    except ConfigUnusable as exc:
        return (
            f"**Your settings for {scope.label}** can't be used:\n"
            + problem_lines(exc.problems)
            + "\n"
            + EDIT_HINT
        )
    lines = [f"**Your settings for {scope.label}**", render_effective(config, scope.label)]
    try:
        validate(config)
    except ConfigUnusable as exc:
        lines.append("These settings can't be used right now:\n" + problem_lines(exc.problems))
    else:
        notes = not_sent(config)
        if notes:
            lines.append(
                "Not sent as set, for this provider's current API:\n" + problem_lines(notes)
            )
    lines.append(EDIT_HINT)
    return "\n".join(lines)


def not_sent(config: EffectiveConfig) -> list[str]:
    """The validator's notes: settings kept in the config that the provider is not sent (or is
    sent in another form), as "path: why" lines."""
    return [str(note) for note in check_config(config).notes]


def render_effective(config: EffectiveConfig, personality: str) -> str:
    """One bullet per setting: its value and the layer it comes from."""
    lines = []
    for field, label in FIELDS:
        value = getattr(config, field)
        if field == "advanced_parameters" and not value:
            value = None
        source = source_label(config.sources.get(field), personality)
        if value is None:
            lines.append(f"{label}: not set (the provider's default)")
        else:
            lines.append(f"{label}: {value_text(value)} ({source})")
    memory_source = source_label(config.sources.get("max_conversation_history"), personality)
    lines.append(
        f"history: {config.max_conversation_history} messages, referenced messages: "
        f"{config.max_referenced_messages} ({memory_source})"
    )
    return fmt.bullets(lines)


def render_defaults(layer: Layer | None) -> str:
    values = [(label, getattr(layer, field)) for field, label in FIELDS] if layer else []
    values = [(label, value) for label, value in values if value not in (None, {})]
    if not values:
        return (
            "**Your defaults**\nYou have no defaults of your own: every personality uses its "
            "own settings.\n" + EDIT_HINT
        )
    return (
        "**Your defaults** (for every personality, under any setting you make for one)\n"
        + fmt.bullets(f"{label}: {value_text(value)}" for label, value in values)
        + "\nEverything else comes from each personality.\n"
        + EDIT_HINT
    )


def source_label(source: str | None, personality: str) -> str:
    """Where a value comes from, in words ("your default", "your setting for Lilith", ...)."""
    if source is None:
        return "provider default"
    return SOURCE_LABELS.get(source, source).format(personality=personality)


def value_text(value: Any) -> str:
    if isinstance(value, dict):
        return fmt.inline_code(fmt.clip(json.dumps(value, separators=(", ", ": ")), MAX_JSON_SHOWN))
    if isinstance(value, float):
        return fmt.inline_code(f"{value:g}")
    return fmt.inline_code(str(value))


def problem_lines(problems: list[str]) -> str:
    """Field-level problems ("path: reason") as bullets with the path in code."""
    lines = []
    for problem in problems:
        path, sep, reason = problem.partition(": ")
        lines.append(f"{fmt.inline_code(path)}: {reason}" if sep else problem)
    return fmt.bullets(lines)


def _personalities_with_settings(call: AccountCall) -> list[str]:
    rows = call.conn.execute(
        """SELECT coalesce(p.display_name, p.name) FROM user_config_overrides o
        JOIN personalities p ON p.id = o.personality_id
        WHERE o.user_id = %s ORDER BY lower(coalesce(p.display_name, p.name))""",
        (call.user.id,),
    ).fetchall()
    return [row[0] for row in rows]


# --- edits ------------------------------------------------------------------------------------


def set_model(call: AccountCall) -> Reply:
    provider, model = call.option("provider"), call.option("model")
    if provider not in TEXT_PROVIDERS:
        raise Refusal("Please pick a provider from the list.")
    if model is None:
        raise Refusal("Please give a model name, e.g. `gpt-4o-mini`.")
    refusal = model_refusal(call.conn, provider, model, "text", call.ctx.now().date())
    if refusal:
        raise Refusal(f"Nothing was changed: {refusal}, so it can't be used for chat. {PICK_HINT}")
    scope = load_scope(call)
    current = scope.own or scope.empty_layer()
    layer = replace(current, provider=provider, model=model)
    note = ""
    previous = _provider_of(scope)
    if current.advanced_parameters and previous != provider:
        layer = replace(layer, advanced_parameters=None)
        written_for = provider_name(previous) if previous else "another provider"
        note = f" Your advanced parameters were for {written_for}, so they were cleared."
    done = f"Saved: {provider_name(provider)} model {fmt.inline_code(model)} for {scope.label}."
    return save(call, scope, layer, done + note)


def set_param(call: AccountCall) -> Reply:
    name = call.option("name")
    raw = call.job.options.get("value")
    if name not in PARAMETERS:
        raise Refusal("Please pick a parameter from the list.")
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise Refusal(f"Please give a number for {fmt.inline_code(name)}.")
    value: int | float = float(raw)
    if name == "max_tokens" and value.is_integer():
        value = int(value)  # a whole number; 800.5 stays a float and fails validation
    scope = load_scope(call)
    layer = replace(scope.own or scope.empty_layer(), **{name: value})
    done = f"Saved: {name} = {value_text(value)} for {scope.label}."
    return save(call, scope, layer, done)


def edit_advanced(call: AccountCall) -> Reply:
    if call.job.source != "modal":
        raise Refusal("Please use the form that `/config edit-advanced` opens.")
    text = str(call.job.options.get(ADVANCED_FIELD) or "").strip()
    advanced = parse_advanced(text) if text else None
    scope = load_scope(call)
    layer = replace(scope.own or scope.empty_layer(), advanced_parameters=advanced)
    done = (
        f"Saved: advanced parameters for {scope.label}."
        if advanced
        else f"Cleared your advanced parameters for {scope.label}."
    )
    return save(call, scope, layer, done)


def reset(call: AccountCall) -> Reply:
    scope = load_scope(call)
    if not delete_layer(call, scope):
        return Reply(f"You have no settings of your own for {scope.label}; nothing to reset.")
    done = f"Removed your settings for {scope.label}."
    return Reply(done + "\n" + render(scope.with_own(None)))


MAX_ADVANCED_DEPTH = 20  # the deepest real parameter (reasoning, provider routing) is 3


def parse_advanced(text: str) -> dict[str, Any]:
    """The modal's JSON as an object; a Refusal with the field-level error otherwise."""

    def no_constants(name: str):
        raise ValueError(f"{name} is not allowed")

    if nesting_depth(text) > MAX_ADVANCED_DEPTH:
        problem = f"nested more than {MAX_ADVANCED_DEPTH} levels deep"
        raise Refusal(invalid_reply([f"{ADVANCED_FIELD}: {problem}"]))
    try:
        value = json.loads(text, parse_constant=no_constants)
    except json.JSONDecodeError as exc:
        problem = f"not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        raise Refusal(invalid_reply([f"{ADVANCED_FIELD}: {problem}"])) from None
    except ValueError as exc:
        raise Refusal(invalid_reply([f"{ADVANCED_FIELD}: {exc}"])) from None
    if not isinstance(value, dict):
        raise Refusal(
            invalid_reply([f'{ADVANCED_FIELD}: must be a JSON object, e.g. {{"topK": 40}}'])
        )
    return storable_json(value)  # "\u0000" and lone surrogates cannot go into jsonb


def nesting_depth(text: str) -> int:
    """How deep `{` and `[` nest outside JSON strings: checked before parsing, so a form of
    thousands of brackets gets a clear refusal instead of a RecursionError."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "}]":
            depth -= 1
    return deepest


def invalid_reply(problems: list[str]) -> str:
    return "Nothing was changed; these settings would not work:\n" + problem_lines(problems)


def check(scope: Scope, layer: Layer) -> list[str]:
    """What is wrong with `scope` once `layer` is its own layer (empty: fine)."""
    from tzurot.params.validate import validate_llm_config

    if scope.personality is not None:
        try:
            validate(merge(scope.base, scope.with_own(layer).layers))
        except ConfigUnusable as exc:
            return exc.problems
        return []
    if layer.advanced_parameters and layer.provider is None:
        return [
            f"{ADVANCED_FIELD}: your defaults name no provider, and advanced parameters differ "
            "per provider; choose one with `/config set-model` first"
        ]
    result = validate_llm_config(
        layer.provider or WIDEST_PROVIDER,
        model=layer.model,
        temperature=layer.temperature,
        top_p=layer.top_p,
        max_tokens=layer.max_tokens,
        advanced_parameters=layer.advanced_parameters,
    )
    return [str(error) for error in result.errors]


def save(call: AccountCall, scope: Scope, layer: Layer, done: str) -> Reply:
    """Validate, then write `layer` as the scope's own (or delete it when nothing is left)."""
    problems = check(scope, layer)
    if problems:
        raise Refusal(invalid_reply(problems))
    write_layer(call, scope, layer)
    return Reply(done + "\n" + render(scope.with_own(layer)))


_UPSERT = """INSERT INTO user_config_overrides
    (user_id, personality_id, provider, model, temperature, top_p, max_tokens,
     advanced_parameters)
VALUES (%(user_id)s, %(personality_id)s, %(provider)s, %(model)s, %(temperature)s, %(top_p)s,
        %(max_tokens)s, %(advanced)s)
ON CONFLICT (user_id, personality_id) DO UPDATE SET
    provider = EXCLUDED.provider, model = EXCLUDED.model, temperature = EXCLUDED.temperature,
    top_p = EXCLUDED.top_p, max_tokens = EXCLUDED.max_tokens,
    advanced_parameters = EXCLUDED.advanced_parameters, updated_at = now()"""


def write_layer(call: AccountCall, scope: Scope, layer: Layer) -> None:
    from psycopg.types.json import Jsonb

    values = {
        "provider": layer.provider,
        "model": layer.model,
        "temperature": layer.temperature,
        "top_p": layer.top_p,
        "max_tokens": layer.max_tokens,
        "advanced": Jsonb(layer.advanced_parameters) if layer.advanced_parameters else None,
    }
    if all(value is None for value in values.values()):
        delete_layer(call, scope)
    else:
        call.conn.execute(
            _UPSERT, {"user_id": call.user.id, "personality_id": scope.personality_id, **values}
        )


def delete_layer(call: AccountCall, scope: Scope) -> bool:
    """Remove the scope's own layer; True when there was one."""
    cursor = call.conn.execute(
        "DELETE FROM user_config_overrides WHERE user_id = %s"
        " AND personality_id IS NOT DISTINCT FROM %s",
        (call.user.id, scope.personality_id),
    )
    return cursor.rowcount > 0


def _provider_of(scope: Scope) -> str | None:
    """The provider the scope's own advanced parameters were written for."""
    own = scope.own
    if own is not None and own.provider:
        return own.provider
    if scope.personality is None:
        return None
    try:
        return merge(scope.base, scope.layers).provider
    except ConfigUnusable:
        return None


def _unknown(call: AccountCall) -> Reply:
    raise Refusal("Sorry, I don't know that `/config` command. Try `/help`.")


_SUBCOMMANDS = {
    "show": show,
    "set-model": set_model,
    "set-param": set_param,
    "edit-advanced": edit_advanced,
    "reset": reset,
    "voice": set_voice,
}
