"""Personality queries (psycopg 3): load, resolve a name, list, delete, aliases, autocomplete.

Import-light on purpose (psycopg and the standard library only): the interactions Lambda
imports this module for autocomplete on its cold-start clock.

Every function takes an open connection, autocommit or not; the ones that write several rows
wrap them in `conn.transaction()` (a savepoint when the caller already has a transaction open).
"""

from __future__ import annotations

import difflib
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

from tzurot.personalities.errors import (
    AliasCollision,
    AliasError,
    AliasNotFound,
    AliasTaken,
    InvalidAlias,
    PersonalityNotFound,
)
from tzurot.personalities.model import (
    Birthday,
    CharacterSheet,
    ImageConfig,
    LlmConfig,
    LongTermMemory,
    Personality,
    VoiceConfig,
)

ALIAS_MAX_LENGTH = 50  # personality_aliases.alias is varchar(50)
DISCORD_MAX_CHOICES = 25  # an autocomplete answer holds at most 25 choices
DISCORD_CHOICE_MAX_LENGTH = 100  # a choice's name and value are at most 100 characters
SUGGESTION_COUNT = 3

# One row per personality with its prompt, aliases and configs folded in, so any lookup is a
# single round trip. Numeric columns travel as text inside JSON to stay exact Decimals.
_SELECT = """
SELECT p.id, p.name, p.slug, p.display_name, p.avatar_url,
       sp.content AS system_prompt, sp.name AS system_prompt_name,
       p.character_info, p.personality_traits, p.personality_tone, p.personality_age,
       p.personality_appearance, p.personality_likes, p.personality_dislikes,
       p.conversational_goals, p.conversational_examples,
       p.error_message, p.birthday, p.birthday_month, p.birthday_day,
       coalesce(p.custom_fields, '{}'::jsonb) AS custom_fields,
       p.ltm_enabled, p.ltm_threshold, p.ltm_max_retrieved_summaries,
       ARRAY(SELECT a.alias FROM personality_aliases a WHERE a.personality_id = p.id
             ORDER BY a.position, a.created_at, lower(a.alias)) AS aliases,
       (SELECT jsonb_build_object(
                   'enabled', v.enabled, 'voice_id', v.voice_id, 'model', v.voice_model,
                   'stability', v.stability::text, 'similarity', v.similarity::text,
                   'style', v.style::text, 'frequency', v.frequency::text)
        FROM voice_configs v WHERE v.personality_id = p.id) AS voice,
       (SELECT jsonb_build_object(
                   'provider', i.provider, 'model', i.model, 'enabled', i.enabled,
                   'default_size', i.default_size, 'advanced_parameters', i.advanced_parameters)
        FROM image_configs i WHERE i.personality_id = p.id) AS image,
       (SELECT jsonb_build_object(
                   'id', c.id, 'name', c.name, 'provider', c.provider, 'model', c.model,
                   'vision_model', c.vision_model, 'temperature', c.temperature::text,
                   'top_p', c.top_p::text, 'max_tokens', c.max_tokens,
                   'memory_score_threshold', c.memory_score_threshold::text,
                   'memory_limit', c.memory_limit,
                   'max_conversation_history', c.max_conversation_history,
                   'max_referenced_messages', c.max_referenced_messages,
                   'context_window_tokens', c.context_window_tokens,
                   'advanced_parameters', c.advanced_parameters)
        FROM personality_default_configs d JOIN llm_configs c ON c.id = d.llm_config_id
        WHERE d.personality_id = p.id) AS llm,
       -- a user character without a config of its own uses its owner's /config defaults
       (SELECT jsonb_build_object(
                   'id', o.id, 'name', 'defaults of its owner', 'provider', o.provider,
                   'model', o.model, 'temperature', o.temperature::text,
                   'top_p', o.top_p::text, 'max_tokens', o.max_tokens,
                   'advanced_parameters', coalesce(o.advanced_parameters, '{}'::jsonb),
                   'inherited', true)
        FROM user_config_overrides o
        WHERE o.user_id = p.owner_id AND o.personality_id IS NULL) AS owner_llm,
       p.owner_id, p.visibility, ou.discord_id AS owner_discord_id, ou.username AS owner_name,
       p.created_at, p.updated_at
FROM personalities p
LEFT JOIN system_prompts sp ON sp.id = p.system_prompt_id
LEFT JOIN users ou ON ou.id = p.owner_id
"""

