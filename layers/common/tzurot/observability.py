"""Metrics and log correlation shared by the three functions.

Metrics are CloudWatch embedded-metric-format lines written by powertools (`single_metric`): no
API call, no IAM permission, nothing lost when a function times out. Namespace "Tzurot"; every
metric has a `function` dimension and a few low-cardinality ones (never a user, guild or model):

| metric          | unit         | dimensions                   |
|-----------------|--------------|------------------------------|
| ColdStart       | Count        | function                     |
| Jobs            | Count        | function, command, outcome   |
| ProviderLatency | Milliseconds | function, provider           |
| Tokens          | Count        | function, provider, kind     |

Correlation: while a piece of work runs, every log record of this process (whatever the logger's
service) carries `correlation_id` = the Discord interaction id (`correlate`, `correlated`), in the
interactions function and again in the worker that picks up the job, plus `function_name` and
`function_request_id` (`instrument`). One CloudWatch Logs Insights query over the three log
groups then finds the whole story. It works through a log record factory, so loggers created
after `correlate` get the keys too, and a log call's own `extra` keys (e.g. interaction_id)
are kept as they are.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

NAMESPACE = "Tzurot"
CORRELATION_KEY = "correlation_id"
# Dimension values become CloudWatch series; anything unexpected is folded into "other" so a
# bug cannot create thousands of series (or put a user's text into a dimension).
_LABEL = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_SNOWFLAKE = re.compile(r"^\d{1,20}$")

_state = {"function": "local", "cold": True}


def _label(value: object) -> str:
    return value if isinstance(value, str) and _LABEL.match(value) else "other"


def _emit(name: str, unit: str, value: float, **dimensions: object) -> None:
    # Imported here: the interactions function's cold start does not pay for the metrics module
    # until it records something.
    from aws_lambda_powertools.metrics.base import SingleMetric

    from tzurot.lines import write_line

    # powertools' single_metric would print() it: two writes, which threads can interleave.
    metric = SingleMetric(namespace=NAMESPACE)
    metric.add_metric(name=name, unit=unit, value=value)
    metric.add_dimension(name="function", value=_state["function"])
    for key, dimension in dimensions.items():
        metric.add_dimension(name=key, value=_label(dimension))
    write_line(json.dumps(metric.serialize_metric_set(), separators=(",", ":")))


def record_cold_start() -> None:
    _emit("ColdStart", "Count", 1)


def record_job(command: str, outcome: str) -> None:
    """One handled SQS record; outcome e.g. ok, user_error, provider_error, expired, duplicate,
    failed, or (the record goes back to the queue) retry, invalid (not a job at all)."""
    _emit("Jobs", "Count", 1, command=command, outcome=outcome)


def record_provider_latency(provider: str, milliseconds: float) -> None:
    _emit("ProviderLatency", "Milliseconds", milliseconds, provider=provider)


def record_tokens(provider: str, *, prompt: int = 0, completion: int = 0) -> None:
    """Tokens one provider call used, by kind (zero counts are not sent)."""
    for kind, count in (("prompt", prompt), ("completion", completion)):
        if count:
            _emit("Tokens", "Count", count, provider=provider, kind=kind)


@contextmanager
def provider_timer(provider: str) -> Iterator[None]:
    """Times the enclosed provider call; the latency is recorded whether it succeeds or not."""
    started = time.perf_counter()
    try:
        yield
    finally:
        record_provider_latency(provider, (time.perf_counter() - started) * 1000)


# Log keys of the work in progress; a ContextVar each, so concurrent threads keep their own.
_log_keys: dict[str, ContextVar[str | None]] = {
    name: ContextVar(name, default=None)
    for name in (CORRELATION_KEY, "function_name", "function_request_id")
}
_factory_installed = False


def _install_record_factory() -> None:
    """Make every LogRecord carry the current log keys (powertools prints record attributes)."""
    global _factory_installed
    if _factory_installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        for name, var in _log_keys.items():
            value = var.get()
            if value is not None:
                setattr(record, name, value)
        return record

    logging.setLogRecordFactory(factory)
    _factory_installed = True


def _set_log_key(name: str, value: str | None) -> None:
    _install_record_factory()
    _log_keys[name].set(value)


def correlate(interaction_id: str | None) -> None:
    """Tag every following log line with this interaction id (until the next invocation)."""
    valid = interaction_id is not None and _SNOWFLAKE.match(str(interaction_id))
    _set_log_key(CORRELATION_KEY, str(interaction_id) if valid else None)


def uncorrelate() -> None:
    _set_log_key(CORRELATION_KEY, None)


@contextmanager
def correlated(interaction_id: str | None) -> Iterator[None]:
    """Correlate the log lines of one piece of work (one SQS record of a batch)."""
    correlate(interaction_id)
    try:
        yield
    finally:
        uncorrelate()


def interaction_id_of(record: dict[str, Any]) -> str | None:
    """The interaction id of an SQS record: the job body's `interaction_id`, if it has one."""
    try:
        body = json.loads(record.get("body") or "")
    except (TypeError, ValueError):
        return None
    value = body.get("interaction_id") if isinstance(body, dict) else None
    return value if isinstance(value, str) and _SNOWFLAKE.match(value) else None


def instrument(function: str) -> Callable[[Callable], Callable]:
    """Decorate a Lambda entry point: function name and request id on every log line, a
    ColdStart metric on the first invocation, no correlation left over from the previous one.

    Works with `context=None` (tests and the local stack call handlers directly).
    """

    def decorate(handler: Callable) -> Callable:
        @functools.wraps(handler)
        def wrapper(event: Any, context: Any = None) -> Any:
            _state["function"] = _label(function)
            uncorrelate()
            _set_log_key("function_name", _state["function"])
            _set_log_key("function_request_id", getattr(context, "aws_request_id", None))
            if _state["cold"]:
                _state["cold"] = False
                record_cold_start()
            return handler(event, context)

        return wrapper

    return decorate
