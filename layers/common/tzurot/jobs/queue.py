"""Sending jobs to SQS: the generate queue or the image queue, per the command's definition.

The SQS client is created on first send and reused for the life of the container; botocore is
imported only then, so PING and autocomplete never pay for it. It is botocore's own session, not
boto3's: boto3 adds nothing this one call needs and its import (s3transfer included) is about a
fifth more on the cold /chat path (docs/benchmarks.md). Its timeouts fit Discord's
3 seconds (tzurot.discord.aws_config). The workers use the same client for their one SQS call,
ChangeMessageVisibility (tzurot.jobs.backoff), where short timeouts suit a best-effort call.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tzurot.errors import TzurotError

if TYPE_CHECKING:
    from tzurot.jobs.model import Job

_sqs_client: Any = None
_botocore_session: Any = None
_client_lock = threading.Lock()  # a worker's batch threads; boto3 client creation is not safe


class QueueUnavailable(TzurotError):
    """The job could not be handed to SQS (queue not configured, unreachable, or refused)."""


def sqs_client() -> Any:
    """The container's SQS client (honours AWS_ENDPOINT_URL and the region variables)."""
    global _sqs_client, _botocore_session
    if _sqs_client is None:
        with _client_lock:
            if _sqs_client is None:
                import botocore.session

                from tzurot.discord.aws_config import request_path_config

                if _botocore_session is None:  # kept: its loaded service models are reused
                    _botocore_session = botocore.session.get_session()
                _sqs_client = _botocore_session.create_client("sqs", config=request_path_config())
    return _sqs_client


def reset_client() -> None:
    """Forget the cached client (tests that switch between moto instances)."""
    global _sqs_client
    _sqs_client = None


class JobQueue:
    def __init__(self, urls: Mapping[str, str | None], client: Any = None):
        self._urls = dict(urls)
        self._client = client

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> JobQueue:
        env = os.environ if env is None else env
        return cls(
            {
                "generate": env.get("GENERATE_QUEUE_URL", "").strip() or None,
                "image": env.get("IMAGE_QUEUE_URL", "").strip() or None,
            }
        )

    def send(self, job: Job, *, delay_seconds: int = 0) -> str:
        """Enqueue `job` (visible after `delay_seconds`, at most 900); returns the message id."""
        url = self._urls.get(job.queue)
        if not url:
            raise QueueUnavailable(f"no queue configured for {job.queue} jobs")
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            # Inside the try: a client that cannot be made (no region, say) is an outage too.
            client = self._client or sqs_client()
            extra = {"DelaySeconds": min(delay_seconds, 900)} if delay_seconds > 0 else {}
            reply = client.send_message(QueueUrl=url, MessageBody=job.to_message(), **extra)
        except (BotoCoreError, ClientError) as exc:
            # The error code (or class) only: a service message is text we do not control.
            reason = (
                exc.response.get("Error", {}).get("Code", "ClientError")
                if isinstance(exc, ClientError)
                else type(exc).__name__
            )
            raise QueueUnavailable(f"could not enqueue {job.queue} job: {reason}") from None
        return reply["MessageId"]
