"""Autocomplete choices: personality names and aliases (database, briefly cached) and IANA
timezones (no database).

Autocomplete fires on every keystroke, so the personality lookup is cached per query for a few
seconds per container: a new personality shows up within CACHE_SECONDS, and a burst of typing
costs one query per distinct prefix at most.

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
    """The personality lookup could not run (database down, query failed)."""


def _query_database(query: str) -> Choices:
    # Imported here: psycopg loads only in containers that serve autocomplete.
    import psycopg

    from tzurot.db.connection import shared_connection
    from tzurot.db.errors import DatabaseUnavailable
    from tzurot.personalities.repository import autocomplete_names

    try:
        return autocomplete_names(shared_connection(), query, LIMIT)
    except (DatabaseUnavailable, psycopg.Error) as exc:
        raise LookupFailed(type(exc).__name__) from None


class PersonalityChoices:
    """Names and aliases matching what the user typed, with a short per-container cache."""

    def __init__(
        self,
        lookup: Callable[[str], Choices] = _query_database,
        *,
        ttl: float = CACHE_SECONDS,
        outage: float = OUTAGE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._lookup = lookup
        self._ttl = ttl
        self._outage = outage
        self._clock = clock
        self._cache: dict[str, tuple[float, Choices]] = {}
        self._quiet_until = float("-inf")  # no lookups before this (after a failure)

    def __call__(self, query: str) -> Choices:
        key = query.strip().casefold()[:100]
        now = self._clock()
        hit = self._cache.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        if now < self._quiet_until:
            return []  # the last lookup failed moments ago
        try:
            choices = self._lookup(key)
        except LookupFailed as exc:
            # An autocomplete that cannot reach the database shows no suggestions; the user can
            # still type the name. Nothing else (no 5xx, no retry on the 3-second clock).
            self._quiet_until = self._clock() + self._outage
            logger.warning(
                "personality autocomplete failed; no lookups for a while",
                extra={"error": str(exc), "quiet_seconds": self._outage},
            )
            return []
        if len(self._cache) >= CACHE_ENTRIES:
            self._cache.clear()
        self._cache[key] = (now + self._ttl, choices)
        return choices


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
