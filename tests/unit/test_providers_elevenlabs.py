"""ElevenLabs against the loopback fake.

Key validation, including endpoint-scoped keys: only a key that may use text-to-speech passes,
and the check never synthesizes anything. Text-to-speech (`ElevenLabsClient.speak`): the exact
request (path, query, header, body), the audio and billed characters it returns, each failure as
the provider error the voice step branches on (the official SDK's request is compared in
tests/contracts/test_elevenlabs_tts_contract.py)."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from tests.fakes.providers import FakeElevenLabs
from tzurot.dev.audio import FAKE_MP3, frames
from tzurot.providers.elevenlabs import (
    ElevenLabsClient,
    SpeechRequest,
    billed_characters,
    parse_error,
    speech_body,
)
from tzurot.providers.errors import (
    BadRequest,
    InvalidKey,
    MissingPermissions,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
)

KEY = "sk_0123456789abcdef0123456789abcdef0123456789abcdef"
TTS_ONLY = "sk_tts0000000000000000000000000000000000000000000000"
STT_ONLY = "sk_stt0000000000000000000000000000000000000000000000"
NO_PERMISSIONS = "sk_none000000000000000000000000000000000000000000000"
MODELS_ONLY = "sk_models00000000000000000000000000000000000000000000"
PROBE = ("POST", "/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM", {})


@pytest.fixture(scope="module")
def served():
    fake = FakeElevenLabs(valid_keys={KEY})
    fake.add_key(TTS_ONLY, {"text_to_speech"})
    fake.add_key(STT_ONLY, {"speech_to_text"})
    fake.add_key(NO_PERMISSIONS, set())
    fake.add_key(MODELS_ONLY, {"models_read", "voices_read", "user_read"})
    with fake.serve() as url:
        yield fake, url


@pytest.fixture
def fake(served) -> FakeElevenLabs:
    served[0].reset()
    return served[0]


@pytest.fixture
def client(served) -> ElevenLabsClient:
    return ElevenLabsClient(served[1])


@pytest.mark.parametrize("key", [KEY, TTS_ONLY])
def test_a_key_that_may_speak_passes_without_anything_spoken(fake, client, key, caplog):
    # The probe asks text-to-speech itself with a body lacking `text`: 422 after the permission
    # check means "allowed"; no audio is made, so no characters are spent.
    client.validate_key(key)
    (sent,) = fake.requests
    assert (sent.method, sent.path, sent.json) == PROBE
    assert sent.headers["xi-api-key"] == key
    assert "authorization" not in sent.headers
    assert "provider call failed" not in caplog.text  # the 422 is the answer, not a failure


@pytest.mark.parametrize("key", [NO_PERMISSIONS, STT_ONLY, MODELS_ONLY])
def test_a_key_without_text_to_speech_is_refused_as_missing_permissions(fake, client, key):
    # Genuine keys (they authenticate), but none may use text-to-speech; one that may list
    # models is refused too.
    with pytest.raises(MissingPermissions) as caught:
        client.validate_key(key)
    assert (caught.value.status, str(caught.value)) == (
        401,
        "ElevenLabs says the API key lacks a permission this needs: The API key you used is "
        "missing the permission text_to_speech to execute this operation.",
    )
    assert [(r.method, r.path, r.json) for r in fake.requests] == [PROBE]


def test_unknown_key_is_invalid(fake, client):
    with pytest.raises(InvalidKey) as caught:
        client.validate_key("sk_wrongwrongwrongwrongwrongwrong")
    assert (caught.value.status, str(caught.value)) == (
        401,
        "ElevenLabs rejected the API key (invalid, revoked or expired)",
    )


def test_quota_exceeded_401_is_quota(fake, client):
    fake.queue_error("quota")
    with pytest.raises(QuotaExhausted) as caught:
        client.validate_key(KEY)
    assert caught.value.status == 401


def test_rate_limit(fake, client):
    fake.queue_error("rate_limit", retry_after=1)
    with pytest.raises(RateLimited) as caught:
        client.validate_key(KEY)
    assert caught.value.retry_after == 1.0


def test_a_422_elsewhere_is_a_bad_request_with_its_location(served):
    # Outside the key check (text-to-speech proper), a 422 is the caller's mistake.
    info = parse_error(422, {"detail": [{"loc": ["body", "text"], "msg": "Field required"}]})
    assert (info.kind, info.detail) == (None, "body.text: Field required")
    client = ElevenLabsClient(served[1])
    with pytest.raises(BadRequest) as caught:
        client.http.call(
            "POST", "/v1/text-to-speech/x", api_key=KEY, headers=client.headers(KEY), json={}
        )
    assert str(caught.value) == "ElevenLabs rejected the request: body.text: Field required"


@pytest.mark.parametrize("kind", ["server_error", "unavailable"])
def test_server_errors_are_transient(fake, client, kind):
    fake.queue_error(kind)
    with pytest.raises(ProviderUnavailable):
        client.validate_key(KEY)


def test_fake_refuses_text_to_speech_without_the_permission(fake, served):
    import httpx

    url = f"{served[1]}/v1/text-to-speech/JBFqnCBsd6RMkjVDRZzb"
    denied = httpx.post(url, headers={"xi-api-key": STT_ONLY}, json={"text": "hi"})
    allowed = httpx.post(url, headers={"xi-api-key": TTS_ONLY}, json={"text": "hi"})
    assert denied.status_code == 401
    assert denied.json()["detail"]["status"] == "missing_permissions"
    assert (allowed.status_code, allowed.headers["content-type"]) == (200, "audio/mpeg")
    assert allowed.content == FakeElevenLabs.AUDIO
    assert fake.last_request.json == {"text": "hi"}


# --- text-to-speech ---------------------------------------------------------------------------

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
