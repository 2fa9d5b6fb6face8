"""`tzurot dev`: the whole stack on one machine.

Starts the embedded PostgreSQL (unless DATABASE_URL is set), applies migrations, and reports
what is running until interrupted.
"""

from __future__ import annotations

import argparse
import os
import threading

from tzurot.db.connection import connect, database_url
from tzurot.db.migrations import Migrator


def register(subparsers: argparse._SubParsersAction) -> None:
    dev = subparsers.add_parser("dev", help="run the whole stack locally")
    dev.add_argument(
        "--once",
        action="store_true",
        help="set everything up, print what is running, and exit (for scripts and tests)",
    )
    dev.set_defaults(handler=run)


def _describe_database() -> str:
    if os.environ.get("DATABASE_URL", "").strip():
        return "PostgreSQL from DATABASE_URL"
    from tzurot.db.embedded import STATE_DIR

    return f"embedded PostgreSQL (data in {STATE_DIR / 'pgdata'})"


def run(args: argparse.Namespace) -> int:
    database_url()  # starts the embedded server when DATABASE_URL is unset
    with connect() as conn:
        applied = Migrator(conn).migrate()
    print(f"database: {_describe_database()}")
    print(f"migrations: {len(applied)} applied now, schema up to date")
    if args.once:
        return 0
    print("tzurot dev is running; press Ctrl-C to stop")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        print("stopping")
    return 0
