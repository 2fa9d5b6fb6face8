"""Limits under concurrency: check and reserve before a paid call, settle after.

Reading today's usage and then calling the provider lets every job of a user that starts at the
same moment pass the check (20 simultaneous /chat jobs made 10 paid calls past the limit). So a
job that is about to pay first reserves its estimated cost, in ONE round trip that is atomic per
user:

    SELECT pg_advisory_xact_lock(<space>, hashtext(user id));   -- jobs of one user queue here
    WITH counted AS (settled usage + live reservations of others) INSERT the reservation
        WHERE that is under the limit ... RETURNING the figures

Both statements travel in one simple-protocol message (psycopg's ClientCursor), which PostgreSQL
runs as one transaction: the lock is held until the reservation is committed, and the second
statement's snapshot is taken after the lock was granted, so it sees every reservation committed
before it. Different users never wait for each other (except on a hash collision, briefly).
The transaction commits without waiting for its WAL flush (`synchronous_commit off`, that
transaction only): a reservation is short-lived bookkeeping, and a crash that lost one would
only let one job through that a limit might have held; the wait it saves is the fsync, most of
the statement's cost (0.5 ms of 0.52 on an idle machine, several under load).

A job is admitted while `settled + reserved by others < limit`; it then adds its own estimate.
With estimates that bound the real cost (prompt characters plus the output token limit: a token
is at least one character), a limit is exceeded by at most the cost of the last job admitted,
whatever the concurrency. The write that records the call's usage row deletes the reservation in
the same statement (`settle_statement`), so usage is never counted twice or not at all; a failed
call releases it (`release`); an attempt killed mid-call leaves it to expire after `LEASE`.
Images work the same way against the hourly image limit (a reservation holds `images`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tzurot.db.compose import Statement
from tzurot.usage.ledger import KeySource

LEASE = timedelta(minutes=5)  # longer than any function's timeout (120 s)
LOCK_SPACE = 610_010  # the first key of pg_advisory_xact_lock(int, int): "usage limits"
# A request that sets no output limit may still answer at length: reserve this much for it.
DEFAULT_OUTPUT_ESTIMATE = 4096

_RESERVE = """SET LOCAL synchronous_commit TO off;
SELECT pg_advisory_xact_lock(%(lock_space)s, hashtext(%(user_id)s::text));
WITH counted AS (
    SELECT
        coalesce((SELECT tokens FROM usage_daily WHERE user_id = %(user_id)s
                  AND day = %(quota_day)s AND key_source = %(key_source)s), 0) AS used,
        coalesce((SELECT sum(tokens) FROM usage_reservations WHERE user_id = %(user_id)s
                  AND key_source = %(key_source)s AND expires_at > now()
                  AND interaction_id <> %(interaction_id)s), 0) AS reserved,
        CASE WHEN %(images)s > 0 THEN (SELECT count(*) FROM usage_logs
             WHERE user_id = %(user_id)s AND request_type = 'image'
             AND "timestamp" > %(image_since)s) ELSE 0 END AS images_used,
        coalesce((SELECT sum(images) FROM usage_reservations WHERE user_id = %(user_id)s
                  AND expires_at > now() AND interaction_id <> %(interaction_id)s), 0)
            AS images_reserved
), admitted AS (
    INSERT INTO usage_reservations AS r
        (interaction_id, user_id, key_source, tokens, images, expires_at)
    SELECT %(interaction_id)s, %(user_id)s, %(key_source)s, %(tokens)s, %(images)s,
           now() + %(lease)s
    FROM counted
    WHERE (%(token_limit)s = 0 OR used + reserved < %(token_limit)s)
      AND (%(images)s = 0 OR %(image_limit)s = 0
           OR images_used + images_reserved < %(image_limit)s)
    ON CONFLICT (interaction_id) DO UPDATE
        SET key_source = EXCLUDED.key_source, tokens = EXCLUDED.tokens,
            images = EXCLUDED.images, expires_at = EXCLUDED.expires_at
    RETURNING 1
)
SELECT used, reserved, images_used, images_reserved, EXISTS (SELECT 1 FROM admitted)
FROM counted"""


@dataclass(frozen=True)
class Admission:
    """What the check-and-reserve found. `admitted` False: a limit is reached (which one:
    `tokens_reached` / `images_reached`)."""

    admitted: bool
    used: int  # settled tokens today (this key source)
    reserved: int  # tokens reserved by the user's other jobs in flight
    images_used: int  # images made in the last hour
    images_reserved: int
    token_limit: int
    image_limit: int

    @property
    def tokens_reached(self) -> bool:
        return self.token_limit > 0 and self.used + self.reserved >= self.token_limit

    @property
    def images_reached(self) -> bool:
        return self.image_limit > 0 and self.images_used + self.images_reserved >= self.image_limit


def estimate_tokens(prompt_chars: int, max_output: int | None) -> int:
    """An upper bound of a chat call's tokens: a token is at least one character."""
    return max(prompt_chars, 0) + (max_output if max_output else DEFAULT_OUTPUT_ESTIMATE)


def reserve(
    conn,
    *,
    interaction_id: str,
    user_id: str,
    key_source: KeySource,
    tokens: int,
    token_limit: int,
    quota_day,
    images: int = 0,
    image_limit: int = 0,
    image_since: datetime | None = None,
) -> Admission:
    """Check the limits and reserve `tokens` (and `images`) in one round trip."""
    from psycopg import ClientCursor

    params = {
        "lock_space": LOCK_SPACE,
        "interaction_id": interaction_id,
        "user_id": str(user_id),
        "key_source": key_source,
        "tokens": int(tokens),
        "images": int(images),
        "token_limit": int(token_limit),
        "image_limit": int(image_limit),
        "quota_day": quota_day,
        "image_since": image_since or datetime.min,
        "lease": LEASE,
    }
    cursor = ClientCursor(conn)
    cursor.execute(_RESERVE, params)
    cursor.nextset()  # past SET and the lock, to the reservation's figures
    cursor.nextset()
    used, reserved, images_used, images_reserved, admitted = cursor.fetchone()
    return Admission(
        admitted=bool(admitted),
        used=int(used),
        reserved=int(reserved),
        images_used=int(images_used),
        images_reserved=int(images_reserved),
        token_limit=int(token_limit),
        image_limit=int(image_limit),
    )


def settle_statement(interaction_id: str) -> Statement:
    """Drop the job's reservation: combined with the write of its usage row."""
    return Statement(
        "DELETE FROM usage_reservations WHERE interaction_id = %(reservation_id)s",
        {"reservation_id": interaction_id},
    )


def release(conn, interaction_id: str) -> None:
    """The call failed or never happened: give the reservation back."""
    settle_statement(interaction_id).execute(conn)
