"""Database errors that callers branch on."""

from tzurot.errors import TzurotError


class DatabaseError(TzurotError):
    """Base class for database failures the application reports to a person."""


class DatabaseUnavailable(DatabaseError):
    """The server could not be reached or refused the connection."""


class DatabaseUrlInvalid(DatabaseUnavailable):
    """The database URL cannot be parsed (an operator's mistake; the message omits its password)."""


class MigrationError(DatabaseError):
    """A migration could not be applied or rolled back; the database is left as it was."""
