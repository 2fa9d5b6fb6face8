"""The shape every provider-calling job shares: claim the interaction once, then work or fail.

A redelivered job whose interaction is already claimed does nothing (SQS is at least once; see
tzurot.jobs.idempotency). Any failure of the work ends in `_fail`, which answers the user or
hands the job back to SQS, so no request ends in silence.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tzurot.commands import errors
from tzurot.commands.context import JobContext, RetryLater
from tzurot.jobs import idempotency
from tzurot.jobs.model import Job
from tzurot.key_fragments import protected
from tzurot.logs import get_logger

log = get_logger("tzurot.worker")


class ClaimedJob:
    """One job from claim to reply; subclasses name their `kind` and do `_work` and `_fail`."""

    kind: str

    def __init__(self, job: Job, ctx: JobContext):
        self.job = job
        self.ctx = ctx
        self.reference = ""

    def run(self) -> str:
        conn = self.ctx.conn()
        claim = idempotency.claim(
            conn, self.job.interaction_id, self.kind, receive_count=self.ctx.receive_count
        )
        if not claim.claimed:
            log.info(
                "duplicate delivery ignored",
                extra={"status": claim.status, "reference": claim.reference},
            )
            return "duplicate"
        self.reference = claim.reference
        # The job's keys, once known (tzurot.key_fragments.protect), are scrubbed from its logs.
        with protected():
            try:
                return self._work(conn, claim)
            except Exception as exc:  # every failure ends in a reply or a retry, never silence
                return self._fail(exc)

    def _work(self, conn: Any, claim: idempotency.Claim) -> str:
        raise NotImplementedError

    def _hand_back_if_passing(self, exc: Exception) -> None:
        hand_back_if_passing(self.ctx, self.job, self.reference, exc)

    def _fail(self, exc: Exception) -> str:
        raise NotImplementedError


def hand_back_if_passing(ctx: JobContext, job: Job, reference: str, exc: Exception) -> None:
    """A passing failure before the last receive goes back to SQS: give the claim back and
    raise RetryLater. On the last receive, or for a lasting failure, return: the caller answers.
    """
    if not errors.is_retryable(exc) or ctx.last_attempt:
        return
    log.warning(
        "retryable failure; SQS will deliver the job again",
        extra={
            "reference": reference,
            "error": type(exc).__name__,
            "receive_count": ctx.receive_count,
        },
    )
    best_effort(lambda: idempotency.release(ctx.conn(), job.interaction_id))
    raise RetryLater(str(exc)) from exc


def best_effort(action: Callable[[], object]) -> None:
    """Run a follow-up write or DM whose failure must not hide the original failure."""
    try:
        action()
    except Exception as exc:
        log.warning("best-effort step failed", extra={"error": type(exc).__name__})
