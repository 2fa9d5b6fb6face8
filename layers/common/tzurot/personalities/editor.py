"""An operator's edits of a personality (`tzurot personality edit|image`): every column of the
proposal, each value checked before anything is written, the LLM and image settings per provider
as /config checks them (tzurot.params.validate). All or nothing: one bad value and no row
changes; the problems come back together, one line each, naming the field.

Text values arrive as typed on the command line; an empty value clears an optional field.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from tzurot.errors import TzurotError
from tzurot.personalities import repository
from tzurot.personalities.model import SLUG_MAX_LENGTH, Personality
from tzurot.personalities.writes import (
    insert,
    link_llm_config,
    own_llm_config,
    update,
    upsert_by_personality,
)


class EditRejected(TzurotError):
    """One or more values are unusable; `problems` are `field: reason` lines."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class _Bad(ValueError):
    pass


# --- parsing one value ----------------------------------------------------------------------


def _text(limit: int | None = None, *, required: bool = False) -> Callable[[str], Any]:
    def parse(value: str) -> str | None:
        if not value.strip():
            if required:
                raise _Bad("must not be empty")
            return None
        if "\x00" in value:
            raise _Bad("must not contain NUL characters")
        if limit is not None and len(value) > limit:
            raise _Bad(f"must be at most {limit} characters")
        return value

    return parse


def _slug(value: str) -> str:
    value = value.strip()
    if not value or any(c.isspace() for c in value) or len(value) > SLUG_MAX_LENGTH:
        raise _Bad(f"must be a slug without spaces, at most {SLUG_MAX_LENGTH} characters")
    return value


def _url(value: str) -> str | None:
    if not value.strip():
        return None
    value = value.strip()
    if not value.lower().startswith(("http://", "https://")) or any(c.isspace() for c in value):
        raise _Bad("must be an http(s) URL")
    return value


def _number(low: float, high: float) -> Callable[[str], Any]:
    def parse(value: str) -> Decimal | None:
        if not value.strip():
            return None
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise _Bad(f"must be a number between {low} and {high}") from None
        if not number.is_finite() or not low <= number <= high:
            raise _Bad(f"must be a number between {low} and {high}")
        return number

    return parse


def _whole(low: int, high: int, *, required: bool = False) -> Callable[[str], Any]:
    def parse(value: str) -> int | None:
        if not value.strip() and not required:
            return None
        try:
            number = int(value.strip())
        except ValueError:
            raise _Bad(f"must be a whole number between {low} and {high}") from None
        if not low <= number <= high:
            raise _Bad(f"must be a whole number between {low} and {high}")
        return number

    return parse


def _birthday(value: str):
    from tzurot.personalities.shapes import parse_birthday

    if not value.strip():
        return None
    try:
        return parse_birthday(value.strip())
    except ValueError:
        raise _Bad("must be YYYY-MM-DD or MM-DD (a real calendar day)") from None


