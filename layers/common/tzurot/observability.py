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

Correlation: the interaction id is appended to every log line of the shared "tzurot" logger while
a piece of work runs (`correlate`, `correlated`), in the interactions function and again in the
worker that picks up the job, so one CloudWatch Logs Insights query finds the whole story.
"""

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from tzurot.logs import get_logger

NAMESPACE = "Tzurot"
CORRELATION_KEY = "interaction_id"
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
    from aws_lambda_powertools.metrics import single_metric

    base = {"function": _state["function"]}
    with single_metric(
        name=name, unit=unit, value=value, namespace=NAMESPACE, default_dimensions=base
    ) as metric:
        for key, dimension in dimensions.items():
            metric.add_dimension(name=key, value=_label(dimension))


def record_cold_start() -> None:
    _emit("ColdStart", "Count", 1)


def record_job(command: str, outcome: str) -> None:
    """One finished job; outcome e.g. ok, user_error, provider_error, expired, duplicate, failed."""
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


def correlate(interaction_id: str | None) -> None:
    """Add the interaction id to every following log line (until the next invocation)."""
    if interaction_id and _SNOWFLAKE.match(str(interaction_id)):
        get_logger().append_keys(**{CORRELATION_KEY: str(interaction_id)})


def uncorrelate() -> None:
    get_logger().remove_keys([CORRELATION_KEY])


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
    value = body.get(CORRELATION_KEY) if isinstance(body, dict) else None
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
            logger = get_logger()
            logger.remove_keys([CORRELATION_KEY, "request_id"])
            logger.append_keys(function=_state["function"])
            request_id = getattr(context, "aws_request_id", None)
            if request_id:
                logger.append_keys(request_id=request_id)
            if _state["cold"]:
                _state["cold"] = False
                record_cold_start()
            return handler(event, context)

        return wrapper

    return decorate
