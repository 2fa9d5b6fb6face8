"""The worker functions' SQS batch processing: parse, age check, dispatch, partial failures.

Each SQS record of a batch is one job. Records run concurrently on a small thread pool (no job
waits behind another user's provider call; the calls are I/O bound), each thread with its own
database connection, kept between invocations like the rest of a warm container's clients. A
batch of one record runs on the calling thread. The template's BatchSize must not exceed
`MAX_CONCURRENCY`.

Per record, powertools' BatchProcessor reports the failures (`batchItemFailures`) so that SQS
deletes the records that succeeded and delivers the others again:

- a body that is not a job (a poison message), or a job of another version, fails every time
  and ends in the DLQ for a look;
- a job older than the interaction token's 15 minutes is dropped with a log line: nothing can
  answer it any more;
- the job's sealed interaction token is opened (tzurot.crypto.transit_keys: one query and one
  KMS Decrypt per transit key per container, none when warm). A token that does not open
  (tampered, moved to another interaction or user, an unknown or retired key) fails towards the
  DLQ; a KMS or database outage is retried, and if it lasts through every receive nothing can
  answer the user (the token is the only way);
- a command without a handler gets a polite "not available" reply;
- a handler raising RetryLater (or a retryable error) fails the record, except on the last
  receive (ApproximateReceiveCount >= Settings.job_max_receives), where the user gets an error
  reply instead so that no request ends in silence. Such a record comes back after a short
  backoff (tzurot.jobs.backoff: ChangeMessageVisibility), not the queue's visibility timeout.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from tzurot.commands import errors, replies
from tzurot.commands.context import JobContext, RetryLater
from tzurot.commands.registry import GENERATE_HANDLERS, IMAGE_HANDLERS, handler_for
from tzurot.config import Settings
from tzurot.jobs.backoff import TOKEN_LIFETIME
from tzurot.jobs.idempotency import Busy, new_reference
from tzurot.logs import get_logger

MAX_CONCURRENCY = 10  # SQS's default maximum batch size
NOT_AVAILABLE = "That command isn't available yet. Sorry!"
UNREADABLE_JOB = (
    "Sorry, I couldn't read that request, so nothing was done. Please run the command again."
)

log = get_logger("tzurot.worker")

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()
_local = threading.local()


def utc_now() -> datetime:
    return datetime.now(UTC)


def thread_connection():
    """This thread's autocommit connection: opened on first use, reopened when it broke or
    DATABASE_URL changed, kept for the next job otherwise."""
    from tzurot.db.connection import connect, database_url

    url = database_url()
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed or conn.broken or getattr(_local, "url", None) != url:
        if conn is not None and not conn.closed:
            conn.close()
        _local.conn, _local.url = None, url
        _local.conn = connect(url, autocommit=True)
    return _local.conn


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(MAX_CONCURRENCY, thread_name_prefix="job")
        return _executor


class ConcurrentBatchProcessor(BatchProcessor):
    """powertools' SQS BatchProcessor, running the records of a batch side by side."""

    def __init__(self) -> None:
        # An all-failed batch is reported item by item like any other: raising instead would
        # fail the invocation and redeliver messages this code already decided about.
        super().__init__(event_type=EventType.SQS, raise_on_entire_batch_failure=False)

    def process(self) -> list[tuple]:
        if len(self.records) <= 1:
            return [self._process_record(record) for record in self.records]
        return list(_pool().map(self._process_record, self.records))


