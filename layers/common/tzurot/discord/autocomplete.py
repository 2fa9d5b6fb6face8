"""Autocomplete choices: personality names and aliases, and the model catalog's models for
`/config set-model` (database, briefly cached), the user's own memories for /memory forget
(database, not cached), and IANA timezones (no database).

Autocomplete fires on every keystroke, so each database lookup is cached per query for a few
seconds per container: a new personality (or a refreshed catalog) shows up within
CACHE_SECONDS, and a burst of typing costs one query per distinct prefix at most. Both lookups
are one query on the container's shared connection.

When the lookup fails (the database is down or unreachable, which can take the connect timeout
to find out), the container answers no suggestions at once for OUTAGE_SECONDS instead of trying
again on every keystroke: each of those would hold a Lambda for seconds, and a burst of typing
during an outage would use up concurrency the commands need.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import lru_cache

from tzurot.logs import get_logger

CACHE_SECONDS = 30.0
OUTAGE_SECONDS = 15.0
CACHE_ENTRIES = 512
LIMIT = 25

Choices = list[tuple[str, str]]  # (label, value)
logger = get_logger("interactions")


class LookupFailed(Exception):
    """A database lookup could not run (database down, query failed)."""


def _on_database(query: Callable[..., Choices], *args: object) -> Choices:
    """`query(connection, *args)` on the shared connection; LookupFailed when it cannot run."""
    # Imported here: psycopg loads only in containers that serve autocomplete.
    import psycopg

    from tzurot.db.connection import shared_connection
    from tzurot.db.errors import DatabaseUnavailable

    try:
        return query(shared_connection(), *args)
    except (DatabaseUnavailable, psycopg.Error) as exc:
        raise LookupFailed(type(exc).__name__) from None


def _query_personalities(query: str, viewer: str | None) -> Choices:
    from tzurot.personalities.repository import autocomplete_names

    return _on_database(autocomplete_names, query, LIMIT, viewer)


def _query_models(query: str, provider: str | None) -> Choices:
    from tzurot.catalog.store import autocomplete_models

    return _on_database(autocomplete_models, query, provider, "text", LIMIT)


class CachedChoices:
    """Database choices matching what the user typed (within an optional scope, such as the
    provider already picked), with a short per-container cache and a quiet period after a
    failed lookup."""

    what = "database"

    def __init__(
        self,
        lookup: Callable[..., Choices],
        *,
        ttl: float = CACHE_SECONDS,
        outage: float = OUTAGE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._lookup = lookup
        self._ttl = ttl
        self._outage = outage
        self._clock = clock
        self._cache: dict[tuple[str | None, ...], tuple[float, Choices]] = {}
        self._quiet_until = float("-inf")  # no lookups before this (after a failure)

    def __call__(self, query: str, *scope: str | None) -> Choices:
        text = query.strip().casefold()[:100]
        key = (text, *scope)
        now = self._clock()
        hit = self._cache.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        if now < self._quiet_until:
            return []  # the last lookup failed moments ago
        try:
            choices = self._lookup(text, *scope)
        except LookupFailed as exc:
            # An autocomplete that cannot reach the database shows no suggestions; the user can
            # still type the name. Nothing else (no 5xx, no retry on the 3-second clock).
            self._quiet_until = self._clock() + self._outage
            logger.warning(
                f"{self.what} autocomplete failed; no lookups for a while",
                extra={"error": str(exc), "quiet_seconds": self._outage},
            )
            return []
        if len(self._cache) >= CACHE_ENTRIES:
            self._cache.clear()
        self._cache[key] = (now + self._ttl, choices)
        return choices


class PersonalityChoices(CachedChoices):
    """Names and aliases the user may see: `choices(query, viewer)`, `viewer` being their
    Discord id. Their own private characters are among them, so the cache is per viewer: one
    user's private names are never served to another."""

    what = "personality"

    def __init__(
        self, lookup: Callable[[str, str | None], Choices] = _query_personalities, **options
    ):
        super().__init__(lookup, **options)


class ModelChoices(CachedChoices):
    """The catalog's text models not shut down: `choices(query, provider or None)`. An empty
    catalog gives no choices (the user types the model's name, as before the catalog)."""

    what = "model"

    def __init__(self, lookup: Callable[[str, str | None], Choices] = _query_models, **options):
        super().__init__(lookup, **options)


def _query_memories(discord_id: str, typed: str) -> Choices:
    import psycopg

    from tzurot.db.connection import shared_connection
    from tzurot.db.errors import DatabaseUnavailable
    from tzurot.memory.store import choices

    try:
        return choices(shared_connection(), discord_id, typed.strip()[:100], LIMIT)
    except (DatabaseUnavailable, psycopg.Error) as exc:
        raise LookupFailed(type(exc).__name__) from None


class MemoryChoices:
    """/memory forget: the user's own memories containing what they typed. Not cached (each
    user sees their own, and a forgotten one must disappear); after a failure, no lookups for
    OUTAGE_SECONDS, as for personalities."""

    def __init__(
        self,
        lookup: Callable[[str, str], Choices] = _query_memories,
        *,
        outage: float = OUTAGE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._lookup = lookup
        self._outage = outage
        self._clock = clock
        self._quiet_until = float("-inf")

    def __call__(self, discord_id: str, typed: str) -> Choices:
        if self._clock() < self._quiet_until:
            return []
        try:
            return self._lookup(discord_id, typed)
        except LookupFailed as exc:
            self._quiet_until = self._clock() + self._outage
            logger.warning("memory autocomplete failed", extra={"error": str(exc)})
            return []


@lru_cache(maxsize=1)
def _zones() -> tuple[tuple[str, str], ...]:
    """(casefolded name, name) for every IANA zone, built once per container."""
    from zoneinfo import available_timezones

    names = sorted(n for n in available_timezones() if "/" in n or n == "UTC")
    return tuple((name.casefold(), name) for name in names)


def timezone_choices(query: str, limit: int = LIMIT) -> Choices:
    """Zones named exactly the query, then those whose name or city starts with it, then those
    containing it."""
    needle = query.strip().casefold().replace(" ", "_")
    if not needle:
        common = ("UTC", "Europe/London", "America/New_York", "America/Los_Angeles", "Asia/Tokyo")
        return [(name, name) for name in common][:limit]
    exact: Choices = []
    prefix: Choices = []
    contains: Choices = []
    for folded, name in _zones():
        if folded == needle:
            exact.append((name, name))
        elif folded.startswith(needle) or folded.rpartition("/")[2].startswith(needle):
            prefix.append((name, name))
        elif needle in folded:
            contains.append((name, name))
    return (exact + prefix + contains)[:limit]
