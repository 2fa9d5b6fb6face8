"""Migration 0010: personalities.owner_id and visibility (users' own characters), up and down;
existing rows become public and ownerless, and the rollback refuses while private ones exist."""

from __future__ import annotations

import psycopg
import pytest

from tzurot.db.migrations import Migrator


def columns(conn: psycopg.Connection) -> dict[str, tuple[str, str | None]]:
    return {
        name: (kind, default)
        for name, kind, default in conn.execute(
            "SELECT column_name, data_type, column_default FROM information_schema.columns "
            "WHERE table_name = 'personalities' AND column_name IN ('owner_id', 'visibility')"
        )
    }


def test_owner_and_visibility_up_and_down(empty_db_url):
    with psycopg.connect(empty_db_url) as conn:
        migrator = Migrator(conn)
        migrator.migrate(target=5)
        conn.execute("INSERT INTO personalities (name, slug) VALUES ('Lilith', 'lilith')")
        conn.commit()
        assert columns(conn) == {}

        migrator.migrate(target=10)
        assert columns(conn) == {
            "owner_id": ("uuid", None),
            "visibility": ("character varying", "'public'::character varying"),
        }
        assert conn.execute("SELECT slug, owner_id, visibility FROM personalities").fetchall() == [
            ("lilith", None, "public")
        ]
        with pytest.raises(psycopg.errors.CheckViolation), conn.transaction():
            conn.execute("UPDATE personalities SET visibility = 'private'")  # nobody's
        with pytest.raises(psycopg.errors.CheckViolation), conn.transaction():
            conn.execute("UPDATE personalities SET visibility = 'hidden'")
        user_id = conn.execute(
            "INSERT INTO users (discord_id, username) VALUES ('42', 'ann') RETURNING id"
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO personalities (name, slug, owner_id, visibility) "
            "VALUES ('Ann''s', 'anns', %s, 'private')",
            (user_id,),
        )
        conn.commit()

        with pytest.raises(Exception, match=r"1 private character\(s\) exist"):
            migrator.rollback(to=9)
        conn.rollback()
        assert "owner_id" in columns(conn)

        conn.execute("UPDATE personalities SET visibility = 'public'")
        conn.commit()
        migrator.rollback(to=9)
        assert columns(conn) == {}
        assert conn.execute("SELECT slug FROM personalities ORDER BY slug").fetchall() == [
            ("anns",),
            ("lilith",),
        ]

        # deleting a user deletes their characters (after migrating up again)
        migrator.migrate(target=10)
        conn.execute("UPDATE personalities SET owner_id = %s WHERE slug = 'anns'", (user_id,))
        conn.execute("DELETE FROM users WHERE id = %s", (user_id,))
        conn.commit()
        assert conn.execute("SELECT slug FROM personalities").fetchall() == [("lilith",)]
