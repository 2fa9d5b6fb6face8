"""The embedded PostgreSQL (the `pgserver` wheel) used when DATABASE_URL is unset.

Local development only: the data folder lives under the project (`.tzurot/`, git-ignored).
pgserver reuses a server that is already running on that folder and stops it when the last
process holding a handle exits.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[4]
STATE_DIR = Path(os.environ.get("TZUROT_STATE_DIR", PROJECT_ROOT / ".tzurot"))


def start(pgdata: Path | None = None):
    """Start (or attach to) the embedded server and return its pgserver handle."""
    # Imported here: pgserver is a dev dependency and never present in Lambda.
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); the fallback is fine.
        warnings.simplefilter("ignore")
        import pgserver

    pgdata = pgdata or STATE_DIR / "pgdata"
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pgserver.get_server(pgdata, cleanup_mode="stop")


def database_uri(server, database: str = "postgres") -> str:
    return server.get_uri(database)
