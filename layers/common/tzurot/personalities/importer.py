"""Import shapes.inc exports into the database (DATA.md, "shapes.inc export (import format)").

One run is one transaction: every file is read and validated, then checked against the others
and against the database, and only then written; any failure writes nothing. A personality is
matched by its slug (shapes.inc `username`, case-insensitively), so importing the same file
again updates it: the file's aliases replace the old ones, the voice config is upserted (or
removed when the file has no voice fields), and custom_fields becomes the file's leftovers.

Where each field lands:
- `name` → name and display_name; `username` → slug; `avatar` → avatar_url (migration 0004).
- `jailbreak` → a system_prompts row named after the slug, linked as the personality's prompt.
- `user_prompt` → character_info; `personality_traits|tone|age|appearance|likes|dislikes` → the
  columns of the same names; `personality_conversational_goals|examples` →
  conversational_goals|examples. `personality_history` has no column: custom_fields.
- `engine_model` → llm_configs.model with provider `openrouter` (shapes.inc models are OpenRouter
  slugs, kept unchanged); `engine_temperature|top_p` → temperature, top_p; `engine_top_k,
  frequency/presence/repetition_penalty, min_p, top_a` → advanced_parameters (`topK`,
  `frequencyPenalty`, `presencePenalty`, `repetitionPenalty`, `minP`, `topA`); `stm_window` →
  max_conversation_history; `ltm_threshold` → memory_score_threshold;
  `ltm_max_retrieved_summaries` → memory_limit. The config (named after the slug) is linked
  through personality_default_configs.
- `ltm_enabled`, `ltm_threshold`, `ltm_max_retrieved_summaries` → the personality's columns of
  the same names (migration 0009; long-term memory reads them, tzurot.memory).
- `error_message` → error_message; `birthday` → birthday (full date only) + birthday_month/day.
- `aliases` → personality_aliases; `voice_*` → voice_configs.
- `id` → custom_fields `shapes_id`; any other field → custom_fields under its own name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from tzurot.personalities.errors import ExportInvalid, ImportConflict, raise_all
from tzurot.personalities.shapes import ShapesExport, SourcedExport, read_all
from tzurot.personalities.writes import (
    DEFAULT,
    NAMES_LOCK_ID,
    image_columns,
    insert,
    link_llm_config,
    own_llm_config,
    update,
    upsert_by_personality,
)

PROVIDER = "openrouter"
# advanced_parameters keys an import owns; other keys an operator added are kept on re-import.
ADVANCED_PARAMETERS = {
    "engine_top_k": "topK",
    "engine_frequency_penalty": "frequencyPenalty",
    "engine_presence_penalty": "presencePenalty",
    "engine_repetition_penalty": "repetitionPenalty",
    "engine_min_p": "minP",
    "engine_top_a": "topA",
}
# shapes.inc field -> personalities column, for the text fields copied as they are.
CHARACTER_COLUMNS = {
    "user_prompt": "character_info",
    "personality_traits": "personality_traits",
    "personality_tone": "personality_tone",
    "personality_age": "personality_age",
    "personality_appearance": "personality_appearance",
    "personality_likes": "personality_likes",
    "personality_dislikes": "personality_dislikes",
    "personality_conversational_goals": "conversational_goals",
    "personality_conversational_examples": "conversational_examples",
    "error_message": "error_message",
}
# Known fields with no column of their own, kept in custom_fields (under these keys).
CUSTOM_FIELD_KEYS = {
    "id": "shapes_id",
    "personality_history": "personality_history",
}
# The long-term memory settings: personalities columns of the same names (migration 0009).
MEMORY_COLUMNS = ("ltm_enabled", "ltm_threshold", "ltm_max_retrieved_summaries")
VOICE_COLUMNS = {
    "voice_enabled": "enabled",
    "voice_id": "voice_id",
    "voice_model": "voice_model",
    "voice_stability": "stability",
    "voice_similarity": "similarity",
    "voice_style": "style",
    "voice_frequency": "frequency",
}


@dataclass(frozen=True)
class ImportedPersonality:
    source: str
    slug: str
    name: str
    id: UUID
    created: bool


@dataclass
class ImportResult:
    personalities: list[ImportedPersonality] = field(default_factory=list)

    @property
    def created(self) -> int:
        return sum(1 for p in self.personalities if p.created)

    @property
    def updated(self) -> int:
        return len(self.personalities) - self.created


# ------------------------------------------------------------------------------------------
# Mapping an export to column values


def personality_columns(export: ShapesExport, system_prompt_id: UUID) -> dict[str, Any]:
    born = export.birthday
    columns: dict[str, Any] = {
        "name": export.name,
        "display_name": (export.tzurot and export.tzurot.display_name) or export.name,
        "slug": export.username,
        "avatar_url": export.avatar,
        "system_prompt_id": system_prompt_id,
        "birthday": born.date if born else None,
        "birthday_month": born.month if born else None,
        "birthday_day": born.day if born else None,
        "custom_fields": Jsonb(custom_fields(export)),
    }
    for source, column in CHARACTER_COLUMNS.items():
        columns[column] = getattr(export, source)
    for column in MEMORY_COLUMNS:
        columns[column] = getattr(export, column)
    return columns


def custom_fields(export: ShapesExport) -> dict[str, Any]:
    kept = {
        key: getattr(export, source)
        for source, key in CUSTOM_FIELD_KEYS.items()
        if getattr(export, source) is not None
    }
    kept.update(export.extra_fields)
    return kept


def llm_columns(export: ShapesExport) -> dict[str, Any]:
    extension = export.tzurot
    columns = {
        "name": export.username,
        "description": f"LLM config of {export.name} (imported from shapes.inc)",
        "provider": extension.provider if extension else PROVIDER,
        "model": export.engine_model,
        "temperature": export.engine_temperature,
        "top_p": export.engine_top_p,
        "memory_score_threshold": export.ltm_threshold,
        "memory_limit": export.ltm_max_retrieved_summaries,
        "max_conversation_history": _or_default(export.stm_window),
    }
    if extension is not None:  # the whole config: what the file leaves out takes the default
        columns.update(
            vision_model=extension.vision_model,
            max_tokens=extension.max_tokens,
            max_referenced_messages=_or_default(extension.max_referenced_messages),
            context_window_tokens=_or_default(extension.context_window_tokens),
        )
    return columns


def voice_columns(export: ShapesExport) -> dict[str, Any] | None:
    """voice_configs values, or None when the file has no voice fields at all."""
    if all(getattr(export, source) is None for source in VOICE_COLUMNS):
        return None
    return {
        column: _or_default(getattr(export, source)) for source, column in VOICE_COLUMNS.items()
    }


def _or_default(value: Any) -> Any:
    return DEFAULT if value is None else value


# ------------------------------------------------------------------------------------------
# Conflict checks (before any write, so the message can name the file and field)


@dataclass
class _Known:
    """A personality as the checks see it: the database row or the file replacing it."""

    name: str
    slug: str
    aliases: tuple[str, ...]
    source: str | None = None  # the file, when it comes from this run
    owned: bool = False  # a user's own character (/character), which an import never replaces


def _snapshot(conn: psycopg.Connection) -> list[_Known]:
    rows = conn.execute(
        """SELECT p.name, p.slug,
                  ARRAY(SELECT a.alias FROM personality_aliases a WHERE a.personality_id = p.id),
                  p.owner_id IS NOT NULL
           FROM personalities p"""
    ).fetchall()
    return [_Known(name, slug, tuple(aliases), owned=owned) for name, slug, aliases, owned in rows]


def check_run(exports: list[SourcedExport], existing: list[_Known]) -> list[ImportConflict]:
    """Every clash within the run or with personalities not in it (none: an empty list)."""
    problems: list[ImportConflict] = []
    first_by_slug: dict[str, str] = {}
    owned = {k.slug.lower() for k in existing if k.owned}
    # a user's character keeps its name to itself (tzurot.personalities.characters)
    owned_names = {n.lower(): k.name for k in existing if k.owned for n in (k.name, k.slug)}
    for item in exports:
        for field_name, identity in (
            ("name", item.export.name),
            ("username", item.export.username),
        ):
            owner = owned_names.get(identity.lower())
            replacing = field_name == "username" and identity.lower() in owned  # said above
            if owner is not None and not replacing:
                problems.append(
                    ImportConflict(
                        item.source,
                        f'"{identity}" is the name of a user\'s own character ("{owner}")',
                        field_name,
                    )
                )
    for item in exports:
        slug = item.export.username.lower()
        if slug in first_by_slug:
            problems.append(
                ImportConflict(
                    item.source,
                    f'"{item.export.username}" is also imported by {first_by_slug[slug]}',
                    "username",
                )
            )
        elif slug in owned:
            problems.append(
                ImportConflict(
                    item.source,
                    f'"{item.export.username}" is the slug of a user\'s own character',
                    "username",
                )
            )
        first_by_slug.setdefault(slug, item.source)
    known = [k for k in existing if k.slug.lower() not in first_by_slug]
    known += [_Known(i.export.name, i.export.username, i.export.aliases, i.source) for i in exports]

    alias_owner: dict[str, _Known] = {}
    identity_owner: dict[str, _Known] = {}
    for person in known:
        for alias in person.aliases:
            alias_owner.setdefault(alias.lower(), person)
        for identity in (person.name, person.slug):
            identity_owner.setdefault(identity.lower(), person)

    def described(person: _Known) -> str:
        where = f" (from {person.source})" if person.source else ""
        return f'personality "{person.name}"{where}'

    for item in exports:
        mine = item.export.username.lower()
        for field_name, identity in (
            ("name", item.export.name),
            ("username", item.export.username),
        ):
            owner = alias_owner.get(identity.lower())
            if owner is not None and owner.slug.lower() != mine:
                problems.append(
                    ImportConflict(
                        item.source,
                        f'"{identity}" is already an alias of {described(owner)}',
                        field_name,
                    )
                )
        for alias in item.export.aliases:
            owner = alias_owner[alias.lower()]
            if owner.slug.lower() != mine:
                problems.append(
                    ImportConflict(
                        item.source,
                        f'alias "{alias}" already exists on {described(owner)}',
                        "aliases",
                    )
                )
                continue
            owner = identity_owner.get(alias.lower())
            if owner is not None and owner.slug.lower() != mine:
                problems.append(
                    ImportConflict(
                        item.source,
                        f'alias "{alias}" is the name or slug of {described(owner)}',
                        "aliases",
                    )
                )
    return problems


# ------------------------------------------------------------------------------------------
# Writes


def _write_system_prompt(conn: psycopg.Connection, export: ShapesExport) -> UUID:
    return conn.execute(
        """INSERT INTO system_prompts (name, description, content)
           VALUES (%s, %s, %s)
           ON CONFLICT (name) DO UPDATE
           SET content = EXCLUDED.content, description = EXCLUDED.description, updated_at = now()
           RETURNING id""",
        (
            export.username,
            f"System prompt of {export.name} (imported from shapes.inc)",
            export.jailbreak,
        ),
    ).fetchone()[0]


def _write_personality(conn: psycopg.Connection, export: ShapesExport, prompt_id: UUID):
    """Insert or update by slug (case-insensitive); returns (id, created)."""
    columns = personality_columns(export, prompt_id)
    row = conn.execute(
        "SELECT id FROM personalities WHERE lower(slug) = lower(%s) "
        "ORDER BY slug = %s DESC, created_at LIMIT 1",
        (export.username, export.username),
    ).fetchone()
    if row is None:
        return insert(conn, "personalities", columns), True
    update(conn, "personalities", row[0], columns)
    return row[0], False


def _write_llm_config(conn: psycopg.Connection, personality_id: UUID, export: ShapesExport):
    """Update the linked config in place when it is this personality's alone, else link a new one.

    A shared config (another personality's default, a user's config, a global or default one)
    is never changed by an import.
    """
    columns = llm_columns(export)
    params = Jsonb(export.advanced_parameters())
    own = own_llm_config(conn, personality_id)
    if own is not None:
        if export.tzurot is not None:  # the file holds every advanced parameter
            merge = sql.SQL(", advanced_parameters = {}").format(sql.Literal(params))
        else:
            merge = sql.SQL(
                ", advanced_parameters = (advanced_parameters - {}::text[]) || {}"
            ).format(sql.Literal(list(ADVANCED_PARAMETERS.values())), sql.Literal(params))
        update(conn, "llm_configs", own, columns, merge)
        return
    config_id = insert(conn, "llm_configs", {**columns, "advanced_parameters": params})
    link_llm_config(conn, personality_id, config_id)


def _write_voice(conn: psycopg.Connection, personality_id: UUID, export: ShapesExport) -> None:
    columns = voice_columns(export)
    if columns is None:
        conn.execute("DELETE FROM voice_configs WHERE personality_id = %s", (personality_id,))
        return
    upsert_by_personality(conn, "voice_configs", personality_id, columns)


def _write_image(conn: psycopg.Connection, personality_id: UUID, export: ShapesExport) -> None:
    """Set the image config when the file has one (shapes.inc files have none: kept as is)."""
    image = export.tzurot.image if export.tzurot else None
    if image is not None:
        upsert_by_personality(conn, "image_configs", personality_id, image_columns(image))


def _write_aliases(conn: psycopg.Connection, personality_id: UUID, export: ShapesExport) -> None:
    if export.aliases:
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO personality_aliases (alias, personality_id, position) "
                "VALUES (%s, %s, %s)",
                [(alias, personality_id, i) for i, alias in enumerate(export.aliases)],
            )


def _write(conn: psycopg.Connection, item: SourcedExport) -> ImportedPersonality:
    export = item.export
    prompt_id = _write_system_prompt(conn, export)
    personality_id, created = _write_personality(conn, export, prompt_id)
    _write_llm_config(conn, personality_id, export)
    _write_voice(conn, personality_id, export)
    _write_image(conn, personality_id, export)
    _write_aliases(conn, personality_id, export)
    return ImportedPersonality(item.source, export.username, export.name, personality_id, created)


def import_exports(
    conn: psycopg.Connection,
    exports: list[SourcedExport],
    problems: Iterable[ExportInvalid] = (),
) -> ImportResult:
    """Write validated exports in one transaction; any failure leaves the database as it was.
    `problems` (of files that did not validate) are reported with the conflicts of the others,
    all at once, and nothing is written."""
    result = ImportResult()
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (NAMES_LOCK_ID,))
        raise_all([*problems, *check_run(exports, _snapshot(conn))])
        # Old aliases go first, so a name or alias moving between personalities in this run
        # never trips the database's alias triggers halfway.
        conn.execute(
            "DELETE FROM personality_aliases a USING personalities p "
            "WHERE a.personality_id = p.id AND lower(p.slug) = ANY(%s)",
            ([item.export.username.lower() for item in exports],),
        )
        for item in exports:
            try:
                result.personalities.append(_write(conn, item))
            except (psycopg.errors.IntegrityError, psycopg.errors.DataError) as exc:
                # The checks above should have caught it; the database's words name the rule.
                problem = exc.diag.message_primary or type(exc).__name__
                raise ImportConflict(item.source, f"rejected by the database: {problem}") from None
    return result


def import_files(conn: psycopg.Connection, paths: Iterable[str | Path]) -> ImportResult:
    """Read, validate and import every file (a folder means its *.json files): all or nothing."""
    exports, problems = read_all(paths)
    return import_exports(conn, exports, problems)