def _json_object(value: str) -> dict[str, Any]:
    if not value.strip():
        return {}
    try:
        data = json.loads(value)
    except json.JSONDecodeError as exc:
        raise _Bad(f"is not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise _Bad("must be a JSON object")
    return data


def _visibility(value: str) -> str:
    if value not in ("public", "private"):
        raise _Bad("must be public or private")
    return value


def _choice(*allowed: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if value not in allowed:
            raise _Bad(f"must be one of {', '.join(allowed)}")
        return value

    return parse


@dataclass(frozen=True)
class Field:
    """One editable value: the option that sets it, where it is stored, how it is read."""

    option: str  # CLI option without the dashes
    table: str  # personalities | system_prompts | custom_fields | llm_configs
    column: str
    parse: Callable[[str], Any]
    help: str


_TEXT = _text()
FIELDS: tuple[Field, ...] = (
    Field("name", "personalities", "name", _text(255, required=True), "name"),
    Field("display-name", "personalities", "display_name", _text(255), "name shown in replies"),
    Field("slug", "personalities", "slug", _slug, "unique slug (no spaces)"),
    Field("avatar", "personalities", "avatar_url", _url, "avatar URL (http or https)"),
    Field("system-prompt", "system_prompts", "content", _text(required=True), "system prompt"),
    Field("character-info", "personalities", "character_info", _TEXT, "background"),
    Field("history", "custom_fields", "personality_history", _TEXT, "history"),
    Field("traits", "personalities", "personality_traits", _TEXT, "personality traits"),
    Field("tone", "personalities", "personality_tone", _TEXT, "tone"),
    Field("age", "personalities", "personality_age", _TEXT, "age (free text)"),
    Field("appearance", "personalities", "personality_appearance", _TEXT, "appearance"),
    Field("likes", "personalities", "personality_likes", _TEXT, "likes"),
    Field("dislikes", "personalities", "personality_dislikes", _TEXT, "dislikes"),
    Field("goals", "personalities", "conversational_goals", _TEXT, "conversational goals"),
    Field("examples", "personalities", "conversational_examples", _TEXT, "example dialogue"),
    Field("error-message", "personalities", "error_message", _TEXT, "shown when a reply fails"),
    Field("birthday", "personalities", "birthday", _birthday, "YYYY-MM-DD or MM-DD"),
    Field("visibility", "personalities", "visibility", _visibility, "public or private"),
    Field(
        "provider",
        "llm_configs",
        "provider",
        _choice("openai", "anthropic", "google", "openrouter"),
        "LLM provider",
    ),
    Field("model", "llm_configs", "model", _text(100, required=True), "model name"),
    Field("vision-model", "llm_configs", "vision_model", _text(255), "model for images in chat"),
    Field("temperature", "llm_configs", "temperature", _number(0, 2), "0 to 2"),
    Field("top-p", "llm_configs", "top_p", _number(0, 1), "0 to 1"),
    Field("max-tokens", "llm_configs", "max_tokens", _whole(1, 1_000_000), "answer length"),
    Field("advanced", "llm_configs", "advanced_parameters", _json_object, "JSON object"),
    Field("memory-threshold", "llm_configs", "memory_score_threshold", _number(0, 1), "0 to 1"),
    Field("memory-limit", "llm_configs", "memory_limit", _whole(0, 2_147_483_647), "count"),
    Field(
        "max-conversation-history",
        "llm_configs",
        "max_conversation_history",
        _whole(0, 500, required=True),
        "0 to 500 messages",
    ),
    Field(
        "max-referenced-messages",
        "llm_configs",
        "max_referenced_messages",
        _whole(0, 100, required=True),
        "0 to 100 linked messages",
    ),
    Field(
        "context-window-tokens",
        "llm_configs",
        "context_window_tokens",
        _whole(1, 2_147_483_647, required=True),
        "tokens",
    ),
)
BY_OPTION = {f.option: f for f in FIELDS}


def parse_changes(raw: dict[str, str]) -> tuple[dict[Field, Any], list[str]]:
    """{option: text} -> the parsed values and a `field: reason` line per bad one."""
    changes: dict[Field, Any] = {}
    problems: list[str] = []
    for option, text in raw.items():
        field = BY_OPTION[option]
        try:
            changes[field] = field.parse(text)
        except _Bad as exc:
            problems.append(f"{option}: {exc}")
    return changes, problems


# --- the LLM config as it would be ----------------------------------------------------------


def _llm_after(p: Personality, llm_changes: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The config's columns after the changes, checked as /config checks them."""
    from tzurot.params.validate import validate_llm_config

    current = p.llm if p.llm is not None and not p.llm.inherited else None
    values: dict[str, Any] = {
        "provider": current.provider if current else None,
        "model": current.model if current else None,
        "vision_model": current.vision_model if current else None,
        "temperature": current.temperature if current else None,
        "top_p": current.top_p if current else None,
        "max_tokens": current.max_tokens if current else None,
        "advanced_parameters": dict(current.advanced_parameters) if current else {},
        "memory_score_threshold": current.memory_score_threshold if current else None,
        "memory_limit": current.memory_limit if current else None,
        "max_conversation_history": current.max_conversation_history if current else 50,
        "max_referenced_messages": current.max_referenced_messages if current else 10,
        "context_window_tokens": current.context_window_tokens if current else 131072,
    }
    switching = "provider" in llm_changes and llm_changes["provider"] != values["provider"]
    if switching and "advanced_parameters" not in llm_changes:
        values["advanced_parameters"] = {}  # they were another provider's
    values.update(llm_changes)
    values["provider"] = values["provider"] or "openrouter"
    if not values["model"]:
        return values, ["model: is required (the personality has no LLM config yet)"]
    result = validate_llm_config(
        values["provider"],
        model=values["model"],
        temperature=values["temperature"],
        top_p=values["top_p"],
        max_tokens=values["max_tokens"],
        advanced_parameters=values["advanced_parameters"],
    )
    if not result.ok:
        names = {"top_p": "top-p", "max_tokens": "max-tokens", "advanced_parameters": "advanced"}
        problems = []
        for error in result.errors:
            head, _, rest = error.path.partition(".")
            where = names.get(head, head) + (f".{rest}" if rest else "")
            problems.append(f"{where}: {error.reason}")
        return values, problems
    values["advanced_parameters"] = result.normalized["advanced_parameters"]
    return values, []


# --- writing ----------------------------------------------------------------------------------


def edit(conn: psycopg.Connection, name: str, raw: dict[str, str]) -> Personality:
    """Apply `raw` ({option: text}) to the personality `name`; all or nothing."""
    p = repository.resolve(conn, name)
    changes, problems = parse_changes(raw)
    by_table: dict[str, dict[str, Any]] = {}
    for field, value in changes.items():
        by_table.setdefault(field.table, {})[field.column] = value
    llm_values = None
    if "llm_configs" in by_table:
        llm_values, llm_problems = _llm_after(p, by_table["llm_configs"])
        problems += llm_problems
    personal = by_table.get("personalities", {})
    if personal.get("visibility") == "private" and p.owner_id is None:
        problems.append("visibility: only a user's own character can be private")
    if problems:
        raise EditRejected(problems)
    try:
        with conn.transaction():
            _write_personality(conn, p, personal, by_table.get("custom_fields", {}))
            if "system_prompts" in by_table:
                _write_prompt(conn, p, by_table["system_prompts"]["content"])
            if llm_values is not None:
                _write_llm(conn, p, llm_values)
    except (psycopg.errors.IntegrityError, psycopg.errors.DataError) as exc:
        raise EditRejected([_database_problem(exc)]) from None
    updated = repository.get_by_id(conn, p.id)
    assert updated is not None
    return updated


def _database_problem(exc: psycopg.Error) -> str:
    message = exc.diag.message_primary or type(exc).__name__
    if exc.diag.constraint_name == "personalities_slug_key":
        return "slug: another personality already has this slug"
    return f"rejected by the database: {message}"


def _write_personality(
    conn: psycopg.Connection, p: Personality, columns: dict[str, Any], custom: dict[str, Any]
) -> None:
    columns = dict(columns)
    if "birthday" in columns:
        born = columns.pop("birthday")
        columns.update(
            birthday=born.date if born else None,
            birthday_month=born.month if born else None,
            birthday_day=born.day if born else None,
        )
    if custom:
        kept = dict(p.custom_fields)
        for key, value in custom.items():
            if value is None:
                kept.pop(key, None)
            else:
                kept[key] = value
        columns["custom_fields"] = Jsonb(kept)
    if columns:
        update(conn, "personalities", p.id, columns)


def _write_prompt(conn: psycopg.Connection, p: Personality, content: str) -> None:
    """Change the prompt in place when only this personality uses it, else give it its own."""
    row = conn.execute(
        """SELECT s.id FROM personalities p JOIN system_prompts s ON s.id = p.system_prompt_id
           WHERE p.id = %(id)s AND NOT s.is_default
             AND NOT EXISTS (SELECT 1 FROM personalities o
                             WHERE o.system_prompt_id = s.id AND o.id <> %(id)s)""",
        {"id": p.id},
    ).fetchone()
    if row is not None:
        update(conn, "system_prompts", row[0], {"content": content})
        return
    taken = conn.execute("SELECT 1 FROM system_prompts WHERE name = %s", (p.slug,)).fetchone()
    name = f"{p.slug}-{p.id.hex[:8]}" if taken else p.slug
    prompt_id = insert(
        conn,
        "system_prompts",
        {"name": name, "description": f"System prompt of {p.name}", "content": content},
    )
    update(conn, "personalities", p.id, {"system_prompt_id": prompt_id})


def _write_llm(conn: psycopg.Connection, p: Personality, values: dict[str, Any]) -> None:
    columns = {**values, "advanced_parameters": Jsonb(values["advanced_parameters"])}
    own = own_llm_config(conn, p.id)
    if own is not None:
        update(conn, "llm_configs", own, columns)
        return
    config_id = insert(
        conn,
        "llm_configs",
        {"name": p.slug, "description": f"LLM config of {p.name}", **columns},
    )
    link_llm_config(conn, p.id, config_id)


# --- image config -----------------------------------------------------------------------------


def set_image(
    conn: psycopg.Connection,
    name: str,
    *,
    provider: str | None = None,
    model: str | None = None,
    size: str | None = None,
    advanced: str | None = None,
    enabled: bool | None = None,
) -> Personality:
    """Create or change the image config; checked per provider before anything is written."""
    from tzurot.params.validate import validate_image_params

    p = repository.resolve(conn, name)
    current = p.image
    problems: list[str] = []
    params: dict[str, Any] = dict(current.advanced_parameters) if current else {}
    if advanced is not None:
        try:
            params = _json_object(advanced)
        except _Bad as exc:
            problems.append(f"advanced: {exc}")
    chosen = provider or (current.provider if current else "openrouter")
    if current and provider and provider != current.provider and advanced is None:
        params = {}  # they were another provider's
    model = model if model is not None else (current.model if current else None)
    if not model or not model.strip():
        problems.append("model: is required (the personality has no image config yet)")
    elif len(model) > 100:
        problems.append("model: must be at most 100 characters")
    size = size or (current.default_size if current else "1024x1024")
    result = validate_image_params(chosen, params, size=size)
    names = {"advanced_parameters": "advanced"}
    for error in result.errors:
        head, _, rest = error.path.partition(".")
        problems.append(f"{names.get(head, head)}{'.' + rest if rest else ''}: {error.reason}")
    if problems:
        raise EditRejected(problems)
    columns = {
        "provider": chosen,
        "model": model.strip(),
        "default_size": size,
        "enabled": enabled if enabled is not None else (current.enabled if current else True),
        "advanced_parameters": Jsonb(result.normalized["advanced_parameters"]),
    }
    with conn.transaction():
        upsert_by_personality(conn, "image_configs", p.id, columns)
    updated = repository.get_by_id(conn, p.id)
    assert updated is not None
    return updated


def disable_image(conn: psycopg.Connection, name: str) -> Personality:
    p = repository.resolve(conn, name)
    if p.image is None:
        raise EditRejected([f"{p.slug} has no image config (set one with `image set`)"])
    conn.execute(
        "UPDATE image_configs SET enabled = false, updated_at = now() WHERE personality_id = %s",
        (p.id,),
    )
    updated = repository.get_by_id(conn, p.id)
    assert updated is not None
    return updated
