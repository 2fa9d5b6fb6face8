"""Once per interaction: claiming a job in `processed_interactions` before doing its work.

SQS delivers at least once, so the same job can arrive again after it was handled, while it is
still being handled (rare: two receives in flight), or after the attempt that took it died. The
worker claims the interaction id with one atomic statement before any side effect, and what the
claim returns decides what happens:

1. First delivery: no row yet. The INSERT creates it ('processing', attempts 1, a fresh short
   `reference` id that the user sees on an error and every log line carries). Go ahead.
2. Redelivery after the job finished ('done': answered; 'failed': the user got an error reply):
   nothing is claimed; the worker acknowledges the message and does nothing else. No second
   reply, usage row or history row.
3. Redelivery while another attempt holds the claim ('processing', lease not expired): nothing
   is claimed and `Busy` is raised; the message goes back to the queue (a batch item failure)
   and comes again after its visibility timeout, when the other attempt has either finished
   (case 2) or died (case 4).
4. Redelivery after an attempt died mid-way ('processing', lease expired: a Lambda timeout, a
   crash): the new attempt takes the claim over (attempts + 1, same reference) and redoes the
   job. What the dead attempt already did is safe to redo, because the worker commits its
   writes (usage row, history rows, 'done') in ONE statement only after the provider answered,
   and replies after that; an attempt that died before that statement left nothing behind.
   4b. A later SQS receive takes a claim over at once, lease or not: SQS delivers a message
   again only after the earlier receive is over (its visibility timeout, 330 s, outlasts the
   function's timeout) or was handed back, so the attempt holding a claim of a lower receive
   count is gone. This is what a database outage at job start needs: the failed attempt could
   not give its claim back, and the next receive would otherwise find it busy until the lease
   ran out and the job reached the DLQ unanswered.
   The one window this accepts: an attempt killed outright (the function timeout) after that
   statement and before its reply reached Discord leaves the job 'done' and unanswered. Closing
   it would take a sixth round trip per job (mark 'done' only after replying).
5. A retryable failure (provider overloaded, Discord down, database gone): the worker
   `release`s its claim so the next receive may retry at once, instead of waiting out the lease,
   and raises so SQS redelivers. If the failure came after the answer was committed (Discord
   failed while replying), `release` also flips 'done' back to 'processing', and the retry finds
   the committed answer in the conversation history and only sends it again (see
   tzurot.commands.chat), so the provider is not paid twice. A multi-part answer records how
   many parts reached Discord (`replies_sent`, after each part but the last: one extra round
   trip per followup, none for an answer of one message), and the retry resends only the parts
   still missing, so Discord failing on the 2nd followup does not show the 1st twice. An
   answer posted as a reply in the channel records its message (`answer_message_id`), so the
   retry edits that message instead of posting a second one.
6. The last receive (ApproximateReceiveCount at the queue's maxReceiveCount) of a job that keeps
   failing: the worker tells the user with an error reply and marks the row 'failed' instead
   of releasing it, so no request ends in silence and the DLQ copy is not replayed into a reply.

The lease must exceed the function timeout (an attempt still running must never lose its claim)
and stay below the queue's visibility timeout (so the redelivery of a dead attempt can take it
over); `LEASE` fits the template's function timeouts (90 s, 120 s) and its visibility timeout
(330 s), which tests/deploy/test_template.py checks against it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from tzurot.db.compose import Statement
from tzurot.errors import TzurotError

LEASE = timedelta(minutes=5)
REFERENCE_BYTES = 4  # 8 hex characters: short enough to read out, unique enough per day

Status = Literal["processing", "done", "failed"]

# The DO UPDATE only fires for a claim whose holder is gone; RETURNING then yields the row, and
# xmax = 0 tells a fresh insert from a takeover. No row back means done, failed or busy; the
# second query (only on that path) tells which.
_CLAIM = """INSERT INTO processed_interactions AS p
    (interaction_id, job_kind, status, reference, receive_count)
VALUES (%(interaction_id)s, %(job_kind)s, 'processing', %(reference)s, %(receive_count)s)
ON CONFLICT (interaction_id) DO UPDATE
    SET attempts = p.attempts + 1, updated_at = now(), receive_count = EXCLUDED.receive_count
    WHERE p.status = 'processing'
      AND (p.updated_at < now() - %(lease)s OR p.receive_count < EXCLUDED.receive_count)
