"""The one way this package logs: a powertools Logger whose output passes through redaction.

Every function and module gets its logger from `get_logger`; nothing logs through anything else.
Two layers keep secrets out (see `tzurot.redaction`):
- every stdlib log record in the process is scrubbed when it is made (message, arguments,
  exception text), whoever logs it: httpx, botocore, our code; test captures see it scrubbed;
- the JSON formatter redacts the whole serialized record again (extra keys, appended keys,
  exception and traceback fields), and drops the string value of any field named like a secret.
Each record is one line, written whole even while a batch runs jobs in parallel (tzurot.lines).
"""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from tzurot.key_fragments import scrub_current
from tzurot.lines import LineHandler
from tzurot.redaction import install_redaction, redact

_loggers: dict[str, Logger] = {}

# Fields powertools fills from code and the Lambda context, never from data: redacting them only
# mangles them (`location` "_enqueue_wallet_key:123" reads as a "key: value" pair).
_TRUSTED_FIELDS = frozenset(
    {
        "level",
        "location",
        "timestamp",
        "service",
        "sampling_rate",
        "cold_start",
        "function_name",
        "function_memory_size",
        "function_arn",
        "function_request_id",
        "xray_trace_id",
    }
)


class RedactingFormatter(LambdaPowertoolsFormatter):
    """Redacts secrets from the whole serialized record: message, extra keys and exceptions."""

    def serialize(self, log: dict) -> str:
        trusted = {k: v for k, v in log.items() if k in _TRUSTED_FIELDS}
        untrusted = {k: v for k, v in log.items() if k not in _TRUSTED_FIELDS}
        line = super().serialize({**trusted, **redact(untrusted)})
        return scrub_current(line)  # fragments of the keys the current job uses


def get_logger(service: str = "tzurot-app", **kwargs) -> Logger:
    """The redacting logger for `service` (cached per service when no options are given).

    Never name one plain "tzurot": the `tzurot.*` loggers propagate to it and would print twice.
    """
    if service == "tzurot":
        raise ValueError('use a dotted service name such as "tzurot.chat", not "tzurot"')
    install_redaction()
    if kwargs:
        kwargs.setdefault("logger_handler", LineHandler())
        return Logger(service=service, logger_formatter=RedactingFormatter(), **kwargs)
    logger = _loggers.get(service)
    if logger is None:
        logger = _loggers[service] = Logger(
            service=service, logger_formatter=RedactingFormatter(), logger_handler=LineHandler()
        )
    return logger
