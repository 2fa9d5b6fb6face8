"""Retrying sooner: after a passing failure a job comes back in seconds, not after the queue's
visibility timeout.

A record the worker reports in batchItemFailures stays invisible until the visibility timeout
(330 s, template.yaml) runs out, which is sized for an attempt that died (the claim lease must
expire first). A retryable failure the worker caught itself (provider overloaded or rate
limited, Discord, the database or KMS unreachable) has no lease to wait for, so the worker
shortens the wait with ChangeMessageVisibility before reporting the record:

- `BASE_SECONDS` × the receive count (10 s, then 20 s), or the provider's or Discord's own
  Retry-After when the failure carries one;
- at most `MAX_SECONDS`;
- and never so long that the remaining receives could not all run, the last one included,
  inside the 15-minute interaction token (each given `ATTEMPT_SECONDS`, the longest worker
  function timeout).

Not on the last receive (the record goes to the DLQ next), and not for `Busy` (another attempt
holds the claim: the normal timeout lets it finish or its lease run out). The call is best
effort: if it fails, the line is logged and the visibility timeout applies as before.
"""

from __future__ import annotations

import math
import os
from datetime import timedelta
from typing import Any

from tzurot.logs import get_logger

BASE_SECONDS = 10
MAX_SECONDS = 120
ATTEMPT_SECONDS = 120  # the longer of the generate (90 s) and image (120 s) function timeouts
TOKEN_LIFETIME = timedelta(minutes=15)  # a job older than this cannot be answered

log = get_logger("tzurot.worker")


def delay_seconds(
    receive_count: int,
    *,
    max_receives: int,
    age: timedelta,
    retry_after: float | None = None,
) -> int:
    """Seconds until the next receive of a job that failed on its `receive_count`th receive,
    `age` after Discord created the interaction."""
    wanted = math.ceil(retry_after) if retry_after is not None else BASE_SECONDS * receive_count
    later = max(max_receives - receive_count, 1)  # receives still to come, this retry included
    # Each later receive may wait this delay and then run for up to ATTEMPT_SECONDS.
    budget = (TOKEN_LIFETIME - age).total_seconds() - later * ATTEMPT_SECONDS
    return max(0, min(wanted, MAX_SECONDS, math.floor(budget / later)))


def retry_after_of(exc: BaseException) -> float | None:
    """The Retry-After a failure (or the failure behind it) carries, in seconds, if any."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        value = getattr(current, "retry_after", None)
        if isinstance(value, int | float) and value >= 0:
            return float(value)
        current = current.__cause__
    return None


def queue_url(event_source_arn: str, client: Any, env: dict[str, str] | None = None) -> str:
    """The URL of the queue an SQS record came from.

    A configured *_QUEUE_URL with that account and name wins (the local stack's); otherwise the
    URL is built the way SQS builds it, on the client's endpoint. Raises ValueError for an ARN
    that is not an SQS queue's.
    """
    parts = event_source_arn.split(":")
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sqs" or not all(parts[4:]):
        raise ValueError(f"not an SQS queue ARN: {event_source_arn!r}")
    account, name = parts[4], parts[5]
    env = os.environ if env is None else env
    for variable in ("GENERATE_QUEUE_URL", "IMAGE_QUEUE_URL"):
        configured = env.get(variable, "").strip().rstrip("/")
        if configured.endswith(f"/{account}/{name}"):
            return configured
    return f"{client.meta.endpoint_url.rstrip('/')}/{account}/{name}"


def bring_back_sooner(record: Any, seconds: int, client: Any = None) -> bool:
    """ChangeMessageVisibility of `record` (a powertools SQSRecord) to `seconds`; False, with a
    log line, when that fails (the queue's visibility timeout then applies)."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        if client is None:
            from tzurot.jobs.queue import sqs_client

            client = sqs_client()
        client.change_message_visibility(
            QueueUrl=queue_url(record.event_source_arn, client),
            ReceiptHandle=record.receipt_handle,
            VisibilityTimeout=seconds,
        )
    except (BotoCoreError, ClientError, ValueError) as exc:
        # The error code only: botocore messages can quote request parameters.
        log.warning(
            "could not bring the job back sooner; the queue's visibility timeout applies",
            extra={"error": _error_code(exc) or type(exc).__name__},
        )
        return False
    log.info("the job comes back sooner", extra={"retry_in_seconds": seconds})
    return True


def _error_code(exc: BaseException) -> str | None:
    response = getattr(exc, "response", None)
    return response.get("Error", {}).get("Code") if isinstance(response, dict) else None
