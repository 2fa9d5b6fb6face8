"""A small migration runner for numbered SQL files, each with a rollback.

Files live in `db/migrations/` as `NNNN_name.up.sql` and `NNNN_name.down.sql`. Each migration
runs in its own transaction holding a transaction-scoped advisory lock, and re-reads what is
applied once it holds the lock, so two runners started together never interleave or apply a
migration twice.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psycopg

from tzurot.db.errors import MigrationError

# Any constant works; it only has to be the same for every runner.
MIGRATION_LOCK_ID = 7_305_117_001
_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.(up|down)\.sql$")
# Legacy tables that must exist before `adopt` marks 0001 as applied.
LEGACY_TABLES = (
    "users",
    "system_prompts",
    "personalities",
    "llm_configs",
    "personality_default_configs",
    "user_personality_configs",
)


def default_directory() -> Path:
    configured = os.environ.get("TZUROT_MIGRATIONS_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[4] / "db" / "migrations"


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    up_sql: str
    down_sql: str

    @property
    def label(self) -> str:
        return f"{self.version:04d}_{self.name}"

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.up_sql.encode()).hexdigest()


@dataclass(frozen=True)
class MigrationStatus:
    migration: Migration
    applied_at: datetime | None
    # The file's up SQL differs from what was applied (edited after the fact): worth a look,
    # since a database migrated before the edit does not have the change.
    changed: bool = False


def discover(directory: Path | None = None) -> list[Migration]:
    directory = directory or default_directory()
    if not directory.is_dir():
        raise MigrationError(f"migrations folder not found: {directory}")
    parts: dict[int, dict[str, str]] = {}
    names: dict[int, str] = {}
    for path in sorted(directory.iterdir()):
        match = _FILE.match(path.name)
        if not match:
            continue
        version, name, direction = int(match[1]), match[2], match[3]
        if names.setdefault(version, name) != name:
            raise MigrationError(f"two migrations share number {version:04d}")
        parts.setdefault(version, {})[direction] = path.read_text()
    migrations = []
    for version in sorted(parts):
        sql = parts[version]
        if "up" not in sql or "down" not in sql:
            missing = "up" if "up" not in sql else "down"
            raise MigrationError(f"migration {version:04d}_{names[version]} has no {missing} file")
        migrations.append(Migration(version, names[version], sql["up"], sql["down"]))
    return migrations


def _describe(exc: psycopg.Error) -> str:
    diag = getattr(exc, "diag", None)
    primary = diag.message_primary if diag is not None else None
    return primary or str(exc).strip().splitlines()[0]


@contextmanager
def _failing_as(what: str) -> Iterator[None]:
    """Driver errors (no privilege, connection lost) become one MigrationError line."""
    try:
        yield
    except psycopg.Error as exc:
        raise MigrationError(f"{what} failed: {_describe(exc)}") from None


class Migrator:
    """Applies and rolls back migrations on one connection (autocommit is switched off)."""

    def __init__(self, conn: psycopg.Connection, migrations: list[Migration] | None = None):
        self.conn = conn
        self.migrations = migrations if migrations is not None else discover()
        self.conn.autocommit = False

    def _locked(self) -> psycopg.Cursor:
        cur = self.conn.cursor()
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_ID,))
        cur.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   version integer PRIMARY KEY,
                   name text NOT NULL,
                   checksum text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now(),
                   adopted boolean NOT NULL DEFAULT false
               )"""
        )
        return cur

    def _applied(self, cur: psycopg.Cursor) -> dict[int, datetime]:
        cur.execute("SELECT version, applied_at FROM schema_migrations")
        return dict(cur.fetchall())

    def status(self) -> list[MigrationStatus]:
        with _failing_as("reading the migration status"), self.conn.transaction():
            cur = self._locked()
            cur.execute("SELECT version, applied_at, checksum, adopted FROM schema_migrations")
            applied = {row[0]: row[1:] for row in cur.fetchall()}
        statuses = []
        for m in self.migrations:
            applied_at, checksum, adopted = applied.get(m.version, (None, None, False))
            changed = applied_at is not None and not adopted and checksum != m.checksum
            statuses.append(MigrationStatus(m, applied_at, changed))
        return statuses

    def migrate(self, target: int | None = None) -> list[Migration]:
        """Apply every pending migration up to `target` (all when None); return those applied."""
        done = []
        for migration in self.migrations:
            if target is not None and migration.version > target:
                break
            try:
                with self.conn.transaction():
                    cur = self._locked()
                    if migration.version in self._applied(cur):
                        continue
                    cur.execute(migration.up_sql)
                    cur.execute(
                        "INSERT INTO schema_migrations (version, name, checksum) "
                        "VALUES (%s, %s, %s)",
                        (migration.version, migration.name, migration.checksum),
                    )
            except psycopg.Error as exc:
                raise MigrationError(
                    f"migration {migration.label} failed: {_describe(exc)}"
                ) from None
            done.append(migration)
        return done

    def rollback(self, to: int | None = None) -> list[Migration]:
        """Roll back the newest migration, or every migration above version `to`."""
        with _failing_as("reading the migration status"), self.conn.transaction():
            applied = self._applied(self._locked())
        if not applied:
            return []
        floor = max(applied) - 1 if to is None else to
        undone = []
        for migration in reversed(self.migrations):
            if migration.version <= floor:
                break
            try:
                with self.conn.transaction():
                    cur = self._locked()
                    if migration.version not in self._applied(cur):
                        continue
                    cur.execute(migration.down_sql)
                    cur.execute(
                        "DELETE FROM schema_migrations WHERE version = %s", (migration.version,)
                    )
            except psycopg.Error as exc:
                raise MigrationError(
                    f"rollback of {migration.label} failed: {_describe(exc)}"
                ) from None
            undone.append(migration)
        return undone

    def adopt_legacy(self) -> Migration:
        """Mark 0001 (the legacy tables) as applied without running it, for an existing database."""
        first = self.migrations[0]
        with _failing_as(f"adopting {first.label}"), self.conn.transaction():
            cur = self._locked()
            if first.version in self._applied(cur):
                raise MigrationError(f"{first.label} is already recorded as applied")
            cur.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema() AND table_name = ANY(%s)",
                (list(LEGACY_TABLES),),
            )
            found = {row[0] for row in cur.fetchall()}
            missing = [t for t in LEGACY_TABLES if t not in found]
            if missing:
                raise MigrationError(
                    "cannot adopt: this database lacks the legacy tables " + ", ".join(missing)
                )
            cur.execute(
                "INSERT INTO schema_migrations (version, name, checksum, adopted) "
                "VALUES (%s, %s, %s, true)",
                (first.version, first.name, first.checksum),
            )
        return first
