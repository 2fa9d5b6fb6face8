"""Autocomplete through the real endpoint and a real database (names, slugs, aliases)."""

from __future__ import annotations

import json

import pytest

from tests.fakes.interactions import PUBLIC_KEY, Recorder, autocomplete, signed
from tzurot.db import connection
from tzurot.discord.endpoint import InteractionEndpoint


def insert(db, name: str, slug: str, *aliases: str) -> None:
    (pid,) = db.execute(
        "INSERT INTO personalities (name, slug) VALUES (%s, %s) RETURNING id", (name, slug)
    ).fetchone()
    for alias in aliases:
        db.execute(
            "INSERT INTO personality_aliases (alias, personality_id) VALUES (%s, %s)", (alias, pid)
        )


def endpoint() -> InteractionEndpoint:
    """The production wiring for autocomplete (default PersonalityChoices, shared connection)."""
    recorder = Recorder()
    return InteractionEndpoint(
        public_key=PUBLIC_KEY, send_job=recorder.send_job, seal=recorder.seal
    )


def choices(ep: InteractionEndpoint, *args: str) -> list[dict]:
    headers, body = signed(autocomplete(*args))
    response = ep.handle(headers, body)
    assert response.status == 200
    answer = json.loads(response.body)
    assert answer["type"] == 8
    return answer["data"]["choices"]


def test_names_and_aliases_from_the_database_with_a_short_cache(db):
    insert(db, "Lilith", "lilith", "lil")
    insert(db, "Bob", "bob-the-builder", "Lightning")
    insert(db, "Ada", "ada")
    ep = endpoint()
    assert choices(ep, "chat", "personality=LI") == [
        {"name": "Lightning (Bob)", "value": "bob-the-builder"},
        {"name": "Lilith", "value": "lilith"},
    ]
    assert choices(ep, "personality", "info", "name=builder") == [
        {"name": "Bob", "value": "bob-the-builder"}
    ]
    # Cached per query for a few seconds: a personality added now shows up on the next query
    # text at once, and on the same text once the entry expires.
    insert(db, "Lisa", "lisa")
    assert [c["value"] for c in choices(ep, "chat", "personality=li")] == [
        "bob-the-builder",
        "lilith",
    ]
    assert [c["value"] for c in choices(ep, "chat", "personality=lis")] == ["lisa"]


def test_at_most_25_choices(db):
    for number in range(30):
        insert(db, f"Echo {number:02d}", f"echo-{number:02d}")
    found = choices(endpoint(), "imagine", "prompt=x", "personality=echo")
    assert [c["value"] for c in found] == [f"echo-{n:02d}" for n in range(25)]


def test_database_down_means_no_suggestions_not_an_error(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:9/none?connect_timeout=1")
    connection.reset_shared_connection()
    try:
        ep = endpoint()
        assert choices(ep, "chat", "personality=li") == []
        # Timezones never touch the database.
        assert choices(ep, "timezone", "set", "zone=tokyo") == [
            {"name": "Asia/Tokyo", "value": "Asia/Tokyo"}
        ]
    finally:
        connection.reset_shared_connection()


@pytest.fixture(autouse=True)
def _fresh_connection():
    connection.reset_shared_connection()
    yield
    connection.reset_shared_connection()
