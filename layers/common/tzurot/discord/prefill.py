"""The value the /config edit-advanced form opens with: the user's stored advanced parameters.

A modal must be Discord's direct answer to the command, inside its 3-second window, so the value
is read on the request path, and kept cheap and bounded:

- ONE query on indexed columns: the user by `users.discord_id` (unique), the personality by the
  same slug/name/alias match the worker's `resolve` uses (lower() indexes), the row by
  `user_config_overrides (user_id, personality_id)` (unique). PostgreSQL prints the JSON
  (`jsonb_pretty`), so numbers come back exactly as stored and the endpoint parses nothing.
- It runs on a helper thread, and the request waits at most DEADLINE_SECONDS for it. psycopg's
  connect timeout cannot go below 2 s, and a stalled network or a lock (a migration) would
  otherwise hold the answer past Discord's clock. Past the deadline, or on any failure, the form
  opens empty with a note saying so; the lookup finishes or fails on its own. At most one lookup
  runs at a time per container: while one is stuck, later forms open empty at once instead of
  piling threads onto a database that is not answering.

What is shown is the user's OWN layer for the scope (their defaults, or their setting for that
personality): exactly what a submit replaces, so submitting the form unchanged changes nothing.
The effective config, personality values included, is what `/config show` prints.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tzurot.logs import get_logger

DEADLINE_SECONDS = 1.0
MAX_VALUE_LENGTH = 4000  # a text input's value, in UTF-16 units as Discord counts (its maximum)

# Prefill.status
STORED = "stored"  # value holds the stored JSON
NONE = "none"  # the user has none of their own for this scope
TOO_LONG = "too_long"  # stored, but longer than a text input can hold
UNKNOWN_PERSONALITY = "unknown_personality"  # no personality has that name, slug or alias
UNAVAILABLE = "unavailable"  # the database did not answer in time (or failed)

logger = get_logger("interactions")


@dataclass(frozen=True)
class Stored:
    """What the lookup found."""

    personality_found: bool  # always True for the user's defaults
    pretty: str | None = None  # the stored JSON as jsonb_pretty prints it; None: nothing stored
    compact: str | None = None  # the same as jsonb's one-line text


@dataclass(frozen=True)
class Prefill:
    status: str
    value: str | None = None  # only for STORED


Lookup = Callable[[str, str | None], Stored]


class LookupFailed(Exception):
    """The database could not be asked (unreachable, query failed)."""


_LOOKUP = """SELECT {found}, jsonb_pretty(o.advanced_parameters), o.advanced_parameters::text
FROM (SELECT {target} AS id) m
LEFT JOIN (user_config_overrides o JOIN users u ON u.id = o.user_id)
    ON u.discord_id = %(discord_id)s AND {scope}"""


def lookup_sql(for_personality: bool) -> str:
    """The one query: the personality named %(text)s (when `for_personality`) and the user's
    stored advanced parameters for it, or for their defaults."""
    if not for_personality:
        return _LOOKUP.format(found="true", target="NULL::uuid", scope="o.personality_id IS NULL")
    from tzurot.personalities.repository import MATCH_SQL

    return _LOOKUP.format(
        found="m.id IS NOT NULL", target=f"({MATCH_SQL})", scope="o.personality_id = m.id"
    )


def read_stored(conn, discord_id: str, personality: str | None) -> Stored:
    """Run the lookup on `conn` (one round trip)."""
    params = {"discord_id": discord_id, "text": personality or "", "viewer": discord_id}
    found, pretty, compact = conn.execute(lookup_sql(bool(personality)), params).fetchone()
    return Stored(bool(found), pretty, compact)


def _on_shared_connection(read: Callable[..., Any], *args: Any) -> Any:
    # Imported here: psycopg loads only in containers that open a form or autocomplete.
    import psycopg

    from tzurot.db.connection import shared_connection
    from tzurot.db.errors import DatabaseUnavailable

    try:
        return read(shared_connection(), *args)
    except (DatabaseUnavailable, psycopg.Error) as exc:
        raise LookupFailed(type(exc).__name__) from None


def _query_database(discord_id: str, personality: str | None) -> Stored:
    return _on_shared_connection(read_stored, discord_id, personality)


# The personality of the user's newest chat (usage_logs by (user_id, timestamp), indexed).
_LAST_PERSONALITY = """SELECT p.slug FROM users u
JOIN LATERAL (
    SELECT l.personality_id FROM usage_logs l
    WHERE l.user_id = u.id AND l.request_type = 'text' AND l.personality_id IS NOT NULL
    ORDER BY l."timestamp" DESC LIMIT 1
) last ON true
JOIN personalities p ON p.id = last.personality_id
WHERE u.discord_id = %(discord_id)s"""


# "Ask a personality" also keeps its target's image references for the worker, in the same
# statement (migration 0012): rows of forms never submitted go after an hour.
_KEEP_ASK_TARGET = """WITH kept AS (
    INSERT INTO ask_targets (discord_user_id, message_id, images)
    VALUES (%(discord_id)s, %(message_id)s, %(images)s::jsonb)
    ON CONFLICT (discord_user_id, message_id)
        DO UPDATE SET images = EXCLUDED.images, created_at = now()
), swept AS (
    DELETE FROM ask_targets
    WHERE created_at < now() - interval '1 hour'
      AND (discord_user_id, message_id) <> (%(discord_id)s, %(message_id)s)
)
"""


@dataclass(frozen=True)
class AskTarget:
    """What "Ask a personality" keeps for the worker: the message and its images as JSON."""

    message_id: str
    images_json: str


def read_last_personality(conn, discord_id: str, keep: AskTarget | None = None) -> str | None:
    """The slug of the user's last personality; with `keep`, the target's images are kept in
    the same round trip."""
    if keep is None:
        row = conn.execute(_LAST_PERSONALITY, {"discord_id": discord_id}).fetchone()
    else:
        params = {
            "discord_id": discord_id,
            "message_id": keep.message_id,
            "images": keep.images_json,
        }
        row = conn.execute(_KEEP_ASK_TARGET + _LAST_PERSONALITY, params).fetchone()
    return row[0] if row else None


def _query_last_personality(discord_id: str, keep: AskTarget | None = None) -> str | None:
    return _on_shared_connection(read_last_personality, discord_id, keep)


def prefill_for(stored: Stored) -> Prefill:
    """The form's starting point: the stored JSON, pretty when it fits, else on one line."""
    if not stored.personality_found:
        return Prefill(UNKNOWN_PERSONALITY)
    if stored.compact is None or stored.compact == "{}":
        return Prefill(NONE)
    for text in (stored.pretty, stored.compact):
        if text and discord_length(text) <= MAX_VALUE_LENGTH:
            return Prefill(STORED, text)
    return Prefill(TOO_LONG)


