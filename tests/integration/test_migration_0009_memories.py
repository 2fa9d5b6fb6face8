"""Migration 0009: the ltm settings move out of custom_fields into personalities columns (only
values that fit, exactly), the memories and memory_settings tables, the 'embedding' request
type; and the rollback gives back the very same database."""

from __future__ import annotations

import json

import psycopg
import pytest

from tests.integration.test_migration_0002_data import snapshot
from tzurot.db.migrations import Migrator

# custom_fields before -> (ltm_enabled, ltm_threshold, ltm_max, custom_fields after), as text
CASES = {
    "all-three": (
        '{"ltm_enabled": true, "ltm_threshold": 0.700, "ltm_max_retrieved_summaries": 7, "x": 1}',
        (True, "0.700", 7, '{"x": 1}'),
    ),
    "enabled-only": ('{"ltm_enabled": false}', (False, None, None, "{}")),
    "misfits-stay": (
        '{"ltm_enabled": "yes", "ltm_threshold": 1.5, "ltm_max_retrieved_summaries": 5.0}',
        (
            None,
            None,
            None,
            '{"ltm_enabled": "yes", "ltm_threshold": 1.5, "ltm_max_retrieved_summaries": 5.0}',
        ),
    ),
    "json-nulls-stay": (
        '{"ltm_enabled": null, "ltm_threshold": 0, "": "empty key"}',
        (None, "0", None, '{"": "empty key", "ltm_enabled": null}'),
    ),
    "negative-count-stays": (
        '{"ltm_max_retrieved_summaries": -1, "ltm_threshold": 1}',
        (None, "1", None, '{"ltm_max_retrieved_summaries": -1}'),
    ),
    "not-an-object": ('["ltm_enabled"]', (None, None, None, '["ltm_enabled"]')),
    "sql-null": (None, (None, None, None, None)),
}


def load(conn: psycopg.Connection) -> None:
    for slug, (custom, _) in CASES.items():
        conn.execute(
            "INSERT INTO personalities (name, slug, custom_fields) VALUES (%s, %s, %s::jsonb)",
            (slug.title(), slug, custom),
        )
    conn.commit()


def settings(conn: psycopg.Connection) -> dict[str, tuple]:
    return {
        slug: (enabled, None if threshold is None else str(threshold), limit, custom)
        for slug, enabled, threshold, limit, custom in conn.execute(
            "SELECT slug, ltm_enabled, ltm_threshold, ltm_max_retrieved_summaries, "
            "custom_fields::text FROM personalities"
        )
    }


def test_ltm_settings_move_into_columns_and_back_exactly(empty_db_url):
    with psycopg.connect(empty_db_url) as conn:
        migrator = Migrator(conn)
        migrator.migrate(target=8)
        load(conn)
        before = snapshot(conn)
        texts = dict(conn.execute("SELECT slug, custom_fields::text FROM personalities"))

        migrator.migrate(target=9)
        got = settings(conn)
        for slug, (_, expected) in CASES.items():
            enabled, threshold, limit, custom = expected
            custom = None if custom is None else json.dumps(json.loads(custom))
            got_custom = got[slug][3]
            assert got[slug][:3] == (enabled, threshold, limit), slug
            assert (None if got_custom is None else json.dumps(json.loads(got_custom))) == custom

        migrator.rollback(to=8)
        assert snapshot(conn) == before
        # jsonb text keeps the number's scale: 0.700 is back as 0.700, not 0.7
        assert dict(conn.execute("SELECT slug, custom_fields::text FROM personalities")) == texts
        assert '"ltm_threshold": 0.700' in texts["all-three"]

        migrator.migrate(target=9)  # and again, from the rolled-back data
        assert settings(conn)["all-three"][:3] == (True, "0.700", 7)


def test_memories_constraints_and_the_embedding_request_type(empty_db_url):
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        Migrator(conn).migrate(target=9)
        conn.autocommit = True  # the Migrator switched it off
        user = conn.execute(
            "INSERT INTO users (discord_id, username) VALUES ('1', 'u') RETURNING id"
        ).fetchone()[0]
        pid = conn.execute(
            "INSERT INTO personalities (name, slug) VALUES ('P', 'p') RETURNING id"
        ).fetchone()[0]
        insert = (
            "INSERT INTO memories (user_id, personality_id, content, source_interaction_id, "
            "embedding, embedding_model, dims) VALUES (%s, %s, %s, %s, %s::vector, %s, %s)"
        )
        conn.execute(insert, (user, pid, "the cat is called Miso", "10", "[1,0,0]", "m", 3))
        search = conn.execute("SELECT search::text FROM memories").fetchone()[0]
        assert "'cat'" in search and "'miso'" in search  # english stemming, stop words out
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute(insert, (user, pid, "again", "10", None, None, None))
        with pytest.raises(psycopg.errors.CheckViolation):  # dims must match the vector
            conn.execute(insert, (user, pid, "x", "11", "[1,0]", "m", 3))
        with pytest.raises(psycopg.errors.CheckViolation):  # an embedding names its model
            conn.execute(insert, (user, pid, "x", "12", "[1,0,0]", None, 3))
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute(insert, (user, pid, "  ", "13", None, None, None))
        conn.execute(
            "INSERT INTO usage_logs (user_id, provider, model, tokens_in, tokens_out, "
            "tokens_total, request_type) VALUES (%s, 'openai', 'e', 5, 0, 5, 'embedding')",
            (user,),
        )
        conn.execute("INSERT INTO memory_settings (user_id, enabled) VALUES (%s, false)", (user,))
        with pytest.raises(psycopg.errors.UniqueViolation):  # one "all personalities" row
            conn.execute(
                "INSERT INTO memory_settings (user_id, enabled) VALUES (%s, true)", (user,)
            )

        Migrator(conn).rollback(to=8)
        conn.commit()
        assert conn.execute("SELECT request_type, tokens_total FROM usage_logs").fetchall() == [
            ("text", 5)
        ]
        assert conn.execute("SELECT to_regclass('memories')").fetchone()[0] is None
