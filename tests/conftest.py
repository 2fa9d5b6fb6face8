"""Shared fixtures: a real PostgreSQL for every test that touches data.

With DATABASE_URL set, tests create their databases on that server; otherwise they start an
embedded server (pgserver) in `.tzurot/pgdata-test`, apart from the developer's dev data. Each
test run (each xdist worker) gets its own template database, migrated once, and each test that
asks for `db_url` gets a fresh copy of it.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from tzurot.db import connection
from tzurot.db.migrations import Migrator

PROJECT_ROOT = Path(__file__).resolve().parents[1]
REFERENCE_DIR = PROJECT_ROOT / "tests" / "reference"


def _with_database(url: str, dbname: str) -> str:
    params = conninfo_to_dict(url)
    params["dbname"] = dbname
    return make_conninfo(**params)


@pytest.fixture(scope="session", autouse=True)
def _never_the_dev_database() -> Iterator[None]:
    """A test that opens a database without these fixtures (DATABASE_URL unset) would start the
    developer's embedded server and work on their data: make it fail instead."""
    from tzurot.db import embedded

    dev_data = (embedded.STATE_DIR / "pgdata").resolve()
    real_start = embedded.start

    def start(pgdata: Path | None = None):
        target = (pgdata or embedded.STATE_DIR / "pgdata").resolve()
        if target == dev_data:
            # pytest.fail raises a BaseException: the CLI's catch-all cannot swallow it
            pytest.fail("a test reached the developer's database: use the db_url or db fixture")
        return real_start(pgdata)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(embedded, "start", start)
        yield


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """A URL to a maintenance database on the test server (never the dev data)."""
    external = os.environ.get("DATABASE_URL", "").strip()
    if external:
        yield external
        return
    from tzurot.db import embedded

    server = embedded.start(embedded.STATE_DIR / "pgdata-test")
    admin_url = server.get_uri("postgres")
    _keep_small(admin_url)
    _drop_leftovers(admin_url)
    yield admin_url


# The test cluster holds throwaway databases: no crash safety, and WAL recycled early. Each
# test's database is a copy of a migrated template, written to the WAL block by block (about
# 4.5 MB); with the defaults (max_wal_size 1GB) one run left 721 MB of WAL behind. Not
# wal_level=minimal: it doubles the WAL of each CREATE DATABASE (bench/bench_test_cluster.py).
TEST_CLUSTER_SETTINGS = {
    "max_wal_size": "32MB",
    "min_wal_size": "32MB",
    "wal_keep_size": "0",
    "full_page_writes": "off",
    "fsync": "off",
    "synchronous_commit": "off",
}


def _keep_small(admin_url: str) -> None:
    """Apply TEST_CLUSTER_SETTINGS (written as SHOW shows them) to the embedded test server,
    never to a DATABASE_URL one; a reload when one differs."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        changed = False
        for name, value in TEST_CLUSTER_SETTINGS.items():
            if conn.execute("SELECT current_setting(%s)", (name,)).fetchone()[0] != value:
                conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
                changed = True
        if changed:
            conn.execute("SELECT pg_reload_conf()")


def _drop_leftovers(admin_url: str) -> None:
    """Drop the databases of test runs that were killed before their teardown (named
    tzt_<pid>_...; that process is gone). Only on the embedded server: the pids of another
    machine's runs on a shared DATABASE_URL server mean nothing here."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        names = [r[0] for r in conn.execute("SELECT datname FROM pg_database")]
        for name in names:
            parts = name.split("_")
            if len(parts) < 3 or parts[0] != "tzt" or not parts[1].isdigit():
                continue
            try:
                os.kill(int(parts[1]), 0)
                continue  # that run is still going
            except ProcessLookupError:
                pass
            except PermissionError:
                continue
            with contextlib.suppress(psycopg.Error):  # another worker dropped it first
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class DatabaseFactory:
    """Creates and drops throwaway databases on the test server."""

    def __init__(self, admin_url: str, prefix: str):
        self.admin_url = admin_url
        self.prefix = prefix
        self.created: list[str] = []

    def create(self, template: str | None = None) -> str:
        name = f"{self.prefix}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            clause = f" TEMPLATE {template}" if template else ""
            conn.execute(f"CREATE DATABASE {name}{clause}")
        self.created.append(name)
        return _with_database(self.admin_url, name)

    def drop(self, url: str) -> None:
        """Drop one database now (a test's own), so the cluster holds only the running ones."""
        name = conninfo_to_dict(url)["dbname"]
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.created.remove(name)

    def drop_all(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            for name in self.created:
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.created.clear()


@pytest.fixture(scope="session")
def db_factory(pg_admin_url: str, worker_id: str) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(pg_admin_url, f"tzt_{os.getpid()}_{worker_id}")
    yield factory
    factory.drop_all()


@pytest.fixture(scope="session")
def migrated_template(db_factory: DatabaseFactory) -> str:
    """Name of a database with every migration applied, used as a template for fresh copies."""
    url = db_factory.create()
    with psycopg.connect(url) as conn:
        Migrator(conn).migrate()
    return conninfo_to_dict(url)["dbname"]


@pytest.fixture
def empty_db_url(db_factory: DatabaseFactory, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh database with nothing in it; DATABASE_URL points at it for the test."""
    url = db_factory.create()
    monkeypatch.setenv("DATABASE_URL", url)
    connection.reset_shared_connection()
    yield url
    connection.reset_shared_connection()
    db_factory.drop(url)


@pytest.fixture
def db_url(
    db_factory: DatabaseFactory, migrated_template: str, monkeypatch: pytest.MonkeyPatch
) -> str:
    """A fresh, fully migrated database; DATABASE_URL points at it for the test."""
    url = db_factory.create(template=migrated_template)
    monkeypatch.setenv("DATABASE_URL", url)
    connection.reset_shared_connection()
    yield url
    connection.reset_shared_connection()
    db_factory.drop(url)


@pytest.fixture
def db(db_url: str) -> Iterator[psycopg.Connection]:
    """An autocommit connection to a fresh, fully migrated database."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="session")
def specs_dir() -> Path:
    """The parts of the vendors' OpenAPI files the tests use, kept in tests/reference (see
    tests/reference/extract.py): present in every clone, so no test skips for want of them."""
    return REFERENCE_DIR
