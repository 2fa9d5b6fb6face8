"""The embedded PostgreSQL as the CLI uses it when DATABASE_URL is unset, in real processes: it
starts in the state folder, is reused while another process holds it, stops when the last
holder exits (also after a holder was killed), and a folder it cannot start in is one line.

Each `tzurot` here is a subprocess with its own TZUROT_STATE_DIR, never the developer's data.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from tzurot.db.migrations import discover

HOLDER = """
import sys
from tzurot.db import embedded
server = embedded.start()
print(server.get_pid(), flush=True)
sys.stdin.read()  # hold the server until the test closes our stdin
"""
STATUS_APPLIED = [(m.label, "applied") for m in discover()]


def _env(state_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_URL")}
    env.update(TZUROT_STATE_DIR=str(state_dir), **extra)
    return env


def tzurot(state_dir: Path, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tzurot.cli.main", *argv],
        env=_env(state_dir, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _status(out: str) -> list[tuple[str, str]]:
    return [(line.split()[0], line.split()[1]) for line in out.splitlines()]


def postmaster(state_dir: Path) -> int | None:
    """The running server's pid from its postmaster.pid (gone once it has shut down)."""
    try:
        return int((state_dir / "pgdata" / "postmaster.pid").read_text().split()[0])
    except (FileNotFoundError, NotADirectoryError):
        return None


def _holders(state_dir: Path) -> str:
    return (state_dir / "pgdata" / ".handle_pids.json").read_text()


class Holder:
    """Another process holding the embedded server (like a running `tzurot dev`)."""

    def __init__(self, state_dir: Path):
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLDER],
            env=_env(state_dir),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        line = self.process.stdout.readline()
        if not line.strip().isdigit():
            self.process.kill()
            pytest.fail(f"holder did not start: {line!r} {self.process.stderr.read()[-2000:]}")
        self.server_pid = int(line)

    def release(self) -> None:
        self.process.stdin.close()
        assert self.process.wait(timeout=60) == 0

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=60)


@contextmanager
def _scratch() -> Iterator[Path]:
    """A folder of our own (pytest's tmp_path may be pruned by a concurrent pytest run, which
    would pull the data folder from under the server)."""
    folder = Path(tempfile.mkdtemp(prefix="tzurot-embedded-"))
    try:
        yield folder
    finally:
        pid = postmaster(folder)
        if pid is not None:  # a failed test left it running: stop it (fast shutdown)
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGINT)
            deadline = time.monotonic() + 30
            while postmaster(folder) is not None and time.monotonic() < deadline:
                time.sleep(0.1)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def state_dir() -> Iterator[Path]:
    with _scratch() as folder:
        yield folder


@pytest.fixture
def scratch() -> Iterator[Path]:
    with _scratch() as folder:
        yield folder


def test_cli_starts_reuses_and_stops_the_embedded_server(state_dir: Path):
    holder = Holder(state_dir)
    try:
        assert postmaster(state_dir) == holder.server_pid

        migrate = tzurot(state_dir, "db", "migrate")
        assert (migrate.returncode, migrate.stderr) == (0, "")
        assert migrate.stdout == "".join(f"applied {m.label}\n" for m in discover())
        # the CLI attached to the holder's server and left it running when it exited
        assert postmaster(state_dir) == holder.server_pid
        assert _holders(state_dir) == f"[{holder.process.pid}]"
    finally:
        holder.release()
    assert postmaster(state_dir) is None  # the last holder left: the server stopped

    # alone, the CLI starts the server on the same data and stops it again
    status = tzurot(state_dir, "db", "status")
    assert (status.returncode, status.stderr) == (0, "")
    assert _status(status.stdout) == STATUS_APPLIED
    assert postmaster(state_dir) is None
    assert _holders(state_dir) == "[]"


def test_a_killed_holder_does_not_keep_the_server_running_forever(state_dir: Path):
    holder = Holder(state_dir)
    holder.kill()  # never says it left: its pid stays in pgserver's list
    assert postmaster(state_dir) == holder.server_pid
    assert _holders(state_dir) == f"[{holder.process.pid}]"

    status = tzurot(state_dir, "db", "status")
    assert (status.returncode, status.stderr) == (0, "")
    assert _status(status.stdout) == STATUS_APPLIED
    deadline = time.monotonic() + 10
    while postmaster(state_dir) is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert postmaster(state_dir) is None
    assert _holders(state_dir) == "[]"


def test_database_url_is_used_instead_of_the_embedded_server(db_url, scratch: Path):
    status = tzurot(scratch, "db", "status", DATABASE_URL=db_url)
    assert (status.returncode, status.stderr) == (0, "")
    assert _status(status.stdout) == STATUS_APPLIED
    assert list(scratch.iterdir()) == []  # no embedded data folder was made


def test_a_folder_it_cannot_start_in_is_one_line(scratch: Path):
    pgdata = scratch / "pgdata"
    pgdata.write_text("not a data folder")
    status = tzurot(scratch, "personality", "list")
    assert (status.returncode, status.stdout) == (1, "")
    assert status.stderr == (
        f"tzurot: error: embedded PostgreSQL did not start in {pgdata} "
        f"(CalledProcessError; its log: {pgdata / 'log'})\n"
    )


def test_databases_of_killed_test_runs_are_dropped(pg_admin_url: str, db_factory):
    """tests/conftest.py drops tzt_<pid>_... databases whose run is gone (embedded server only)."""
    import psycopg

    from tests.conftest import _drop_leftovers

    if os.environ.get("DATABASE_URL", "").strip():
        pytest.skip("only on the embedded test server (a shared server's pids are not ours)")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    leftover = f"tzt_{gone.pid}_gw9_leftover"
    ours = db_factory.create()  # this run's: kept
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {leftover}")
    _drop_leftovers(pg_admin_url)
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        names = {r[0] for r in conn.execute("SELECT datname FROM pg_database")}
    assert leftover not in names
    assert ours.rsplit("dbname=", 1)[1].split()[0] in names


def test_the_test_cluster_is_kept_small(pg_admin_url: str):
    """tests/conftest.py sets little WAL and no crash safety on the embedded test server (one
    run used to leave 721 MB of WAL)."""
    import psycopg

    from tests.conftest import TEST_CLUSTER_SETTINGS

    if os.environ.get("DATABASE_URL", "").strip():
        pytest.skip("only on the embedded test server (a shared server is not ours to tune)")
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        shown = {name: conn.execute(f"SHOW {name}").fetchone()[0] for name in TEST_CLUSTER_SETTINGS}
    assert shown == TEST_CLUSTER_SETTINGS


_dropped: list[str] = []


def test_a_tests_database_exists_while_it_runs(db_url: str, pg_admin_url: str):
    import psycopg

    name = db_url.rsplit("dbname=", 1)[1].split()[0]
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        assert conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    _dropped.append(name)


def test_and_is_dropped_when_it_ends(pg_admin_url: str):
    """(Runs after the test above, in the same worker: files stay together with --dist
    loadfile.) Dropped at its teardown, not at the end of the session."""
    import psycopg

    assert _dropped, "the test above did not run first"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (_dropped[0],))
        assert row.fetchone() is None
