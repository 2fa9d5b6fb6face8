"""Migration 0006 (hardening): 64-bit token columns, counts_note, usage per interaction,
claims by receive count, usage reservations; up and down with rows kept."""

from __future__ import annotations

import psycopg
import pytest

from tzurot.db.migrations import Migrator


def column_types(conn, table: str) -> dict[str, str]:
    return dict(
        conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s",
            (table,),
        ).fetchall()
    )


def test_0006_up_and_down_keeps_usage_rows(empty_db_url):
    with psycopg.connect(empty_db_url) as conn:
        migrator = Migrator(conn)
        migrator.migrate(target=5)
        user = conn.execute(
            "INSERT INTO users (discord_id, username) VALUES ('1', 'a') RETURNING id"
        ).fetchone()[0]
        insert = (
            "INSERT INTO usage_logs (user_id, provider, model, tokens_in, tokens_out, "
            "tokens_total, request_type) VALUES (%s, 'openai', 'm', %s, %s, %s, 'text')"
        )
        conn.execute(insert, (user, 10, 5, 15))
        with pytest.raises(psycopg.errors.NumericValueOutOfRange), conn.transaction():
            conn.execute(insert, (user, 2**31, 0, 2**31))
        conn.commit()

        migrator.migrate(target=6)
        types = column_types(conn, "usage_logs")
        assert [types[c] for c in ("tokens_in", "tokens_out", "tokens_total")] == ["bigint"] * 3
        conn.execute(insert, (user, 2**31, 1, 2**31 + 1))
        assert column_types(conn, "processed_interactions")["receive_count"] == "integer"
        assert "usage_reservations" in {
            r[0] for r in conn.execute("SELECT tablename FROM pg_tables").fetchall()
        }
        one = (
            "INSERT INTO usage_logs (user_id, provider, model, tokens_in, tokens_out, "
            "tokens_total, request_type, interaction_id, counts_note) "
            "VALUES (%s, 'openai', 'm', 0, 0, 0, 'text', '99', 'unreadable')"
        )
        conn.execute(one, (user,))
        with pytest.raises(psycopg.errors.UniqueViolation), conn.transaction():
            conn.execute(one, (user,))
        with pytest.raises(psycopg.errors.CheckViolation), conn.transaction():
            conn.execute(one.replace("'99'", "'98'").replace("unreadable", "whatever"), (user,))
        conn.commit()

        migrator.rollback(to=5)
        types = column_types(conn, "usage_logs")
        assert types["tokens_in"] == "integer" and "counts_note" not in types
        assert "receive_count" not in column_types(conn, "processed_interactions")
        rows = conn.execute(
            "SELECT tokens_in, tokens_out, tokens_total FROM usage_logs ORDER BY id"
        ).fetchall()
        assert rows == [(10, 5, 15), (2147483647, 1, 2147483647), (0, 0, 0)]
