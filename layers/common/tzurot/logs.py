"""The one way this package logs: a powertools Logger whose output passes through redaction.

Every function and module gets its logger from `get_logger`; nothing logs through anything else.
Two layers keep secrets out (see `tzurot.redaction`):
- every stdlib log record in the process is scrubbed when it is made (message, arguments,
  exception text), whoever logs it: httpx, botocore, our code; test captures see it scrubbed;
- the JSON formatter redacts the whole serialized record again (extra keys, appended keys,
  exception and traceback fields), and drops the string value of any field named like a secret.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from tzurot.redaction import install_redaction, redact

_loggers: dict[str, Logger] = {}


class RedactingFormatter(LambdaPowertoolsFormatter):
    """Redacts secrets from the whole serialized record: message, extra keys and exceptions."""

    def serialize(self, log: dict) -> str:
        return super().serialize(redact(log))


def get_logger(service: str = "tzurot", **kwargs) -> Logger:
    """The redacting logger for `service` (cached per service when no options are given)."""
    install_redaction()
    if kwargs:
        return Logger(service=service, logger_formatter=RedactingFormatter(), **kwargs)
    logger = _loggers.get(service)
    if logger is None:
        logger = _loggers[service] = Logger(service=service, logger_formatter=RedactingFormatter())
    return logger
