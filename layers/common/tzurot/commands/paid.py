"""Every paid call ends in a usage row: the write after the provider answered, retried, then
spooled through SQS.

The provider has been paid once it answers; the statement that records it (usage row, history
rows, the reservation settled, the job 'done': tzurot.db.compose.atomically) must not be lost to
a database outage that started during the call. `record` tries it, then again after 0.2, 0.5,
1 and 2 s (a failover or a restart is usually over by then). If PostgreSQL is still away, the
writes are spooled: sent as a `source="spool"` job (the same interaction, its options holding
the usage record and the turn, no secret) to the job's own queue, delayed by `SPOOL_DELAY`, and
the caller answers the user as usual. The worker replays a spool job (`replay`) whenever it
comes: the usage row is unique per interaction and the history insert skips a turn already
stored, so a replay that runs twice writes once. A replay that keeps failing goes to the DLQ
like any job, and stays there for an operator to redrive: the record is never dropped.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from tzurot.commands import history
from tzurot.db.compose import Statement, atomically
from tzurot.jobs import idempotency
from tzurot.logs import get_logger
from tzurot.usage import reservations
from tzurot.usage.ledger import UsageRecord, usage_statement

if TYPE_CHECKING:
    from tzurot.commands.context import JobContext
    from tzurot.jobs.model import Job

log = get_logger("tzurot.paid")

RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0)
SPOOL_DELAY = 30  # seconds before a spooled write is first tried again


@dataclass(frozen=True)
class PaidWrite:
    """What a paid call leaves in the database. `turn` holds history.turn_statement's
    arguments (chat), None for a call without history (an image)."""

    usage: UsageRecord
    turn: dict[str, str] | None = None
    # Further writes of the same commit (the turn's memory and its embedding's usage row,
    # tzurot.memory): made with the live write, not spooled.
    extra: tuple[Statement, ...] = ()

    def statement(self) -> Statement:
        interaction_id = self.usage.interaction_id or ""
        parts = [usage_statement(self.usage)]
        if self.turn is not None:
            parts.append(history.turn_statement(**self.turn))
        parts.extend(self.extra)
        parts.append(reservations.settle_statement(interaction_id))
        parts.append(idempotency.finish_statement(interaction_id, "done"))
        return atomically(*parts)

    def to_options(self) -> dict[str, str]:
        options = {"usage": json.dumps(asdict(self.usage))}
        if self.turn is not None:
            options["turn"] = json.dumps(self.turn)
        return options

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> PaidWrite:
        turn = options.get("turn")
        return cls(
            usage=UsageRecord(**json.loads(str(options["usage"]))),
            turn=json.loads(str(turn)) if turn else None,
        )


def _is_outage(exc: Exception) -> bool:
    import psycopg

    from tzurot.db.errors import DatabaseUnavailable

    return isinstance(exc, psycopg.OperationalError | DatabaseUnavailable)


def record(ctx: JobContext, job: Job, write: PaidWrite, conn=None, sleep=time.sleep) -> str:
    """Write `write`: "written", or "spooled" when the database stayed away through the retries.
    Raises what is not an outage, and QueueUnavailable when SQS is away too (nothing left)."""
    statement = write.statement()
    for delay in (*RETRY_DELAYS, None):
        try:
            statement.execute(conn if conn is not None else ctx.conn())
            return "written"
        except Exception as exc:
            if not _is_outage(exc):
                raise
            if delay is None:
                break
            log.warning("usage write failed; trying again", extra={"error": type(exc).__name__})
            conn = None  # the next try opens a connection again
            sleep(delay)
    spool(job, write)
    return "spooled"


def spool(job: Job, write: PaidWrite) -> None:
    from tzurot.jobs.queue import JobQueue

    spooled = job.model_copy(update={"source": "spool", "options": write.to_options()})
    JobQueue.from_env().send(spooled, delay_seconds=SPOOL_DELAY)
    log.error(
        "database unavailable after a paid call: its writes were spooled to SQS",
        extra={"tokens_total": write.usage.tokens_total, "provider": write.usage.provider},
    )


def replay(job: Job, ctx: JobContext) -> str:
    """A spool job: make its writes now. An outage raises RetryLater (SQS brings it back, then
    the DLQ keeps it)."""
    from tzurot.commands.context import RetryLater

    write = PaidWrite.from_options(dict(job.options))
    try:
        conn = ctx.conn()
        done = conn.execute(
            "SELECT 1 FROM usage_logs WHERE interaction_id = %s", (job.interaction_id,)
        ).fetchone()
        if done is not None:  # a replay delivered twice: written by the first
            return "duplicate"
        write.statement().execute(conn)
    except Exception as exc:
        if _is_outage(exc):
            raise RetryLater(f"spooled writes not made yet: {type(exc).__name__}") from exc
        raise
    log.info("spooled writes made", extra={"tokens_total": write.usage.tokens_total})
    return "spooled_written"
