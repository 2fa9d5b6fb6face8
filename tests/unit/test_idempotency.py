"""Claiming an interaction once, whatever SQS does: the at-least-once cases of idempotency.py."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import psycopg
import pytest

from tzurot.jobs.idempotency import Busy, claim, finish, record_replies, release

IID = "1234567890123456789"


def row(db):
    return db.execute(
        "SELECT status, attempts, reference FROM processed_interactions WHERE interaction_id = %s",
        (IID,),
    ).fetchone()


def test_first_delivery_claims_with_a_short_reference(db):
    first = claim(db, IID, "chat")
    assert first.claimed and first.attempts == 1 and not first.is_retry
    assert re.fullmatch(r"[0-9a-f]{8}", first.reference)
    assert row(db) == ("processing", 1, first.reference)


def test_redelivery_after_done_or_failed_does_nothing(db):
    first = claim(db, IID, "chat")
    finish(db, IID, "done")
    again = claim(db, IID, "chat")
    assert (again.claimed, again.status, again.reference) == (False, "done", first.reference)
    db.execute("UPDATE processed_interactions SET status = 'failed'")
    assert claim(db, IID, "chat").status == "failed"
    assert row(db) == ("failed", 1, first.reference)


def test_redelivery_while_another_attempt_runs_is_busy(db):
    claim(db, IID, "chat")
    with pytest.raises(Busy, match=f"interaction {IID} is being processed by another attempt"):
        claim(db, IID, "chat")
    assert row(db)[1] == 1


def test_an_attempt_that_died_is_taken_over_after_the_lease(db):
    first = claim(db, IID, "chat")
    db.execute("UPDATE processed_interactions SET updated_at = now() - interval '6 minutes'")
    again = claim(db, IID, "chat", lease=timedelta(minutes=5))
    assert (again.claimed, again.attempts, again.reference, again.is_retry) == (
        True,
        2,
        first.reference,
        True,
    )


def test_a_later_receive_takes_over_a_claim_its_failed_attempt_could_not_give_back(db):
    """Finding 15: the database went away after the claim, so the attempt of receive 1 could
    not release it; receive 2 takes it over at once instead of finding it busy for 5 minutes
    (and its job ending in the DLQ unanswered)."""
    first = claim(db, IID, "chat", receive_count=1)
    with pytest.raises(Busy):  # the same receive (a duplicate in flight) still waits
        claim(db, IID, "chat", receive_count=1)
    again = claim(db, IID, "chat", receive_count=2)
    assert (again.claimed, again.attempts, again.reference) == (True, 2, first.reference)
    with pytest.raises(Busy):  # an older receive never takes a newer one's claim
        claim(db, IID, "chat", receive_count=1)
    finish(db, IID, "done")
    assert claim(db, IID, "chat", receive_count=3).claimed is False  # ended stays ended


def test_release_lets_the_next_receive_retry_at_once(db):
    first = claim(db, IID, "chat")
    release(db, IID)
    again = claim(db, IID, "chat")
    assert (again.claimed, again.attempts, again.reference) == (True, 2, first.reference)


def test_release_after_done_reopens_for_resending_the_answer(db):
    claim(db, IID, "chat")
    finish(db, IID, "done")
    release(db, IID)
    assert claim(db, IID, "chat").attempts == 2


def test_reply_progress_survives_release_and_comes_back_with_the_claim(db):
    first = claim(db, IID, "chat")
    assert first.replies_sent == 0
    finish(db, IID, "done")
    record_replies(db, IID, 1)
    record_replies(db, IID, 2)
    record_replies(db, IID, 1)  # never goes back
    release(db, IID)  # Discord failed on part 3
    again = claim(db, IID, "chat")
    assert (again.claimed, again.attempts, again.replies_sent) == (True, 2, 2)
    assert db.execute(
        "SELECT replies_sent FROM processed_interactions WHERE interaction_id = %s", (IID,)
    ).fetchone() == (2,)


def test_a_failed_job_stays_failed(db):
    claim(db, IID, "chat")
    finish(db, IID, "failed")
    release(db, IID)
    assert claim(db, IID, "chat").claimed is False


def test_concurrent_deliveries_claim_exactly_once(db_url):
    outcomes: list[str] = []
    barrier = threading.Barrier(6)

    def deliver():
        with psycopg.connect(db_url, autocommit=True) as conn:
            barrier.wait()
            try:
                outcomes.append("claimed" if claim(conn, IID, "chat").claimed else "skipped")
            except Busy:
                outcomes.append("busy")

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["busy"] * 5 + ["claimed"]
