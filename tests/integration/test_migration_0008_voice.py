"""Migration 0008: user_voice_settings, users.voice_hint_shown_at and the voice progress of a
job (processed_interactions.voice_status, voice_audio), up and down, rows kept.

Independent of the migrations numbered between 0005 and 0008 (other branches add them): it
migrates to 7, whatever that includes, and back."""

from __future__ import annotations

import psycopg
import pytest

from tzurot.db.migrations import Migrator


def columns(conn: psycopg.Connection, table: str) -> dict[str, str]:
    return dict(
        conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s",
            (table,),
        ).fetchall()
    )


def table_exists(conn: psycopg.Connection, table: str) -> bool:
    return conn.execute("SELECT to_regclass(%s) IS NOT NULL", (table,)).fetchone()[0]


def test_voice_schema_up_and_down_keeps_the_rows(empty_db_url):
    with psycopg.connect(empty_db_url) as conn:
        migrator = Migrator(conn)
        migrator.migrate(target=7)
        user_id = conn.execute(
            "INSERT INTO users (discord_id, username) VALUES ('42', 'ann') RETURNING id"
        ).fetchone()[0]
        pid = conn.execute(
            "INSERT INTO personalities (name, slug) VALUES ('Lilith', 'lilith') RETURNING id"
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO processed_interactions (interaction_id, job_kind, status, reference) "
            "VALUES ('1', 'chat', 'done', 'abcd1234')"
        )
        conn.commit()
        assert not table_exists(conn, "user_voice_settings")
        assert "voice_hint_shown_at" not in columns(conn, "users")

        migrator.migrate(target=8)
        assert columns(conn, "users")["voice_hint_shown_at"] == "timestamp with time zone"
        assert columns(conn, "processed_interactions")["voice_status"] == "character varying"
        assert columns(conn, "processed_interactions")["voice_audio"] == "bytea"
        assert conn.execute(
            "SELECT voice_status, voice_audio, replies_sent FROM processed_interactions"
        ).fetchall() == [(None, None, 0)]
        assert conn.execute("SELECT voice_hint_shown_at FROM users").fetchall() == [(None,)]

        # One default and one per-personality choice per user; a second default is refused.
        conn.execute(
            "INSERT INTO user_voice_settings (user_id, personality_id, enabled) "
            "VALUES (%s, NULL, false), (%s, %s, true)",
            (user_id, user_id, pid),
        )
        with pytest.raises(psycopg.errors.UniqueViolation), conn.transaction():
            conn.execute(
                "INSERT INTO user_voice_settings (user_id, personality_id, enabled) "
                "VALUES (%s, NULL, true)",
                (user_id,),
            )
        with pytest.raises(psycopg.errors.CheckViolation), conn.transaction():
            conn.execute("UPDATE processed_interactions SET voice_status = 'spoken'")
        conn.execute("UPDATE processed_interactions SET voice_status = 'sent'")
        # Deleting the personality takes its setting along; the default stays.
        conn.execute("DELETE FROM personalities WHERE id = %s", (pid,))
        assert conn.execute(
            "SELECT personality_id, enabled FROM user_voice_settings"
        ).fetchall() == [(None, False)]
        conn.commit()

        migrator.rollback(to=7)
        assert not table_exists(conn, "user_voice_settings")
        assert "voice_hint_shown_at" not in columns(conn, "users")
        assert "voice_status" not in columns(conn, "processed_interactions")
        assert conn.execute(
            "SELECT interaction_id, status, replies_sent FROM processed_interactions"
        ).fetchall() == [("1", "done", 0)]
        assert conn.execute("SELECT discord_id FROM users").fetchall() == [("42",)]