def discord_length(text: str) -> int:
    """Length as Discord counts it (UTF-16 code units: an emoji counts 2)."""
    return len(text.encode("utf-16-le")) // 2


class AdvancedPrefill:
    """`prefill(discord_id, personality)` -> Prefill, within `deadline` seconds.

    personality None means the user's defaults. Never raises: a lookup that is slow or fails
    gives Prefill(UNAVAILABLE).
    """

    label = "advanced parameters prefill"

    def __init__(
        self, lookup: Callable[..., Any] = _query_database, *, deadline: float = DEADLINE_SECONDS
    ):
        self._lookup = lookup
        self._deadline = deadline
        self._idle = threading.Lock()  # held while a lookup runs (released by its thread)

    @staticmethod
    def convert(found: Any) -> Prefill:
        return prefill_for(found)

    def __call__(self, *args: Any) -> Prefill:
        if not self._idle.acquire(blocking=False):
            logger.warning(f"{self.label} skipped: the last lookup is still running")
            return Prefill(UNAVAILABLE)
        outcome: list[Any] = []
        done = threading.Event()

        def work() -> None:
            try:
                outcome.append(self._lookup(*args))
            except BaseException as exc:  # handed to the waiting request, or dropped after it
                outcome.append(exc)
            finally:
                self._idle.release()
                done.set()

        threading.Thread(target=work, name="advanced-prefill", daemon=True).start()
        if not done.wait(self._deadline):
            logger.warning(
                f"{self.label} timed out",
                extra={"deadline_seconds": self._deadline},
            )
            return Prefill(UNAVAILABLE)
        result = outcome[0]
        if isinstance(result, LookupFailed):
            logger.warning(f"{self.label} failed", extra={"error": str(result)})
            return Prefill(UNAVAILABLE)
        if isinstance(result, BaseException):
            # A bug, not an outage: log it whole, and still open the form (empty).
            logger.error(
                f"{self.label} broke",
                exc_info=(type(result), result, result.__traceback__),
            )
            return Prefill(UNAVAILABLE)
        return self.convert(result)


class LastPersonality(AdvancedPrefill):
    """`last(discord_id[, keep])` -> Prefill(STORED, slug) of the personality the user last
    chatted with, Prefill(NONE) when they never did, Prefill(UNAVAILABLE) past the deadline
    (then `keep` may not have been written: the worker falls back to reading the message)."""

    label = "last personality lookup"

    def __init__(
        self,
        lookup: Callable[..., str | None] = _query_last_personality,
        *,
        deadline: float = DEADLINE_SECONDS,
    ):
        super().__init__(lookup, deadline=deadline)

    @staticmethod
    def convert(found: Any) -> Prefill:
        return Prefill(STORED, found) if found else Prefill(NONE)
