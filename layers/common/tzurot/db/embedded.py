"""The embedded PostgreSQL (the `pgserver` wheel) used when DATABASE_URL is unset.

Local development only: the data folder lives under the project (`.tzurot/`, git-ignored).
pgserver reuses a server that is already running on that folder and stops it when the last
process holding a handle exits.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from pathlib import Path

from tzurot.db.errors import DatabaseUnavailable

PROJECT_ROOT = Path(__file__).resolve().parents[4]
STATE_DIR = Path(os.environ.get("TZUROT_STATE_DIR", PROJECT_ROOT / ".tzurot"))
# pgserver's record of the processes holding a handle on a data folder (pgserver==0.1.4).
HOLDERS_FILE = ".handle_pids.json"


def start(pgdata: Path | None = None):
    """Start (or attach to) the embedded server and return its pgserver handle.

    A server that cannot start (a damaged data folder, no disk) is a one-line
    DatabaseUnavailable naming the folder and its log, not pgserver's multi-line dump.
    """
    # Imported here: pgserver is a dev dependency and never present in Lambda.
    try:
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); that is fine.
            warnings.simplefilter("ignore")
            import pgserver
            from pgserver.postgres_server import PostgresServer
    except ImportError:
        raise DatabaseUnavailable(
            "DATABASE_URL is not set and the embedded PostgreSQL (pgserver, a dev dependency) "
            "is not installed"
        ) from None

    # pgserver logs a failed start as pages of command output and server log on stderr; the
    # error below points at the log file instead.
    quiet = logging.getLogger("pgserver")
    quiet.propagate = False
    if not quiet.handlers:
        quiet.addHandler(logging.NullHandler())

    pgdata = pgdata or STATE_DIR / "pgdata"
    try:
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        with PostgresServer._lock:
            _forget_dead_holders(pgdata)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pgserver.get_server(pgdata, cleanup_mode="stop")
    except Exception as exc:
        raise DatabaseUnavailable(
            f"embedded PostgreSQL did not start in {pgdata} ({type(exc).__name__}; "
            f"its log: {pgdata / 'log'})"
        ) from None


def _forget_dead_holders(pgdata: Path) -> None:
    """Drop processes that no longer exist from pgserver's list of handle holders.

    pgserver stops the server when the last holder exits cleanly. A holder that was killed
    (SIGKILL, a crash, a closed terminal) never leaves the list, and then no later process is
    ever the last one: the server would run forever. Called under pgserver's lock.
    """
    path = pgdata / HOLDERS_FILE
    try:
        pids = json.loads(path.read_text())
    except (OSError, ValueError):
        return  # no list yet (first start) or unreadable: pgserver starts a new one
    alive = [pid for pid in pids if process_running(pid)]
    if alive != pids:
        path.write_text(json.dumps(alive))


def process_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True
