"""Usage ledger and daily limits (reading the usage_daily aggregate kept by a trigger)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tzurot.config import Settings
from tzurot.usage.ledger import UsageRecord, record_usage
from tzurot.usage.limits import (
    Quota,
    QuotaExceeded,
    check_quota,
    evaluate,
    tokens_used_today,
    utc_day,
)

SETTINGS = Settings(daily_token_limit=1000, guest_daily_token_limit=100)
NOON = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
MIDNIGHT = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)


def test_under_the_limit_passes_with_what_remains():
    quota = evaluate({"user": 400, "guest": 99}, "user", SETTINGS, NOON)
    assert quota == Quota("user", 1000, 400, MIDNIGHT)
    assert quota.remaining == 600


def test_reaching_the_limit_refuses_with_the_reset_time():
    with pytest.raises(QuotaExceeded) as caught:
        evaluate({"user": 1000}, "user", SETTINGS, NOON)
    assert caught.value.quota == Quota("user", 1000, 1000, MIDNIGHT)
    assert str(caught.value) == (
        "daily limit of 1000 tokens reached (user key); resets at 2026-11-27 00:00 UTC"
    )


def test_guest_calls_have_their_own_tighter_limit():
    assert evaluate({"user": 5000, "guest": 99}, "guest", SETTINGS, NOON).remaining == 1
    with pytest.raises(QuotaExceeded) as caught:
        evaluate({"user": 0, "guest": 100}, "guest", SETTINGS, NOON)
    assert caught.value.quota.limit == 100


def test_zero_means_unlimited():
    quota = evaluate({"user": 10**9}, "user", Settings(daily_token_limit=0), NOON)
    assert (quota.exceeded, quota.remaining) == (False, None)


def test_utc_day_of_a_non_utc_time():
    from zoneinfo import ZoneInfo

    late_in_la = datetime(2026, 11, 26, 20, 0, tzinfo=ZoneInfo("America/Los_Angeles"))
    assert utc_day(late_in_la) == (date(2026, 11, 27), datetime(2026, 11, 28, tzinfo=UTC))


@pytest.fixture
def user_id(db) -> str:
    return str(
        db.execute(
            "INSERT INTO users (discord_id, username) VALUES ('42', 'alice') RETURNING id"
        ).fetchone()[0]
    )


def test_ledger_writes_one_row_and_the_trigger_aggregates_it(db, user_id):
    record_usage(db, UsageRecord(user_id, None, "openai", "gpt-4o-mini", 120, 30))
    record_usage(db, UsageRecord(user_id, None, "openai", "gpt-4o-mini", 10, 5, key_source="guest"))
    rows = db.execute(
        "SELECT provider, model, tokens_in, tokens_out, tokens_total, request_type, key_source "
        "FROM usage_logs ORDER BY id"
    ).fetchall()
    assert rows == [
        ("openai", "gpt-4o-mini", 120, 30, 150, "text", "user"),
        ("openai", "gpt-4o-mini", 10, 5, 15, "text", "guest"),
    ]
    now = datetime.now(UTC)
    assert tokens_used_today(db, user_id, now) == {"user": 150, "guest": 15}


def test_check_quota_reads_today_only(db, user_id):
    yesterday = datetime.now(UTC) - timedelta(days=1)
    db.execute(
        "INSERT INTO usage_logs (user_id, provider, model, tokens_in, tokens_out, tokens_total, "
        "request_type, \"timestamp\") VALUES (%s, 'openai', 'm', 900, 100, 1000, 'text', %s)",
        (user_id, yesterday),
    )
    assert check_quota(db, user_id, "user", SETTINGS).used == 0
    record_usage(db, UsageRecord(user_id, None, "openai", "m", 600, 400))
    with pytest.raises(QuotaExceeded):
        check_quota(db, user_id, "user", SETTINGS)
    assert check_quota(db, user_id, "guest", SETTINGS).used == 0


@pytest.mark.parametrize(
    ("tokens_in", "tokens_out", "stored", "note"),
    [
        (-1, 5, (0, 5, 5), "negative"),
        (2**31, 2**31 + 7, (2**31, 2**31 + 7, 2**32 + 7), None),  # 64-bit columns (0006)
        (10**15, 1, (10**12, 1, 10**12 + 1), "too_large"),
        ("lots", 3, (0, 3, 3), "unexpected"),
        (12.0, None, (12, 0, 12), "unexpected"),
        (float("nan"), 2, (0, 2, 2), "unexpected"),
    ],
)
def test_odd_token_counts_are_clamped_flagged_and_still_recorded(
    db, user_id, tokens_in, tokens_out, stored, note
):
    """Finding 14: a paid call always leaves a usage row, whatever its counts."""
    record_usage(db, UsageRecord(user_id, None, "openai", "m", tokens_in, tokens_out))
    row = db.execute(
        "SELECT tokens_in, tokens_out, tokens_total, counts_note FROM usage_logs"
    ).fetchone()
    assert row == (*stored, note)
    assert tokens_used_today(db, user_id) == {"user": stored[2]}
