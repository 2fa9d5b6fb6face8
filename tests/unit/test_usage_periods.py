"""Usage periods: UTC calendar windows (the daily limits' clock); a timezone only for display."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from tzurot.commands import formatting as fmt
from tzurot.usage.report import window


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("period", "now", "start"),
    [
        ("day", utc(2026, 11, 26, 14, 5), utc(2026, 11, 26)),
        ("day", utc(2026, 11, 26, 0, 0), utc(2026, 11, 26)),
        ("day", utc(2026, 11, 26, 23, 59, 59), utc(2026, 11, 26)),
        # 2026-11-26 is a Thursday: the week began on Monday the 23rd.
        ("week", utc(2026, 11, 26, 14, 5), utc(2026, 11, 23)),
        ("week", utc(2026, 11, 23, 0, 0), utc(2026, 11, 23)),  # Monday midnight starts one
        ("week", utc(2026, 11, 22, 23, 59), utc(2026, 11, 16)),  # Sunday night: still the last
        ("week", utc(2027, 1, 2, 12), utc(2026, 12, 28)),  # across the new year
        ("month", utc(2026, 11, 26, 14, 5), utc(2026, 11, 1)),
        ("month", utc(2026, 12, 1, 0, 0), utc(2026, 12, 1)),
        ("month", utc(2028, 2, 29, 23), utc(2028, 2, 1)),
    ],
)
def test_windows_are_utc_calendar_periods(period, now, start):
    span = window(period, now)
    assert (span.period, span.start, span.end) == (period, start, now)
    assert span.start.tzinfo == UTC


def test_a_local_clock_is_converted_to_utc_first():
    # 00:30 on 1 March in UTC+02:00 is still 28 February in UTC: February's window.
    now = datetime(2026, 3, 1, 0, 30, tzinfo=timezone(timedelta(hours=2)))
    span = window("month", now)
    assert span.start == utc(2026, 2, 1)
    assert span.end == utc(2026, 2, 28, 22, 30)
    assert window("day", now).start == utc(2026, 2, 28)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="unknown period 'year'; expected one of day, week, month"):
        window("year", utc(2026, 1, 1))
    with pytest.raises(ValueError, match="now must be timezone-aware"):
        window("day", datetime(2026, 1, 1))


def test_the_window_start_is_shown_in_the_users_timezone():
    start = window("week", utc(2026, 11, 26, 14, 5)).start
    assert fmt.local_time(start, "UTC") == "Mon 23 Nov 2026, 00:00"
    assert fmt.local_time(start, "Europe/Paris") == "Mon 23 Nov 2026, 01:00"
    assert fmt.local_time(start, "America/New_York") == "Sun 22 Nov 2026, 19:00"


def test_utc_offsets_follow_daylight_saving():
    assert fmt.utc_offset(utc(2026, 1, 15), "Europe/London") == "UTC+00:00"
    assert fmt.utc_offset(utc(2026, 7, 15), "Europe/London") == "UTC+01:00"
    assert fmt.utc_offset(utc(2026, 7, 15), "America/Los_Angeles") == "UTC−07:00"
    assert fmt.utc_offset(utc(2026, 7, 15), "Asia/Kolkata") == "UTC+05:30"
    assert fmt.discord_time(utc(2026, 11, 26), "R") == "<t:1795651200:R>"
