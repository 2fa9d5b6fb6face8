"""ElevenLabs text-to-speech (`ElevenLabsClient.speak`) against the loopback fake: the exact
request (path, query, header, body), the audio and billed characters it returns, and each
failure as the provider error the voice step branches on. The official `elevenlabs` SDK sends
the same request for the same settings (the contract test at the end)."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from tests.fakes.providers import FakeElevenLabs
from tzurot.dev.audio import FAKE_MP3, frames
from tzurot.providers.elevenlabs import (
    OUTPUT_FORMAT,
    ElevenLabsClient,
    SpeechRequest,
    billed_characters,
    speech_body,
)
from tzurot.providers.errors import (
    InvalidKey,
    MissingPermissions,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
)

KEY = "sk_0123456789abcdef0123456789abcdef0123456789abcdef"
VOICE = "JBFqnCBsd6RMkjVDRZzb"
REQUEST = SpeechRequest(
    voice_id=VOICE,
    model="eleven_flash_v2_5",
    text="Hello there, traveller.",
    stability=Decimal("0.40"),
    similarity=Decimal("0.85"),
    style=Decimal("0.10"),
    frequency=Decimal("0.30"),
)
BODY = {
    "text": "Hello there, traveller.",
    "model_id": "eleven_flash_v2_5",
    "voice_settings": {
        "stability": 0.4,
        "similarity_boost": 0.85,
        "style": 0.1,
        "use_speaker_boost": True,
    },
}


@pytest.fixture(scope="module")
def served():
    fake = FakeElevenLabs(valid_keys={KEY})
    fake.add_key("sk_stt_only", {"speech_to_text"})
    with fake.serve() as url:
        yield fake, url


@pytest.fixture
def fake(served) -> FakeElevenLabs:
    served[0].reset()
    return served[0]


@pytest.fixture
def client(served) -> ElevenLabsClient:
    return ElevenLabsClient(served[1], timeout=5.0)


def test_speak_sends_the_documented_request_and_returns_the_mp3(fake, client):
    speech = client.speak(KEY, REQUEST)
    sent = fake.last_request
    assert (sent.method, sent.path) == ("POST", f"/v1/text-to-speech/{VOICE}")
    assert sent.query == {"output_format": "mp3_44100_64"}
    assert sent.headers["xi-api-key"] == KEY
    assert sent.headers["content-type"] == "application/json"
    assert sent.json == BODY
    assert speech.audio == FAKE_MP3 and len(frames(speech.audio)) == 20
    assert (speech.mime_type, speech.filename, speech.characters) == (
        "audio/mpeg",
        "voice.mp3",
        len(REQUEST.text),
    )


def test_frequency_zero_turns_speaker_boost_off_and_the_default_model_applies():
    body = speech_body(
        SpeechRequest(VOICE, "", "hi", stability=0.5, similarity=0.75, style=0, frequency=0)
    )
    assert body == {
        "text": "hi",
        "model_id": "eleven_flash_v2_5",
        "voice_settings": {
            "stability": 0.5,
            "similarity_boost": 0.75,
            "style": 0.0,
            "use_speaker_boost": False,
        },
    }


def test_billed_characters_prefers_the_header_and_ignores_nonsense():
    assert billed_characters(httpx.Headers({"character-cost": "12"}), "hello") == 12
    assert billed_characters(httpx.Headers({"character-cost": "-3"}), "hello") == 5
    assert billed_characters(httpx.Headers(), "hello") == 5


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("invalid_key", InvalidKey),
        ("quota", QuotaExhausted),
        ("permissions", MissingPermissions),
        ("rate_limit", RateLimited),
        ("server_error", ProviderUnavailable),
        ("unavailable", ProviderUnavailable),
    ],
)
def test_failures_are_provider_errors(fake, client, kind, error):
    fake.queue_error(kind)
    with pytest.raises(error) as caught:
        client.speak(KEY, REQUEST)
    assert KEY not in str(caught.value)


def test_a_wrong_key_is_invalid(fake, client):
    with pytest.raises(InvalidKey):
        client.speak("sk_wrong", REQUEST)


def test_timeout_is_unavailable(fake, served):
    fake.queue_reply(delay=1.0)
    with pytest.raises(ProviderUnavailable, match="timed out"):
        ElevenLabsClient(served[1], timeout=0.2).speak(KEY, REQUEST)


def test_an_empty_answer_is_unavailable(fake, client):
    fake.queue_reply(audio=b"")
    with pytest.raises(ProviderUnavailable, match="sent no audio"):
        client.speak(KEY, REQUEST)


def test_official_sdk_sends_the_same_request(fake, served, client):
    """elevenlabs (the official SDK) text_to_speech.convert with the same voice settings, against
    the same loopback recorder: same method, path, query, key header, content type and body."""
    elevenlabs = pytest.importorskip("elevenlabs", reason="the test extra's elevenlabs SDK")
    from elevenlabs import VoiceSettings

    client.speak(KEY, REQUEST)
    ours = fake.last_request
    sdk = elevenlabs.ElevenLabs(api_key=KEY, base_url=served[1])
    audio = b"".join(
        sdk.text_to_speech.convert(
            VOICE,
            text=REQUEST.text,
            model_id=REQUEST.model,
            output_format=OUTPUT_FORMAT,
            voice_settings=VoiceSettings(
                stability=0.4, similarity_boost=0.85, style=0.1, use_speaker_boost=True
            ),
        )
    )
    theirs = fake.last_request
    assert audio == FAKE_MP3
    assert (theirs.method, theirs.path, theirs.query) == (ours.method, ours.path, ours.query)
    assert theirs.headers["xi-api-key"] == ours.headers["xi-api-key"] == KEY
    assert theirs.headers["content-type"] == ours.headers["content-type"]
    assert theirs.json == ours.json == BODY