RETURNING p.attempts, p.reference, p.replies_sent, p.answer_message_id"""

_STATUS = """SELECT status, attempts, reference FROM processed_interactions
WHERE interaction_id = %(interaction_id)s"""


class Busy(TzurotError):
    """Another attempt holds this interaction right now; try again after it."""

    def __init__(self, interaction_id: str):
        self.interaction_id = interaction_id
        super().__init__(f"interaction {interaction_id} is being processed by another attempt")


@dataclass(frozen=True)
class Claim:
    """What a claim attempt found. `claimed` False means: do nothing (already `status`)."""

    interaction_id: str
    claimed: bool
    status: Status
    attempts: int
    reference: str
    replies_sent: int = 0  # parts of the answer an earlier attempt got to Discord
    answer_message_id: str | None = None  # its reply in the channel (tzurot.commands.channel_reply)

    @property
    def is_retry(self) -> bool:
        return self.claimed and self.attempts > 1


def new_reference() -> str:
    return secrets.token_hex(REFERENCE_BYTES)


def claim(
    conn,
    interaction_id: str,
    job_kind: str,
    *,
    lease: timedelta = LEASE,
    receive_count: int = 1,
) -> Claim:
    """Claim `interaction_id` for this attempt (one round trip on the usual path).

    Returns a Claim with claimed=True to proceed, or claimed=False when the job already ended
    ('done' or 'failed'); raises Busy while another live attempt holds it. `receive_count` is
    this delivery's SQS ApproximateReceiveCount (case 4b above).
    """
    row = conn.execute(
        _CLAIM,
        {
            "interaction_id": interaction_id,
            "job_kind": job_kind[:20],
            "reference": new_reference(),
            "lease": lease,
            "receive_count": receive_count,
        },
    ).fetchone()
    if row is not None:
        return Claim(interaction_id, True, "processing", *row)
    current = conn.execute(_STATUS, {"interaction_id": interaction_id}).fetchone()
    if current is None:  # deleted in between (an operator cleaning up): claim afresh
        return claim(conn, interaction_id, job_kind, lease=lease, receive_count=receive_count)
    status, attempts, reference = current
    if status == "processing":
        raise Busy(interaction_id)
    return Claim(interaction_id, False, status, attempts, reference or "")


def finish_statement(interaction_id: str, status: Literal["done", "failed"]) -> Statement:
    """Mark the job ended, to combine with the writes that end it (one atomic statement)."""
    return Statement(
        "UPDATE processed_interactions SET status = %(finish_status)s, updated_at = now() "
        "WHERE interaction_id = %(interaction_id)s",
        {"interaction_id": interaction_id, "finish_status": status},
    )


def finish(conn, interaction_id: str, status: Literal["done", "failed"]) -> None:
    finish_statement(interaction_id, status).execute(conn)


def record_replies(conn, interaction_id: str, sent: int) -> None:
    """Note that the first `sent` parts of the job's answer reached Discord (case 5 above)."""
    conn.execute(
        "UPDATE processed_interactions SET replies_sent = %(sent)s "
        "WHERE interaction_id = %(interaction_id)s AND replies_sent < %(sent)s",
        {"interaction_id": interaction_id, "sent": sent},
    )


def record_answer_message(conn, interaction_id: str, message_id: str) -> None:
    """Note the reply the bot posted in the channel, so a redelivery edits it (migration 0012)."""
    conn.execute(
        "UPDATE processed_interactions SET answer_message_id = %(message_id)s "
        "WHERE interaction_id = %(interaction_id)s",
        {"interaction_id": interaction_id, "message_id": message_id},
    )


def release(conn, interaction_id: str) -> None:
    """Give the claim back after a retryable failure, so the next receive may retry at once.

    The lease is expressed by updated_at; moving it to -infinity expires it now. A 'done' row
    goes back to 'processing' too: the answer is committed but the reply failed, and the retry
    resends it (case 5 above).
    """
    conn.execute(
        "UPDATE processed_interactions SET status = 'processing', updated_at = '-infinity' "
        "WHERE interaction_id = %(interaction_id)s AND status <> 'failed'",
        {"interaction_id": interaction_id},
    )
