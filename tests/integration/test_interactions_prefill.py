"""The /config edit-advanced form prefilled through the real endpoint and a real database: the
production wiring (AdvancedPrefill on the shared connection), answers checked against Discord's
schema, a real slow database (a lock held by another session) and a database that is down."""

from __future__ import annotations

import json
import time

import psycopg
import pytest
from psycopg.types.json import Jsonb

from tests.fakes.discord_spec import response_errors
from tests.fakes.interactions import GUILD, PUBLIC_KEY, Recorder, command, signed
from tzurot.db import connection
from tzurot.dev import simulator
from tzurot.discord import modals
from tzurot.discord.endpoint import InteractionEndpoint
from tzurot.discord.prefill import AdvancedPrefill, lookup_sql

OTHER = "100000000000000999"
NOTES = modals.ADVANCED_NOTES


def user(db, discord_id: str) -> str:
    return db.execute(
        "INSERT INTO users (discord_id, username) VALUES (%s, 'someone') RETURNING id::text",
        (discord_id,),
    ).fetchone()[0]


def personality(db, name: str, slug: str, *aliases: str) -> str:
    (pid,) = db.execute(
        "INSERT INTO personalities (name, slug) VALUES (%s, %s) RETURNING id::text", (name, slug)
    ).fetchone()
    for alias in aliases:
        db.execute(
            "INSERT INTO personality_aliases (alias, personality_id) VALUES (%s, %s)", (alias, pid)
        )
    return pid


def store(db, user_id: str, personality_id: str | None, advanced: dict) -> None:
    db.execute(
        "INSERT INTO user_config_overrides (user_id, personality_id, provider, model, "
        "advanced_parameters) VALUES (%s, %s, 'openrouter', 'x/y', %s)",
        (user_id, personality_id, Jsonb(advanced)),
    )


def endpoint(prefill: AdvancedPrefill | None = None) -> InteractionEndpoint:
    recorder = Recorder()
    return InteractionEndpoint(
        public_key=PUBLIC_KEY,
        send_job=recorder.send_job,
        seal=recorder.seal,
        advanced_prefill=prefill,  # None: the production default
    )


def open_form(ep: InteractionEndpoint, specs_dir, *args: str, who=GUILD) -> dict:
    headers, body = signed(command("config", "edit-advanced", *args, who=who))
    response = ep.handle(headers, body)
    assert response.status == 200
    answer = json.loads(response.body)
    assert response_errors(specs_dir, answer) == []
    return answer


def field_of(answer: dict) -> tuple[str, dict]:
    """(the note under the field, the text input) of an edit-advanced modal."""
    assert answer["type"] == 9
    (label,) = answer["data"]["components"]
    return label["description"], label["component"]


@pytest.fixture
def world(db):
    me, other = user(db, GUILD.user_id), user(db, OTHER)
    lilith = personality(db, "Lilith", "lilith", "lil")
    ada = personality(db, "Ada", "ada")
    store(db, me, lilith, {"topK": 40, "minP": 0.05, "stop": ["\n\n", "Ünïcode ✨"]})
    store(db, me, None, {"seed": 7})
    store(db, other, ada, {"topK": 1})
    return {"me": me, "lilith": lilith, "ada": ada}


def test_the_form_opens_with_the_users_stored_value_for_the_scope(world, specs_dir):
    ep = endpoint()
    note, field = field_of(open_form(ep, specs_dir, "personality=LIL"))  # by alias, any case
    assert note == NOTES["stored"]
    # PostgreSQL's own layout (jsonb orders keys by length, then bytes), numbers as stored.
    assert field["value"] == (
        '{\n    "minP": 0.05,\n    "stop": [\n        "\\n\\n",\n        "Ünïcode ✨"\n'
        '    ],\n    "topK": 40\n}'
    )
    assert json.loads(field["value"]) == {"topK": 40, "minP": 0.05, "stop": ["\n\n", "Ünïcode ✨"]}

    defaults = open_form(ep, specs_dir)
    assert defaults["data"]["custom_id"] == "config-advanced:"
    assert field_of(defaults) == (NOTES["stored"], {**field, "value": '{\n    "seed": 7\n}'})

    # Ada: only another user has settings for her; this user has none.
    note, field = field_of(open_form(ep, specs_dir, "personality=ada"))
    assert (note, "value" in field) == (NOTES["none"], False)
    # A user the database has never seen.
    stranger = simulator.Identity(user_id="100000000000000444")
    note, field = field_of(open_form(ep, specs_dir, "personality=lilith", who=stranger))
    assert (note, "value" in field) == (NOTES["none"], False)


