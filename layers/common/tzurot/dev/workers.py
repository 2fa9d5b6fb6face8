"""The worker side of `tzurot dev`: queue pollers calling the worker handlers, and the local
Discord sink their replies can go to.

What Lambda's SQS event source mapping does, on one machine: long-poll a queue, hand the batch
to the function's handler as an SQS event (with the ApproximateReceiveCount attribute the
handler uses to spot the last receive, and the queue's ARN and real receipt handles), delete the
messages it handled, and leave the ones it reported in `batchItemFailures`: they come back after
the short backoff the handler set on them (ChangeMessageVisibility on the emulator, as in AWS:
tzurot.jobs.backoff) or else after the queue's visibility timeout, and the queue's redrive
policy moves them to the DLQ after its maxReceiveCount.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tzurot.logs import get_logger

log = get_logger("tzurot.dev")

BatchHandler = Callable[[dict, Any], dict]
SINK_PORT = 8788
DEV_BOT_TOKEN = "dev-bot-token"  # the sink's own; never a real Discord token


def sqs_event(messages: list[dict], queue_arn: str, region: str) -> dict:
    """An SQS event as Lambda delivers it, from `receive_message` results (which must have been
    received with AttributeNames=["All"])."""
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": dict(message.get("Attributes") or {}),
                "messageAttributes": message.get("MessageAttributes") or {},
                "md5OfBody": message.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for message in messages
        ]
    }


class QueuePoller:
    """Long-polls one queue and feeds its batches to `handler` until stopped."""

    def __init__(
        self,
        sqs,
        queue_url: str,
        handler: BatchHandler,
        *,
        batch_size: int = 10,
        wait_seconds: int = 1,
    ):
        self.sqs = sqs
        self.queue_url = queue_url
        self.handler = handler
        self.batch_size = batch_size
        self.wait_seconds = wait_seconds
        attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
        self.queue_arn = attributes["Attributes"]["QueueArn"]
        self.region = sqs.meta.region_name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def poll_once(self) -> tuple[int, int]:
        """One receive and its batch: (messages handled and deleted, messages left to retry)."""
        reply = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            WaitTimeSeconds=self.wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = reply.get("Messages") or []
        if not messages:
            return 0, 0
        result = self.handler(sqs_event(messages, self.queue_arn, self.region), None) or {}
        failed = {item["itemIdentifier"] for item in result.get("batchItemFailures") or []}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": m["ReceiptHandle"]}
                    for index, m in enumerate(done)
                ],
            )
        return len(done), len(failed)

    def start(self, name: str) -> None:
        self._thread = threading.Thread(target=self._run, name=f"poll:{name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.wait_seconds + 30)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception as exc:  # keep polling: the local stack must survive a bad batch
                log.error("queue poll failed", extra={"error": f"{type(exc).__name__}: {exc}"})
                self._stop.wait(1.0)


def default_handlers() -> dict[str, BatchHandler]:
    """Queue kind -> the handler its Lambda function runs."""
    from tzurot.jobs import worker

    return {"generate": worker.handle_generate_batch, "image": worker.handle_image_batch}


class Workers:
    """Local stack part: pollers per worker queue (after the AWS emulator part).

    One poller with batches of 10 by default; `concurrency` pollers with `batch_size` records
    each play Lambda's event source mapping with that MaximumConcurrency and BatchSize (the
    soak, bench/soak.py, runs the template's BatchSize 1 at several concurrencies).
    """

    name = "workers"

    def __init__(
        self,
        handlers: dict[str, BatchHandler] | None = None,
        *,
        wait_seconds=1,
        concurrency: int = 1,
        batch_size: int = 10,
    ):
        self.handlers = handlers
        self.wait_seconds = wait_seconds
        self.concurrency = concurrency
        self.batch_size = batch_size
        self.pollers: dict[str, QueuePoller] = {}

    def start(self, stack) -> None:
        import boto3

        sqs = boto3.client("sqs")
        for kind, handler in (self.handlers or default_handlers()).items():
            url = os.environ.get(f"{kind.upper()}_QUEUE_URL", "").strip()
            if not url:
                continue
            for number in range(self.concurrency):
                poller = QueuePoller(
                    sqs, url, handler, batch_size=self.batch_size, wait_seconds=self.wait_seconds
                )
                poller.start(kind if number == 0 else f"{kind}-{number}")
                self.pollers[kind if number == 0 else f"{kind}-{number}"] = poller
            stack.report(f"worker {kind}: polling {url}")

    def stop(self) -> None:
        for poller in self.pollers.values():
            poller._stop.set()
        for poller in self.pollers.values():
            poller.stop()
        self.pollers.clear()


class DiscordSinkServer:
    """Local stack part for `--discord-sink`: the workers' Discord REST calls go to a sink on
    loopback that prints every message and saves every uploaded file (images, voice replies)
    under `files_dir` (default `.tzurot/sink-files`); `tzurot simulate` waits on it for the
    answers."""

    name = "discord-sink"

    def __init__(
        self,
        port: int = SINK_PORT,
        echo: Callable[[str], None] = print,
        files_dir: Path | None = None,
    ):
        self.port = port
        self.echo = echo
        self.files_dir = files_dir
        self.base_url = ""
        self.sink: Any = None  # the DiscordSink, once started (its calls, for benchmarks)
        self._serving: Any = None

    def start(self, stack) -> None:
        from tzurot.dev import simulator
        from tzurot.dev.discord_sink import API_PREFIX, DiscordSink
        from tzurot.dev.stack import serve_app

        application_id = os.environ.get("DISCORD_APPLICATION_ID", "").strip()
        application_id = application_id or simulator.DEV_APPLICATION_ID
        bot_token = os.environ.get("DISCORD_BOT_TOKEN", "").strip() or DEV_BOT_TOKEN
        from tzurot.db.embedded import STATE_DIR

        files_dir = self.files_dir or STATE_DIR / "sink-files"
        sink = self.sink = DiscordSink(
            application_id, bot_token=bot_token, echo=self.echo, files_dir=files_dir
        )
        self._serving = serve_app(sink.app, self.port, name="discord-sink", flag="--sink-port")
        self.base_url = self._serving.url + API_PREFIX
        stack.export(
            DISCORD_API_BASE_URL=self.base_url,
            DISCORD_APPLICATION_ID=application_id,
            DISCORD_BOT_TOKEN=bot_token,
        )
        stack.report(
            f"discord sink: {self.base_url} (prints every message it receives; saves files "
            f"to {files_dir})"
        )

    def stop(self) -> None:
        if self._serving is not None:
            self._serving.stop()
            self._serving = None