# Who may see personality `p`: everyone when it is public, its owner when it is private.
# %(viewer)s is the Discord id of whoever asks; NULL (the operator's CLI) sees every one.
VISIBLE_SQL = """(p.visibility = 'public' OR %(viewer)s::text IS NULL
    OR p.owner_id = (SELECT v.id FROM users v WHERE v.discord_id = %(viewer)s))"""

# The best match for a text among the personalities %(viewer)s may see: slug, then name or
# display name, then alias (oldest first on ties, since names are not unique). Public: the
# interactions endpoint embeds it as a subquery to find the same personality the worker will
# (tzurot.discord.prefill).
MATCH_SQL = f"""
SELECT m.id FROM (
    SELECT p.id, 0 AS rank, p.created_at FROM personalities p
    WHERE lower(p.slug) = lower(%(text)s)
    UNION ALL
    SELECT p.id, 1, p.created_at FROM personalities p
    WHERE lower(p.name) = lower(%(text)s) OR lower(p.display_name) = lower(%(text)s)
    UNION ALL
    SELECT a.personality_id, 2, p.created_at
    FROM personality_aliases a JOIN personalities p ON p.id = a.personality_id
    WHERE lower(a.alias) = lower(%(text)s)
) m JOIN personalities p ON p.id = m.id
WHERE {VISIBLE_SQL}
ORDER BY m.rank, m.created_at, m.id
LIMIT 1
"""

# Every name, slug and alias of the personalities %(viewer)s may see, once each, for
# suggestions and autocomplete; `owner` names the owner of a public user character (to mark it).
_TERMS = f"""
SELECT p.id, p.name, p.slug, t.term, t.kind,
       CASE WHEN p.owner_id IS NOT NULL AND p.visibility = 'public'
            THEN (SELECT o.username FROM users o WHERE o.id = p.owner_id) END AS owner
FROM personalities p
CROSS JOIN LATERAL (
    SELECT p.name AS term, 0 AS kind
    UNION ALL SELECT p.slug, 1
    UNION ALL SELECT a.alias, 2 FROM personality_aliases a WHERE a.personality_id = p.id
) t
WHERE {VISIBLE_SQL}
"""

# Per personality its best matching term (prefix before substring; name, slug, alias in that
# order), then prefix hits before substring hits, alphabetically. strpos(x, '') is 1, so an
# empty query lists everyone.
_AUTOCOMPLETE = f"""
WITH hits AS (
    SELECT DISTINCT ON (t.id) t.name, t.slug, t.term, t.kind, t.owner,
           CASE WHEN strpos(lower(t.term), lower(%(query)s)) = 1 THEN 0 ELSE 1 END AS rank
    FROM ({_TERMS}) t
    WHERE strpos(lower(t.term), lower(%(query)s)) > 0
    ORDER BY t.id, rank, t.kind, lower(t.term)
)
SELECT name, slug, term, kind, owner FROM hits
ORDER BY rank, lower(CASE WHEN kind = 2 THEN term ELSE name END), slug
LIMIT %(limit)s
"""


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


def _voice(data: dict | None) -> VoiceConfig | None:
    if data is None:
        return None
    return VoiceConfig(
        enabled=data["enabled"],
        voice_id=data["voice_id"],
        model=data["model"],
        stability=Decimal(data["stability"]),
        similarity=Decimal(data["similarity"]),
        style=Decimal(data["style"]),
        frequency=Decimal(data["frequency"]),
    )


def _image(data: dict | None) -> ImageConfig | None:
    return None if data is None else ImageConfig(**data)


def _llm(data: dict | None) -> LlmConfig | None:
    if data is None:
        return None
    decimals = ("temperature", "top_p", "memory_score_threshold")
    values = {k: (_decimal(v) if k in decimals else v) for k, v in data.items()}
    values["id"] = UUID(values["id"])
    return LlmConfig(**values)


def _birthday(row: dict) -> Birthday | None:
    if row["birthday_month"] is None:
        return None
    born: date | None = row["birthday"]
    return Birthday(row["birthday_month"], row["birthday_day"], born.year if born else None)


