"""A command that reads tables a migration creates: an unmigrated database is a one-line error."""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable

Run = Callable[[argparse.Namespace], int]


def needs_schema(error: Callable[[], Exception]) -> Callable[[Run], Run]:
    """Turn psycopg's UndefinedTable into `error()` (a TzurotError saying to migrate)."""

    def decorate(run: Run) -> Run:
        @functools.wraps(run)
        def wrapper(args: argparse.Namespace) -> int:
            import psycopg

            try:
                return run(args)
            except psycopg.errors.UndefinedTable:
                raise error() from None

        return wrapper

    return decorate
