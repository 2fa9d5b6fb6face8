"""The migration runner against a real PostgreSQL: apply, status, rollback, adopt, locking."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from tzurot.db.errors import MigrationError
from tzurot.db.migrations import Migration, Migrator, discover


def _tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchall()
    return {r[0] for r in rows}


def test_discover_pairs_up_and_down_files():
    migrations = discover()
    assert [m.version for m in migrations][:3] == [1, 2, 3]
    assert all(m.up_sql.strip() and m.down_sql.strip() for m in migrations)


def test_migrate_status_and_rollback_to(empty_db_url):
    with psycopg.connect(empty_db_url) as conn:
        migrator = Migrator(conn)
        applied = migrator.migrate()
        assert [m.version for m in applied] == [m.version for m in discover()]
        assert all(s.applied_at is not None for s in migrator.status())
        assert migrator.migrate() == []

        undone = migrator.rollback(to=1)
        assert [m.version for m in undone] == sorted(
            (m.version for m in discover() if m.version > 1), reverse=True
        )
        status = {s.migration.version: s.applied_at for s in migrator.status()}
        assert status[1] is not None and status[2] is None

    tables = _tables(empty_db_url)
    assert "personalities" in tables and "personality_aliases" not in tables


def test_rollback_without_to_undoes_only_the_newest(empty_db_url):
    with psycopg.connect(empty_db_url) as conn:
        migrator = Migrator(conn)
        migrator.migrate()
        newest = discover()[-1]
        assert [m.version for m in migrator.rollback()] == [newest.version]


def test_failed_migration_leaves_database_unchanged(empty_db_url):
    broken = [
        *discover()[:1],
        Migration(2, "broken", "CREATE TABLE half_done (id int); SELECT 1/0;", "SELECT 1;"),
    ]
    with psycopg.connect(empty_db_url) as conn:
        migrator = Migrator(conn, broken)
        with pytest.raises(MigrationError, match=r"0002_broken failed: division by zero"):
            migrator.migrate()
        assert [s.applied_at is not None for s in migrator.status()] == [True, False]
    assert "half_done" not in _tables(empty_db_url)


def test_adopt_marks_0001_applied_without_running_it(empty_db_url):
    legacy = discover()[0]
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        conn.execute(legacy.up_sql)  # an "existing" legacy database, made outside the runner
    with psycopg.connect(empty_db_url) as conn:
        migrator = Migrator(conn)
        assert migrator.adopt_legacy().version == 1
        applied = migrator.migrate()
        assert 1 not in [m.version for m in applied]
        assert 2 in [m.version for m in applied]
        with pytest.raises(MigrationError, match="already recorded"):
            migrator.adopt_legacy()


def test_adopt_refuses_a_database_without_legacy_tables(empty_db_url):
    with psycopg.connect(empty_db_url) as conn, pytest.raises(MigrationError, match="lacks"):
        Migrator(conn).adopt_legacy()


def test_two_runners_never_apply_a_migration_twice(empty_db_url):
    errors: list[BaseException] = []
    results: list[list[int]] = []

    def run() -> None:
        try:
            with psycopg.connect(empty_db_url) as conn:
                results.append([m.version for m in Migrator(conn).migrate()])
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    applied = sorted(v for r in results for v in r)
    assert applied == [m.version for m in discover()]


def test_a_runner_waits_for_the_migration_lock(empty_db_url):
    """While another session holds the lock, a runner applies nothing; it proceeds on release."""
    from tzurot.db.migrations import MIGRATION_LOCK_ID

    with psycopg.connect(empty_db_url, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_ID,))
        results: list[list[int]] = []

        def run() -> None:
            with psycopg.connect(empty_db_url) as conn:
                results.append([m.version for m in Migrator(conn).migrate()])

        runner = threading.Thread(target=run)
        runner.start()
        deadline = time.monotonic() + 30
        while not _waiting_for_advisory_lock(other) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _waiting_for_advisory_lock(other)
        time.sleep(0.2)
        assert runner.is_alive()  # still blocked on the lock, nothing applied
        assert "personalities" not in _tables(empty_db_url)

        other.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK_ID,))
        runner.join(timeout=60)
    assert not runner.is_alive()
    assert results == [[m.version for m in discover()]]


def _waiting_for_advisory_lock(conn: psycopg.Connection) -> bool:
    """Whether a session of this database waits for an advisory lock."""
    return conn.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))"
    ).fetchone()[0]


def test_status_flags_a_migration_edited_after_it_was_applied(empty_db_url):
    original = discover()
    with psycopg.connect(empty_db_url) as conn:
        Migrator(conn, original).migrate()
        edited = [
            Migration(m.version, m.name, m.up_sql + "\n-- edited", m.down_sql)
            if m.version == 2
            else m
            for m in original
        ]
        changed = {s.migration.version: s.changed for s in Migrator(conn, edited).status()}
    assert changed[2] is True
    assert not any(flag for version, flag in changed.items() if version != 2)


def test_status_does_not_flag_an_adopted_legacy_migration(empty_db_url):
    legacy = discover()[0]
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        conn.execute(legacy.up_sql)
    with psycopg.connect(empty_db_url) as conn:
        migrator = Migrator(conn)
        migrator.adopt_legacy()
        first = migrator.status()[0]
    assert first.applied_at is not None and first.changed is False
