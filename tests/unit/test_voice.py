"""The pure parts of voice: what is spoken of a long answer, the daily character limit at its
boundary, the note each failure gets, and the MP3 the fakes answer with."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tzurot.commands.voice import VoiceLost, VoiceTooLarge, failure_note, speakable
from tzurot.config import Settings
from tzurot.dev.audio import FAKE_MP3, frame_header, frames, silent_mp3
from tzurot.providers.errors import BadRequest, RateLimited
from tzurot.usage import voice_quota

NOW = datetime(2026, 12, 4, 18, 30, tzinfo=UTC)


def test_a_short_answer_is_spoken_whole_without_a_note():
    spoken = speakable("  Hello there.  ", 1000)
    assert (spoken.text, spoken.cut, spoken.note()) == ("Hello there.", False, None)


def test_a_long_answer_is_cut_at_a_word_and_says_so():
    spoken = speakable("one two three four five six", 15)
    assert spoken.text == "one two three"
    assert spoken.note() == "🔊 Spoken: the first 13 of 27 characters."


def test_a_long_word_is_cut_where_the_cap_falls():
    spoken = speakable("a " + "x" * 30, 10)  # the only space is in the first half
    assert spoken.text == ("a " + "x" * 30)[:10]
    assert spoken.note() == "🔊 Spoken: the first 10 of 32 characters."


def test_thousands_are_separated_in_the_note():
    assert speakable("word " * 500, 1000).note() == "🔊 Spoken: the first 999 of 2,499 characters."


@pytest.mark.parametrize(
    ("used", "wanted", "allowed"),
    [(0, 100, True), (60, 40, True), (61, 40, False), (100, 1, False)],
)
def test_daily_limit_allows_reaching_it_exactly(used, wanted, allowed):
    settings = Settings(voice_daily_char_limit=100)
    if allowed:
        assert voice_quota.check(used, wanted, settings, NOW).used == used
    else:
        with pytest.raises(voice_quota.VoiceLimitReached) as caught:
            voice_quota.check(used, wanted, settings, NOW)
        assert caught.value.resets_at == datetime(2026, 12, 5, tzinfo=UTC)


def test_a_zero_limit_is_no_limit():
    assert voice_quota.check(10**9, 10**6, Settings(voice_daily_char_limit=0), NOW).limit == 0


def test_day_params_start_at_utc_midnight():
    assert voice_quota.day_params(NOW) == {"voice_day_start": datetime(2026, 12, 4, tzinfo=UTC)}


def test_failure_notes():
    assert failure_note(RateLimited(provider="ElevenLabs")) == (
        "🔇 No voice this time: ElevenLabs is busy or unreachable right now."
    )
    assert failure_note(BadRequest(provider="ElevenLabs", detail="voice_not_found")) == (
        "🔇 No voice this time: ElevenLabs rejected the request: voice_not_found"
    )
    assert failure_note(VoiceTooLarge(3 * 1_048_576, 10 * 1_048_576)) == (
        "🔇 No voice this time: the audio came out at 3.0 MB, more than the 10.0 MB Discord "
        "accepts here."
    )
    assert failure_note(VoiceLost("x")).endswith("the spoken reply was lost on the way to Discord.")
    assert failure_note(KeyError("a bug")) is None


def test_the_fake_mp3_is_well_formed_frames():
    assert frame_header() == bytes.fromhex("fffb50c4")  # MPEG-1 Layer III, 64 kbps, 44.1 kHz, mono
    assert [(offset, rate, hz) for offset, rate, hz in frames(FAKE_MP3)][:2] == [
        (0, 64_000, 44_100),
        (208, 64_000, 44_100),
    ]
    assert len(FAKE_MP3) == 20 * 208
    assert len(frames(silent_mp3(2.0))) == 77  # 2 s / 1152 samples at 44.1 kHz, rounded up


@pytest.mark.parametrize("data", [b"ID3\x04fake", FAKE_MP3[:-1], b"\xff\xfb\x00\xc4" + bytes(204)])
def test_frames_refuses_what_is_not_mp3(data):
    with pytest.raises(ValueError):
        frames(data)
