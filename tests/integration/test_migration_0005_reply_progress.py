"""Migration 0005: processed_interactions.replies_sent (how many parts of an answer reached
Discord), up and down, rows kept."""

from __future__ import annotations

import psycopg
import pytest

from tzurot.db.migrations import Migrator


def columns(conn: psycopg.Connection) -> dict[str, tuple[str, str | None]]:
    return {
        name: (kind, default)
        for name, kind, default in conn.execute(
            "SELECT column_name, data_type, column_default FROM information_schema.columns "
            "WHERE table_name = 'processed_interactions'"
        )
    }


def rows(conn: psycopg.Connection, column: str) -> list[tuple]:
    return conn.execute(f"SELECT interaction_id, {column} FROM processed_interactions").fetchall()


def test_replies_sent_up_and_down_keeps_the_rows(empty_db_url):
    with psycopg.connect(empty_db_url) as conn:
        migrator = Migrator(conn)
        migrator.migrate(target=4)
        conn.execute(
            "INSERT INTO processed_interactions (interaction_id, job_kind, status, reference) "
            "VALUES ('1', 'chat', 'done', 'abcd1234')"
        )
        conn.commit()
        assert "replies_sent" not in columns(conn)

        migrator.migrate(target=5)
        assert columns(conn)["replies_sent"] == ("integer", "0")
        assert rows(conn, "replies_sent") == [("1", 0)]
        with pytest.raises(psycopg.errors.CheckViolation), conn.transaction():
            conn.execute("UPDATE processed_interactions SET replies_sent = -1")

        migrator.rollback(to=4)
        assert "replies_sent" not in columns(conn)
        assert rows(conn, "status") == [("1", "done")]
