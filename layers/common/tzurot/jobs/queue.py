"""Sending jobs to SQS: the generate queue or the image queue, per the command's definition.

Jobs go out through tzurot.jobs.sqs_send: one SendMessage signed with botocore's SigV4Auth,
without a botocore client, whose creation (and full import) would cost a fresh container more
than the rest of the cold /chat path (docs/benchmarks.md). Nothing of it is imported until the
first send, so PING and autocomplete never pay for it. Timeouts and the one retry fit Discord's
3 seconds (tzurot.discord.aws_config).

The workers' one other SQS call, ChangeMessageVisibility (tzurot.jobs.backoff), goes through
`sqs_client()`: botocore's own session (not boto3's, whose import adds s3transfer), with the
same short timeouts, which suit a best-effort call."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tzurot.errors import TzurotError
from tzurot.jobs.sqs_send import SendFailed, reset_sender, sqs_sender

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
    """Forget the cached client and sender (tests that switch between moto instances)."""
    global _sqs_client
    _sqs_client = None
    reset_sender()


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
        extra = {"DelaySeconds": min(delay_seconds, 900)} if delay_seconds > 0 else {}
        client = self._client or sqs_sender()
        try:
            reply = client.send_message(QueueUrl=url, MessageBody=job.to_message(), **extra)
        except SendFailed as exc:
            # The error code (or class) only: a service message is text we do not control.
            raise QueueUnavailable(f"could not enqueue {job.queue} job: {exc.reason}") from None
        return reply["MessageId"]
