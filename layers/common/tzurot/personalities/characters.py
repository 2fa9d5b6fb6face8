"""Users' own characters (/character): personalities with an owner, private until made public.

Names, slugs and aliases share one namespace with every other personality (case-insensitively):
a character's name or slug may not be any personality's name, display name, slug or alias. The
checks and the per-user cap run under the same advisory lock as imports, so two creates (or a
create and an import) cannot both pass them. Text is stored exactly as given; Discord renders
it, and every reply that echoes it disables mentions.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb

from tzurot.personalities import repository
from tzurot.personalities.errors import PersonalityError
from tzurot.personalities.model import SLUG_MAX_LENGTH, Personality
from tzurot.personalities.writes import NAMES_LOCK_ID, insert, update

# Discord's limits for what a character's text becomes: a webhook username / the command
# option (80), a modal text input (4000), one message (2000).
NAME_MAX = 80
PROMPT_MAX = 4000
GREETING_MAX = 2000
ERROR_MESSAGE_MAX = 2000


class CharacterError(PersonalityError):
    """A character cannot be created or changed; the message is fit to show the user."""


@dataclass(frozen=True)
class CharacterText:
    """What a user may set; None means "leave as it is" (an edit) or "none" (a create)."""

    name: str | None = None
    prompt: str | None = None
    greeting: str | None = None
    error_message: str | None = None


def slugify(name: str) -> str:
    """`Nyx the Wise!` -> `nyx-the-wise`: letters and digits (any script) joined by dashes."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    slug = re.sub(r"[^\w]+|_+", "-", folded).strip("-")
    return slug[:SLUG_MAX_LENGTH].strip("-") or "character"


def check_text(text: CharacterText, *, creating: bool) -> None:
    """Lengths against Discord's limits; a name and a prompt are required to create."""
    limits = (
        ("name", text.name, NAME_MAX),
        ("description", text.prompt, PROMPT_MAX),
        ("greeting", text.greeting, GREETING_MAX),
        ("error message", text.error_message, ERROR_MESSAGE_MAX),
    )
    for label, value, limit in limits:
        if value is not None and len(value) > limit:
            raise CharacterError(f"The {label} is too long: at most {limit} characters, please.")
        if value is not None and "\x00" in value:
            raise CharacterError(f"The {label} contains a character that cannot be stored.")
    if creating and not (text.name and text.name.strip()):
        raise CharacterError("A character needs a name.")
    if creating and not (text.prompt and text.prompt.strip()):
        raise CharacterError("A character needs a description (its system prompt).")
    if text.name is not None and not text.name.strip():
        raise CharacterError("A character needs a name.")
    if text.prompt is not None and not text.prompt.strip():
        raise CharacterError("A character needs a description (its system prompt).")


def _check_free(conn: psycopg.Connection, terms: list[str], own_id: UUID | None) -> None:
    row = conn.execute(
        """SELECT 1 FROM personalities p
           WHERE p.id IS DISTINCT FROM %(own)s
             AND (lower(p.name) = ANY(%(terms)s) OR lower(p.slug) = ANY(%(terms)s)
                  OR lower(p.display_name) = ANY(%(terms)s))
           UNION ALL
           SELECT 1 FROM personality_aliases a
           WHERE a.personality_id IS DISTINCT FROM %(own)s AND lower(a.alias) = ANY(%(terms)s)
           LIMIT 1""",
        {"own": own_id, "terms": [t.lower() for t in terms]},
    ).fetchone()
    if row is not None:
        raise CharacterError(
            f"The name “{terms[0]}” is already taken by another personality. "
            "Please choose another one."
        )


def count_owned(conn: psycopg.Connection, owner_id: str) -> int:
    return conn.execute(
        "SELECT count(*) FROM personalities WHERE owner_id = %s", (owner_id,)
    ).fetchone()[0]


def create(
    conn: psycopg.Connection, owner_id: str, text: CharacterText, *, cap: int
) -> Personality:
    """A new private character of the user `owner_id` (users.id)."""
    check_text(text, creating=True)
    assert text.name is not None and text.prompt is not None
    name = text.name.strip()
    slug = slugify(name)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (NAMES_LOCK_ID,))
        if count_owned(conn, owner_id) >= cap:
            raise CharacterError(
                f"You already have {cap} characters, the most one person may have. "
                "Delete one with `/character delete` first."
            )
        _check_free(conn, [name, slug], None)
        taken = conn.execute("SELECT 1 FROM system_prompts WHERE name = %s", (slug,)).fetchone()
        prompt_id = insert(
            conn,
            "system_prompts",
            {
                "name": f"{slug}-{owner_id[:8]}" if taken else slug,
                "description": f"System prompt of the character {name}",
                "content": text.prompt,
            },
        )
        custom = {"greeting": text.greeting} if text.greeting and text.greeting.strip() else {}
        error = text.error_message if text.error_message and text.error_message.strip() else None
        character_id = insert(
            conn,
            "personalities",
            {
                "name": name,
                "display_name": name,
                "slug": slug,
                "system_prompt_id": prompt_id,
                "error_message": error,
                "custom_fields": Jsonb(custom),
                "owner_id": owner_id,
                "visibility": "private",
            },
        )
    created = repository.get_by_id(conn, character_id)
    assert created is not None
    return created


def edit(conn: psycopg.Connection, character: Personality, text: CharacterText) -> Personality:
    """Change what `text` sets (a blank greeting or error message removes it). The slug stays:
    it is what commands and links already use."""
    check_text(text, creating=False)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (NAMES_LOCK_ID,))
        columns: dict = {}
        if text.name is not None:
            name = text.name.strip()
            _check_free(conn, [name], character.id)
            columns.update(name=name, display_name=name)
        if text.error_message is not None:
            columns["error_message"] = text.error_message if text.error_message.strip() else None
        if text.greeting is not None:
            custom = dict(character.custom_fields)
            custom.pop("greeting", None)
            if text.greeting.strip():
                custom["greeting"] = text.greeting
            columns["custom_fields"] = Jsonb(custom)
        if columns:
            update(conn, "personalities", character.id, columns)
        if text.prompt is not None:
            conn.execute(
                """UPDATE system_prompts s SET content = %s, updated_at = now()
                   FROM personalities p WHERE p.id = %s AND s.id = p.system_prompt_id""",
                (text.prompt, character.id),
            )
    updated = repository.get_by_id(conn, character.id)
    assert updated is not None
    return updated


def set_visibility(conn: psycopg.Connection, character: Personality, visibility: str) -> None:
    conn.execute(
        "UPDATE personalities SET visibility = %s, updated_at = now() WHERE id = %s",
        (visibility, character.id),
    )


def set_avatar(conn: psycopg.Connection, character: Personality, url: str) -> None:
    conn.execute(
        "UPDATE personalities SET avatar_url = %s, updated_at = now() WHERE id = %s",
        (url, character.id),
    )


def listing(conn: psycopg.Connection, viewer: str) -> tuple[list[Personality], list[Personality]]:
    """(the viewer's own characters, other users' public ones), each by name."""
    found = repository.select_where(
        conn,
        "WHERE p.owner_id IS NOT NULL AND (p.visibility = 'public' OR ou.discord_id = %(viewer)s)"
        " ORDER BY lower(p.name), p.slug",
        {"viewer": viewer},
    )
    mine = [c for c in found if c.owner_discord_id == viewer]
    return mine, [c for c in found if c.owner_discord_id != viewer]
