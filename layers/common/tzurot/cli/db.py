"""`tzurot db migrate|rollback|status|adopt`."""

from __future__ import annotations

import argparse

from tzurot.db.connection import connect
from tzurot.db.migrations import Migrator


def register(subparsers: argparse._SubParsersAction) -> None:
    db = subparsers.add_parser("db", help="database migrations")
    verbs = db.add_subparsers(dest="db_verb", required=True)

    migrate = verbs.add_parser("migrate", help="apply pending migrations")
    migrate.add_argument("--to", type=_version, metavar="N", help="stop after migration N")
    migrate.set_defaults(handler=run_migrate)

    rollback = verbs.add_parser("rollback", help="roll back the newest migration")
    rollback.add_argument(
        "--to", type=_version, metavar="N", help="roll back every migration above N (0: all)"
    )
    rollback.set_defaults(handler=run_rollback)

    status = verbs.add_parser("status", help="list migrations and whether they are applied")
    status.set_defaults(handler=run_status)

    adopt = verbs.add_parser(
        "adopt", help="mark 0001 (legacy tables) as applied on an existing legacy database"
    )
    adopt.set_defaults(handler=run_adopt)


def _version(text: str) -> int:
    """A migration number for --to: a whole number, 0 or more."""
    if not (text.isascii() and text.isdigit()):
        raise argparse.ArgumentTypeError(f"must be a migration number (0 or more), not {text!r}")
    return int(text)


def run_migrate(args: argparse.Namespace) -> int:
    with connect() as conn:
        applied = Migrator(conn).migrate(target=args.to)
    for migration in applied:
        print(f"applied {migration.label}")
    if not applied:
        print("database is up to date")
    return 0


def run_rollback(args: argparse.Namespace) -> int:
    with connect() as conn:
        undone = Migrator(conn).rollback(to=args.to)
    for migration in undone:
        print(f"rolled back {migration.label}")
    if not undone:
        print("nothing to roll back")
    return 0


def run_status(args: argparse.Namespace) -> int:
    with connect() as conn:
        rows = Migrator(conn).status()
    for row in rows:
        state = f"applied {row.applied_at:%Y-%m-%d %H:%M:%S}" if row.applied_at else "pending"
        if row.changed:
            state += " (file changed since it was applied)"
        print(f"{row.migration.label:40} {state}")
    return 0


def run_adopt(args: argparse.Namespace) -> int:
    with connect() as conn:
        migration = Migrator(conn).adopt_legacy()
    print(f"marked {migration.label} as applied (adopted existing legacy tables)")
    return 0
