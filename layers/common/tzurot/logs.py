"""The one way this package logs: a powertools Logger whose output passes through redaction.

Every function and module gets its logger from `get_logger`; nothing logs through anything else.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from tzurot.redaction import redact


class RedactingFormatter(LambdaPowertoolsFormatter):
    """Redacts secrets from the whole serialized record: message, extra keys and exceptions."""

    def serialize(self, log: dict) -> str:
        return super().serialize(redact(log))


def get_logger(service: str = "tzurot", **kwargs) -> Logger:
    return Logger(service=service, logger_formatter=RedactingFormatter(), **kwargs)