def _personality(row: dict) -> Personality:
    return Personality(
        id=row["id"],
        name=row["name"],
        slug=row["slug"],
        display_name=row["display_name"],
        avatar_url=row["avatar_url"],
        system_prompt=row["system_prompt"],
        system_prompt_name=row["system_prompt_name"],
        character=CharacterSheet(
            character_info=row["character_info"],
            traits=row["personality_traits"],
            tone=row["personality_tone"],
            age=row["personality_age"],
            appearance=row["personality_appearance"],
            likes=row["personality_likes"],
            dislikes=row["personality_dislikes"],
            conversational_goals=row["conversational_goals"],
            conversational_examples=row["conversational_examples"],
        ),
        error_message=row["error_message"],
        birthday=_birthday(row),
        aliases=tuple(row["aliases"]),
        custom_fields=row["custom_fields"],
        voice=_voice(row["voice"]),
        image=_image(row["image"]),
        llm=_llm(row["llm"] or row["owner_llm"]),
        owner_id=row["owner_id"],
        owner_discord_id=row["owner_discord_id"],
        owner_name=row["owner_name"],
        visibility=row["visibility"],
        ltm=LongTermMemory(
            row["ltm_enabled"], row["ltm_threshold"], row["ltm_max_retrieved_summaries"]
        ),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def select_where(conn: psycopg.Connection, where: str, params: dict) -> list[Personality]:
    """Personalities matching a clause over `p` (personalities) and `ou` (its owner's users
    row), whole, in one round trip."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(_SELECT + where, params)
        return [_personality(row) for row in cur.fetchall()]


def get_by_id(conn: psycopg.Connection, personality_id: UUID | str) -> Personality | None:
    found = select_where(conn, "WHERE p.id = %(id)s", {"id": personality_id})
    return found[0] if found else None


def find(
    conn: psycopg.Connection, name_or_alias: str, viewer: str | None = None
) -> Personality | None:
    """The personality with this slug, name or alias (case-insensitive) that `viewer` (a
    Discord id; None: the operator) may see, in one round trip."""
    text = name_or_alias.strip()
    if not text:
        return None
    found = select_where(conn, f"WHERE p.id = ({MATCH_SQL})", {"text": text, "viewer": viewer})
    return found[0] if found else None


def suggestions(
    conn: psycopg.Connection,
    text: str,
    count: int = SUGGESTION_COUNT,
    viewer: str | None = None,
) -> list[str]:
    """The closest names, slugs or aliases to `text`, one per personality `viewer` may see,
    best first.

    A term qualifies when difflib rates it at least 0.6 alike or one contains the other; each
    personality is represented by its best term (name before slug before alias on ties).
    """
    needle = text.strip().lower()
    if not needle:
        return []
    scored = []
    rows = conn.execute(f"SELECT id, term, kind FROM ({_TERMS}) t", {"viewer": viewer})
    for personality_id, term, kind in rows:
        lowered = term.lower()
        ratio = difflib.SequenceMatcher(None, needle, lowered).ratio()
        if ratio >= 0.6 or needle in lowered or lowered in needle:
            scored.append((-ratio, kind, lowered, personality_id, term))
    picked: list[str] = []
    seen: set = set()
    for *_, personality_id, term in sorted(scored):
        if personality_id not in seen:
            seen.add(personality_id)
            picked.append(term)
    return picked[:count]


def resolve(conn: psycopg.Connection, text: str, viewer: str | None = None) -> Personality:
    """Like `find`, but an unknown name raises PersonalityNotFound with the closest matches.
    A private character of someone else is unknown to `viewer`, exactly like a missing one."""
    personality = find(conn, text, viewer)
    if personality is None:
        raise PersonalityNotFound(text.strip(), suggestions(conn, text, viewer=viewer))
    return personality


def list_all(conn: psycopg.Connection) -> list[Personality]:
    return select_where(conn, "ORDER BY lower(p.name), p.slug", {})


def delete(conn: psycopg.Connection, name_or_alias: str) -> Personality:
    """Delete a personality with its aliases, voice/image configs and config links.

    Its LLM config and system prompt rows go too, but only when nothing else uses them and they
    are not marked global or default (configs are named and may be shared).
    """
    personality = resolve(conn, name_or_alias)
    with conn.transaction():
        row = conn.execute(
            "DELETE FROM personalities p WHERE p.id = %s RETURNING p.system_prompt_id",
            (personality.id,),
        ).fetchone()
        if personality.llm is not None and not personality.llm.inherited:
            conn.execute(
                """DELETE FROM llm_configs c
                   WHERE c.id = %s AND NOT c.is_global AND NOT c.is_default
                     AND NOT EXISTS (SELECT 1 FROM personality_default_configs d
                                     WHERE d.llm_config_id = c.id)
                     AND NOT EXISTS (SELECT 1 FROM user_personality_configs u
                                     WHERE u.llm_config_id = c.id)""",
                (personality.llm.id,),
            )
        if row and row[0] is not None:
            conn.execute(
                """DELETE FROM system_prompts s
                   WHERE s.id = %s AND NOT s.is_default
                     AND NOT EXISTS (SELECT 1 FROM personalities p
                                     WHERE p.system_prompt_id = s.id)""",
                (row[0],),
            )
    return personality


def _clean_alias(alias: str) -> str:
    cleaned = alias.strip()
    if not cleaned:
        raise InvalidAlias("an alias cannot be empty")
    if len(cleaned) > ALIAS_MAX_LENGTH:
        raise InvalidAlias(f"an alias is at most {ALIAS_MAX_LENGTH} characters")
    return cleaned


def check_alias_free(conn: psycopg.Connection, alias: str) -> None:
    """Raise AliasTaken/AliasCollision when `alias` is already an alias, name or slug.

    The database triggers enforce the same rules; this gives the message first.
    """
    row = conn.execute(
        """SELECT p.name, 'alias' FROM personality_aliases a
           JOIN personalities p ON p.id = a.personality_id
           WHERE lower(a.alias) = lower(%(alias)s)
           UNION ALL
           SELECT p.name, 'name' FROM personalities p
           WHERE lower(p.name) = lower(%(alias)s) OR lower(p.slug) = lower(%(alias)s)
           LIMIT 1""",
        {"alias": alias},
    ).fetchone()
    if row is None:
        return
    owner, kind = row
    raise (AliasTaken if kind == "alias" else AliasCollision)(alias, owner)


def add_alias(conn: psycopg.Connection, name_or_alias: str, alias: str) -> Personality:
    """Give the personality `name_or_alias` the extra name `alias`; returns it, updated."""
    cleaned = _clean_alias(alias)
    personality = resolve(conn, name_or_alias)
    try:
        with conn.transaction():
            check_alias_free(conn, cleaned)
            conn.execute(
                """INSERT INTO personality_aliases (alias, personality_id, position)
                   SELECT %(alias)s, %(id)s, coalesce(max(position) + 1, 0)
                   FROM personality_aliases WHERE personality_id = %(id)s""",
                {"alias": cleaned, "id": personality.id},
            )
    except psycopg.errors.UniqueViolation as exc:
        # Lost a race with another writer: the trigger's or index's own words are clear enough.
        raise AliasError(exc.diag.message_primary or f'alias "{cleaned}" is taken') from None
    updated = get_by_id(conn, personality.id)
    assert updated is not None  # it was just resolved inside this connection's view
    return updated


def remove_alias(conn: psycopg.Connection, alias: str) -> Personality:
    """Remove an alias (case-insensitive); returns the personality that had it, updated."""
    cleaned = alias.strip()
    row = conn.execute(
        "DELETE FROM personality_aliases WHERE lower(alias) = lower(%s) RETURNING personality_id",
        (cleaned,),
    ).fetchone()
    if row is None:
        raise AliasNotFound(cleaned)
    updated = get_by_id(conn, row[0])
    assert updated is not None
    return updated


def _clip(text: str) -> str:
    if len(text) <= DISCORD_CHOICE_MAX_LENGTH:
        return text
    return text[: DISCORD_CHOICE_MAX_LENGTH - 1] + "…"


def autocomplete_names(
    conn: psycopg.Connection,
    query: str,
    limit: int = DISCORD_MAX_CHOICES,
    viewer: str | None = None,
) -> list[tuple[str, str]]:
    """(label, value) choices for names, slugs and aliases matching `query`, one per personality
    `viewer` may see (their own private characters included, nobody else's).

    Case-insensitive prefix matches come first, then substring matches; at most `limit` (and
    never more than Discord's 25). The value is the slug, which `resolve` accepts; an alias hit
    is labelled `alias (Name)` so the user sees whom it picks, and a public user character
    `Name · by owner`, so nobody mistakes it for an official one.
    """
    limit = min(limit, DISCORD_MAX_CHOICES)
    if limit < 1:
        return []
    params = {"query": query.strip(), "limit": limit, "viewer": viewer}
    choices = []
    for name, slug, term, kind, owner in conn.execute(_AUTOCOMPLETE, params).fetchall():
        label = f"{term} ({name})" if kind == 2 else name
        if owner:
            label += f" · by {owner}"
        choices.append((_clip(label), slug[:DISCORD_CHOICE_MAX_LENGTH]))
    return choices
