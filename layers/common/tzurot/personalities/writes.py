"""Row writes shared by the importer, the operator's edits and users' characters: insert or
update a row from a column dict, the personality's own LLM config, and the one-per-personality
configs (voice, image). Every function runs on the caller's connection and transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

if TYPE_CHECKING:
    from tzurot.personalities.shapes import ImageFields


# Serializes everything that checks names before writing them (imports, users' characters):
# the checks read a snapshot that must not change before the writes.
NAMES_LOCK_ID = 7_305_117_002


class _Default:
    """Marks a column to be set to its database default (NOT NULL columns with defaults)."""


DEFAULT = _Default()


def _values(columns: dict[str, Any]) -> tuple[list[sql.Composable], list[Any]]:
    """Placeholders (or DEFAULT) and parameters for `columns`, in order."""
    marks: list[sql.Composable] = []
    params: list[Any] = []
    for value in columns.values():
        if value is DEFAULT:
            marks.append(sql.DEFAULT)
        else:
            marks.append(sql.Placeholder())
            params.append(value)
    return marks, params


def insert(conn: psycopg.Connection, table: str, columns: dict[str, Any]) -> UUID:
    marks, params = _values(columns)
    query = sql.SQL("INSERT INTO {} ({}) VALUES ({}) RETURNING id").format(
        sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, columns)),
        sql.SQL(", ").join(marks),
    )
    return conn.execute(query, params).fetchone()[0]


def update(
    conn: psycopg.Connection,
    table: str,
    row_id: UUID,
    columns: dict[str, Any],
    extra: sql.Composable | None = None,
) -> None:
    """UPDATE the given columns (and `extra`, more `, col = ...` assignments) of one row."""
    marks, params = _values(columns)
    assignments = [
        sql.SQL("{} = {}").format(sql.Identifier(column), mark)
        for column, mark in zip(columns, marks, strict=True)
    ]
    query = sql.SQL("UPDATE {} SET {}, updated_at = now(){} WHERE id = {}").format(
        sql.Identifier(table),
        sql.SQL(", ").join(assignments),
        extra or sql.SQL(""),
        sql.Placeholder(),
    )
    conn.execute(query, [*params, row_id])


def upsert_by_personality(
    conn: psycopg.Connection, table: str, personality_id: UUID, columns: dict[str, Any]
) -> None:
    """Insert or update the one row of `table` (voice_configs, image_configs) a personality has."""
    columns = {"personality_id": personality_id, **columns}
    marks, params = _values(columns)
    updates = [
        sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c))
        for c in columns
        if c != "personality_id"
    ]
    conn.execute(
        sql.SQL(
            "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT (personality_id) "
            "DO UPDATE SET {}, updated_at = now()"
        ).format(
            sql.Identifier(table),
            sql.SQL(", ").join(map(sql.Identifier, columns)),
            sql.SQL(", ").join(marks),
            sql.SQL(", ").join(updates),
        ),
        params,
    )


def own_llm_config(conn: psycopg.Connection, personality_id: UUID) -> UUID | None:
    """The personality's default LLM config when it is its alone (not shared with another
    personality or a user's config, not global or default), which may be changed in place."""
    row = conn.execute(
        """SELECT c.id FROM personality_default_configs d
           JOIN llm_configs c ON c.id = d.llm_config_id
           WHERE d.personality_id = %(id)s
             AND NOT c.is_global AND NOT c.is_default
             AND NOT EXISTS (SELECT 1 FROM personality_default_configs o
                             WHERE o.llm_config_id = c.id AND o.personality_id <> %(id)s)
             AND NOT EXISTS (SELECT 1 FROM user_personality_configs u
                             WHERE u.llm_config_id = c.id)""",
        {"id": personality_id},
    ).fetchone()
    return row[0] if row else None


def link_llm_config(conn: psycopg.Connection, personality_id: UUID, config_id: UUID) -> None:
    conn.execute(
        """INSERT INTO personality_default_configs (personality_id, llm_config_id)
           VALUES (%s, %s)
           ON CONFLICT (personality_id)
           DO UPDATE SET llm_config_id = EXCLUDED.llm_config_id, updated_at = now()""",
        (personality_id, config_id),
    )


def image_columns(image: ImageFields) -> dict[str, Any]:
    return {
        "provider": image.provider,
        "model": image.model,
        "enabled": image.enabled,
        "default_size": image.default_size,
        "advanced_parameters": Jsonb(image.advanced_parameters or {}),
    }
