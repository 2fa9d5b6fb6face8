"""Personality autocomplete during a database outage: one failed lookup, then no suggestions at
once (no lookup per keystroke) until the quiet period ends."""

from __future__ import annotations

import logging

from tzurot.discord.autocomplete import LookupFailed, ModelChoices, PersonalityChoices


class Database:
    def __init__(self):
        self.down = True
        self.queries: list[str] = []

    def lookup(self, query: str, viewer: str | None = None):
        self.queries.append(query)
        if self.down:
            raise LookupFailed("DatabaseUnavailable")
        return [("Lilith", "lilith")]


def test_a_failed_lookup_quiets_lookups_for_a_while(caplog):
    database, now = Database(), [100.0]
    choices = PersonalityChoices(database.lookup, outage=15, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="interactions"):
        assert choices("li") == []
    assert [(r.getMessage(), r.error, r.quiet_seconds) for r in caplog.records] == [
        ("personality autocomplete failed; no lookups for a while", "DatabaseUnavailable", 15)
    ]
    for typed in ("lil", "lili", "lilit"):  # more keystrokes inside the quiet period
        now[0] += 4
        assert choices(typed) == []
    assert database.queries == ["li"]

    database.down = False
    now[0] += 4  # 16 s after the failure
    assert choices("lilith") == [("Lilith", "lilith")]
    assert database.queries == ["li", "lilith"]


def test_cached_answers_still_served_during_the_quiet_period():
    database, now = Database(), [0.0]
    database.down = False
    choices = PersonalityChoices(database.lookup, ttl=30, outage=15, clock=lambda: now[0])
    assert choices("li") == [("Lilith", "lilith")]
    database.down = True
    now[0] += 1
    assert choices("lil") == []  # fails, starts the quiet period
    assert choices("li") == [("Lilith", "lilith")]  # still cached
    assert database.queries == ["li", "lil"]


def test_model_choices_are_cached_per_text_and_provider():
    asked: list[tuple[str, str | None]] = []

    def lookup(query: str, provider: str | None):
        asked.append((query, provider))
        return [(f"{provider}:{query}", query)]

    choices = ModelChoices(lookup, ttl=30, clock=lambda: 0.0)
    assert choices(" GPT ", "openai") == [("openai:gpt", "gpt")]
    assert choices("gpt", "openai") == [("openai:gpt", "gpt")]  # cached
    assert choices("gpt", "openrouter") == [("openrouter:gpt", "gpt")]
    assert choices("gpt", None) == [("None:gpt", "gpt")]
    assert asked == [("gpt", "openai"), ("gpt", "openrouter"), ("gpt", None)]
