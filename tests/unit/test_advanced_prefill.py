"""AdvancedPrefill without a database: what fits in the form, the deadline, failures."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from tzurot.discord import prefill
from tzurot.discord.prefill import AdvancedPrefill, LookupFailed, Prefill, Stored, prefill_for


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        (Stored(False), Prefill(prefill.UNKNOWN_PERSONALITY)),
        (Stored(True), Prefill(prefill.NONE)),
        (Stored(True, "{\n}", "{}"), Prefill(prefill.NONE)),  # an empty object is nothing
        (
            Stored(True, '{\n    "topK": 40\n}', '{"topK": 40}'),
            Prefill(prefill.STORED, '{\n    "topK": 40\n}'),
        ),
        # Pretty does not fit, one line does.
        (Stored(True, "x" * 4001, '{"a": 1}'), Prefill(prefill.STORED, '{"a": 1}')),
        (Stored(True, "x" * 4001, "y" * 4001), Prefill(prefill.TOO_LONG)),
    ],
)
def test_what_the_form_starts_with(stored, expected):
    assert prefill_for(stored) == expected


def test_lengths_count_as_discord_does():
    # ✨ is one UTF-16 unit, 😀 two: 3,999 characters ending in 😀 are 4,000 for Discord and
    # still fit; one more character does not.
    fits = '"' + "a" * 3996 + '✨"'
    assert (len(fits), prefill.discord_length(fits)) == (3999, 3999)
    emoji = '"' + "a" * 3996 + '😀"'
    assert (len(emoji), prefill.discord_length(emoji)) == (3999, 4000)
    assert prefill_for(Stored(True, emoji, emoji)) == Prefill(prefill.STORED, emoji)
    longer = '"' + "a" * 3997 + '😀"'
    assert prefill_for(Stored(True, longer, longer)) == Prefill(prefill.TOO_LONG)


def test_the_lookup_gets_the_user_and_scope():
    asked = []

    def lookup(discord_id, personality):
        asked.append((discord_id, personality))
        return Stored(True, '{\n    "seed": 7\n}', '{"seed": 7}')

    answer = AdvancedPrefill(lookup)("100000000000000001", "lilith")
    assert answer == Prefill(prefill.STORED, '{\n    "seed": 7\n}')
    assert asked == [("100000000000000001", "lilith")]


def test_a_slow_lookup_is_abandoned_at_the_deadline_and_blocks_no_one(caplog):
    release = threading.Event()

    def stuck(discord_id, personality):
        release.wait(5)
        return Stored(True, "{}", "{}")

    prefill_of = AdvancedPrefill(stuck, deadline=0.3)
    started = time.perf_counter()
    assert prefill_of("1", None) == Prefill(prefill.UNAVAILABLE)
    assert 0.3 <= time.perf_counter() - started < 1.0
    # While the first is stuck, no second thread is started and no one waits.
    started = time.perf_counter()
    assert prefill_of("1", None) == Prefill(prefill.UNAVAILABLE)
    assert time.perf_counter() - started < 0.2  # well under the deadline: it did not wait
    release.set()
    for _ in range(100):  # the stuck lookup ends; the next one runs again
        if prefill_of("1", None).status == prefill.NONE:
            break
        time.sleep(0.01)
    else:
        pytest.fail("the prefill never recovered")
    messages = [r.getMessage() for r in caplog.records]
    assert "advanced parameters prefill timed out" in messages
    assert "advanced parameters prefill skipped: the last lookup is still running" in messages


def test_failures_open_the_form_empty_and_are_logged(caplog):
    caplog.set_level(logging.WARNING)

    def down(discord_id, personality):
        raise LookupFailed("DatabaseUnavailable")

    def broken(discord_id, personality):
        raise KeyError("a bug")

    assert AdvancedPrefill(down)("1", "x") == Prefill(prefill.UNAVAILABLE)
    assert AdvancedPrefill(broken)("1", "x") == Prefill(prefill.UNAVAILABLE)
    records = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert records == [
        ("WARNING", "advanced parameters prefill failed"),
        ("ERROR", "advanced parameters prefill broke"),
    ]
    assert caplog.records[0].error == "DatabaseUnavailable"
    assert caplog.records[1].exc_info[0] is KeyError
