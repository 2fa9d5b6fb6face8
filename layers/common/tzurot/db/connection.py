"""Connections: one URL resolution rule and one cached connection per process (Lambda container).

With DATABASE_URL set, that server is used. Without it (local development only) the embedded
PostgreSQL is started on first use.
"""

from __future__ import annotations

import os

import psycopg

from tzurot.db.errors import DatabaseUnavailable, DatabaseUrlInvalid

CONNECT_TIMEOUT_SECONDS = 5

_embedded_server = None  # keeps the pgserver handle alive for the life of the process
_cached: psycopg.Connection | None = None


def database_url() -> str:
    """The URL to use: DATABASE_URL, else the embedded server's (started on demand)."""
    from tzurot.secrets import resolve_into

    resolve_into(os.environ)  # Lambda: DATABASE_URL_SECRET_ARN / _PARAMETER -> DATABASE_URL
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        return url
    global _embedded_server
    if _embedded_server is None:
        from tzurot.db import embedded

        _embedded_server = embedded.start()
    return _embedded_server.get_uri("postgres")


def connect(url: str | None = None, *, autocommit: bool = False) -> psycopg.Connection:
    """Open a new connection; unreachable servers raise DatabaseUnavailable, unparsable URLs
    DatabaseUrlInvalid, each one line without the password."""
    try:
        return psycopg.connect(
            url or database_url(),
            autocommit=autocommit,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            application_name="tzurot",
        )
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailable(f"database unreachable: {_reason(exc)}") from None
    except psycopg.ProgrammingError as exc:
        # libpq's parse errors quote the URL, password included: `_reason` redacts it.
        raise DatabaseUrlInvalid(f"database URL is not valid: {_reason(exc)}") from None


def _reason(exc: Exception) -> str:
    """The driver's first line, with any password it quotes redacted."""
    from tzurot.redaction import redact_text

    text = str(exc).strip()
    return redact_text(text.splitlines()[0]) if text else type(exc).__name__


def shared_connection() -> psycopg.Connection:
    """The process-wide autocommit connection, reopened when it was closed or broke.

    Lambda runs one invocation at a time per container, so one connection is enough; callers
    that need a transaction use `with conn.transaction():`.
    """
    global _cached
    if _cached is None or _cached.closed or _cached.broken:
        _cached = connect(autocommit=True)
    return _cached


def reset_shared_connection() -> None:
    global _cached
    if _cached is not None and not _cached.closed:
        _cached.close()
    _cached = None