def test_an_unknown_personality_is_answered_without_a_form(world, specs_dir):
    answer = open_form(endpoint(), specs_dir, "personality=lilit")
    assert answer == {
        "type": 4,
        "data": {
            "content": "I don't know a personality called “lilit”. Start typing its name to "
            "pick one from the list, then run `/config edit-advanced` again.",
            "allowed_mentions": {"parse": []},
            "flags": 64,
        },
    }


def test_a_value_too_long_for_the_pretty_form_comes_on_one_line(db, world, specs_dir):
    # 280 entries: 4,762 characters pretty-printed, 3,642 on one line.
    big = {f"k{n:03d}": n + 100 for n in range(280)}
    store(db, world["me"], world["ada"], big)
    note, field = field_of(open_form(endpoint(), specs_dir, "personality=ada"))
    assert note == NOTES["stored"]
    assert "\n" not in field["value"] and len(field["value"]) <= 4000
    assert json.loads(field["value"]) == big

    huge = {f"key{n:04d}": "x" * 20 for n in range(200)}  # > 4,000 even on one line
    db.execute(
        "UPDATE user_config_overrides SET advanced_parameters = %s WHERE personality_id = %s "
        "AND user_id = %s",
        (Jsonb(huge), world["ada"], world["me"]),
    )
    note, field = field_of(open_form(endpoint(), specs_dir, "personality=ada"))
    assert (note, "value" in field) == (NOTES["too_long"], False)


def test_a_slow_database_opens_the_form_empty_within_the_deadline(db_url, world, specs_dir):
    prefill = AdvancedPrefill(deadline=0.3)
    ep = endpoint(prefill)
    field_of(open_form(ep, specs_dir, "personality=lilith"))  # connect while nothing is locked
    with psycopg.connect(db_url) as locker:
        # A migration-like lock: the lookup's SELECT waits for it.
        locker.execute("LOCK TABLE user_config_overrides IN ACCESS EXCLUSIVE MODE")
        started = time.perf_counter()
        note, field = field_of(open_form(ep, specs_dir, "personality=lilith"))
        waited = time.perf_counter() - started
        assert (note, "value" in field) == (NOTES["unavailable"], False)
        assert 0.3 <= waited < 1.5
        # While that lookup is stuck, the next form does not wait at all.
        started = time.perf_counter()
        note, _ = field_of(open_form(ep, specs_dir))
        assert note == NOTES["unavailable"]
        assert time.perf_counter() - started < 0.25
        locker.rollback()  # the lock goes; the stuck lookup finishes
    for _ in range(50):
        note, field = field_of(open_form(ep, specs_dir))
        if note == NOTES["stored"]:
            break
        time.sleep(0.05)
    assert field["value"] == '{\n    "seed": 7\n}'


def test_a_database_that_is_down_opens_the_form_empty_with_a_note(monkeypatch, specs_dir):
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:9/none?connect_timeout=1")
    connection.reset_shared_connection()
    note, field = field_of(open_form(endpoint(), specs_dir, "personality=lilith"))
    assert (note, "value" in field) == (NOTES["unavailable"], False)


@pytest.mark.parametrize("for_personality", [True, False])
def test_the_lookup_is_one_indexed_query(db, world, for_personality):
    db.execute("SET enable_seqscan = off")  # as on a big table: only an index makes it cheap
    params = {"discord_id": GUILD.user_id, "text": "lilith", "viewer": GUILD.user_id}
    plan = "\n".join(row[0] for row in db.execute("EXPLAIN " + lookup_sql(for_personality), params))
    assert "users_discord_id_key" in plan
    assert "user_config_overrides_user_id_personality_id_key" in plan
    assert "Seq Scan on users" not in plan and "Seq Scan on user_config_overrides" not in plan


@pytest.fixture(autouse=True)
def _fresh_connection():
    connection.reset_shared_connection()
    yield
    connection.reset_shared_connection()