class Worker:
    """One per container and queue: the handler table and the clients jobs share."""

    def __init__(
        self,
        handlers: dict[str, str] | None = None,
        *,
        settings: Settings | None = None,
        discord=None,
        keyring=None,
        transit=None,
        connection: Callable[[], Any] = thread_connection,
        clock: Callable[[], datetime] | None = None,
        provider_options: dict[str, Any] | None = None,
    ):
        self.handlers = GENERATE_HANDLERS if handlers is None else handlers
        self.settings = settings or Settings.from_env()
        self.connection = connection
        # Looked up at each call, so tests and benchmarks can set the time of the whole flow.
        self.clock = clock or (lambda: utc_now())
        self.provider_options = provider_options or {}
        self._discord = discord
        self._keyring = keyring
        self._transit = transit

    @property
    def discord(self):
        if self._discord is None:
            from tzurot.discord.rest import DiscordRest

            self._discord = DiscordRest.from_settings(self.settings)
        return self._discord

    @property
    def keyring(self):
        if self._keyring is None:
            from tzurot.crypto.master_key import MasterKeyring

            self._keyring = MasterKeyring(self.connection)
        return self._keyring

    @property
    def transit(self):
        """The container's transit private keys (sharing the master keyring's KMS client)."""
        if self._transit is None:
            from tzurot.crypto.transit_keys import TransitKeyring

            self._transit = TransitKeyring(self.connection, kms=lambda: self.keyring.kms)
        return self._transit

    def handle_batch(self, event: dict, context: Any = None) -> dict:
        """The Lambda SQS handler: {"batchItemFailures": [{"itemIdentifier": id}, ...]}."""
        return process_partial_response(
            event=event,
            record_handler=self.handle_record,
            processor=ConcurrentBatchProcessor(),
            context=context,
        )

    def handle_record(self, record: SQSRecord) -> str:
        from pydantic import ValidationError

        from tzurot.crypto.errors import JobTokenInvalid
        from tzurot.jobs.model import Job, UnsupportedJobVersion
        from tzurot.observability import correlated, record_job

        try:
            job = Job.from_message(record.body)
        except ValidationError as exc:
            log.error(
                "SQS message is not a job; it will end in the DLQ",
                extra={"message_id": record.message_id, "problems": exc.error_count()},
            )
            record_job("other", "invalid")
            self._answer_unreadable(record)
            raise
        except UnsupportedJobVersion as exc:
            log.error(
                "SQS message is a job of another version; it will end in the DLQ",
                extra={"message_id": record.message_id, "error": str(exc)},
            )
            record_job("other", "invalid")
            self._answer_unreadable(record)
            raise
        with correlated(job.interaction_id):
            try:
                outcome = self._run(job, _receive_count(record))
            except JobTokenInvalid:
                record_job(job.command, "invalid")
                raise
            except Exception as exc:
                # A batch item failure: SQS delivers the job again (or dead-letters it). Counted
                # so that retries show before the dead-letter alarm does.
                record_job(job.command, "retry")
                self._retry_sooner(record, job, exc)
                raise
            record_job(job.command, outcome)
            return outcome

    def _answer_unreadable(self, record: SQSRecord) -> None:
        """On the last receive of a body that is not a job, answer its user if the body still
        names an interaction and carries a token that opens: nobody is left with "thinking…".
        Best effort; the message goes to the DLQ either way."""
        from tzurot.crypto.transit import open_token
        from tzurot.jobs.model import JobEnvelope

        if _receive_count(record) < self.settings.job_max_receives:
            return
        try:
            envelope = JobEnvelope.model_validate_json(record.body)
            token = open_token(
                self.transit,
                envelope.token_sealed,
                interaction_id=envelope.interaction_id,
                user_id=envelope.user_id,
            )
            payload = {"content": UNREADABLE_JOB, "allowed_mentions": replies.NO_MENTIONS}
            self.discord.edit_original(token, payload)
        except Exception as exc:  # best effort: a bad body, KMS or Discord down
            log.error("could not answer an unreadable job", extra={"error": type(exc).__name__})
            return
        log.warning("answered an unreadable job", extra={"message_id": record.message_id})

    def _age(self, job) -> timedelta:
        created = job.created_at if job.created_at.tzinfo else job.created_at.replace(tzinfo=UTC)
        return self.clock() - created

    def _retry_sooner(self, record: SQSRecord, job, exc: Exception) -> None:
        """After a passing failure, make SQS deliver the record again after a short backoff.
        Not for Busy (the other attempt's claim must end first) nor on the last receive."""
        from tzurot.jobs import backoff

        receive_count = _receive_count(record)
        max_receives = self.settings.job_max_receives
        if receive_count >= max_receives:
            return
        if not (isinstance(exc, RetryLater) or errors.is_retryable(exc)):
            return
        seconds = backoff.delay_seconds(
            receive_count,
            max_receives=max_receives,
            age=self._age(job),
            retry_after=backoff.retry_after_of(exc),
        )
        backoff.bring_back_sooner(record, seconds)

    def _run(self, job, receive_count: int) -> str:
        if job.source == "spool":  # a paid call's writes, made late: no reply, no age limit
            from tzurot.commands import paid

            return paid.replay(job, self._context(receive_count))
        age = self._age(job)
        if age >= TOKEN_LIFETIME:
            log.warning(
                "job dropped: older than the 15-minute interaction token",
                extra={"command": job.command, "age_seconds": int(age.total_seconds())},
            )
            return "expired"
        job = self._open_token(job, receive_count)
        ctx = self._context(receive_count)
        handler = handler_for(job.command, self.handlers)
        if handler is None:
            log.warning("no handler for command", extra={"command": job.command})
            self._not_available(job)
            return "unknown_command"
        try:
            return handler(job, ctx)
        except (RetryLater, Busy):
            raise
        except Exception as exc:
            return self._unhandled(job, ctx, exc)

    def _context(self, receive_count: int) -> JobContext:
        return JobContext(
            settings=self.settings,
            connection=self.connection,
            discord=self.discord,
            keyring=self.keyring,
            transit=self.transit,
            receive_count=receive_count,
            max_receives=self.settings.job_max_receives,
            clock=self.clock,
            provider_options=self.provider_options,
        )

    def _open_token(self, job, receive_count: int):
        """The job with its interaction token opened (a query and a KMS Decrypt only when the
        container has not loaded the box's transit key yet)."""
        from tzurot.crypto.errors import JobTokenInvalid, KmsUnavailable
        from tzurot.crypto.transit import open_token

        try:
            token = open_token(
                self.transit,
                job.token_sealed,
                interaction_id=job.interaction_id,
                user_id=job.user_id,
            )
        except JobTokenInvalid as exc:
            log.error(
                "the job's interaction token does not open; it will end in the DLQ",
                extra={"command": job.command, "error": str(exc)},
            )
            raise
        except Exception as exc:
            if not (isinstance(exc, KmsUnavailable) or errors.is_retryable(exc)):
                raise
            # KMS or the database (the transit keys) unreachable before the key was loaded.
            last = receive_count >= self.settings.job_max_receives
            (log.error if last else log.warning)(
                "could not open the job's interaction token; the user cannot be answered"
                if last
                else "could not open the job's interaction token; SQS will deliver it again",
                extra={"command": job.command, "error": str(exc), "receive_count": receive_count},
            )
            raise RetryLater(str(exc)) from exc
        return job.with_token(token)

    def _unhandled(self, job, ctx: JobContext, exc: Exception) -> str:
        """A failure the handler did not turn into a reply (e.g. the database was down before
        it could claim the job): retry while receives remain, then answer with an error."""
        if errors.is_retryable(exc) and not ctx.last_attempt:
            log.warning(
                "retryable failure; SQS will deliver the job again",
                extra={"error": type(exc).__name__, "receive_count": ctx.receive_count},
            )
            raise RetryLater(str(exc)) from exc
        reference = new_reference()
        reply = errors.reply_for(exc, reference=reference)
        (log.exception if reply.category == "internal" else log.error)(
            "job failed", extra={"reference": reference, "category": reply.category}
        )
        if not replies.send_error(self.discord, job, reply):
            log.error("could not deliver the error reply", extra={"reference": reference})
        return "failed"

    def _not_available(self, job) -> None:
        from tzurot.discord.rest import DiscordError

        try:
            replies.send_private(self.discord, job, NOT_AVAILABLE)
        except DiscordError as exc:
            log.error("could not reply", extra={"error": str(exc)})


_workers: dict[tuple[str, Settings], Worker] = {}
_workers_lock = threading.Lock()


def worker_for(queue: str, handlers: dict[str, str]) -> Worker:
    """The container's worker for `queue`, rebuilt only when the settings change (they do not
    in Lambda; they do between tests and local runs)."""
    settings = Settings.from_env()
    with _workers_lock:
        worker = _workers.get((queue, settings))
        if worker is None:
            worker = _workers[(queue, settings)] = Worker(handlers, settings=settings)
        return worker


def handle_generate_batch(event: dict, context: Any = None) -> dict:
    """The generate function's handler (functions/generate/app.py wraps it)."""
    return worker_for("generate", GENERATE_HANDLERS).handle_batch(event, context)


def handle_image_batch(event: dict, context: Any = None) -> dict:
    """The image function's handler (functions/image/app.py wraps it)."""
    return worker_for("image", IMAGE_HANDLERS).handle_batch(event, context)


def _receive_count(record: SQSRecord) -> int:
    try:
        return max(int(record.attributes.approximate_receive_count), 1)
    except (TypeError, ValueError):
        return 1
