"""ElevenLabs key validation against the loopback fake, including endpoint-scoped keys."""

from __future__ import annotations

import pytest

from tests.fakes.providers import FakeElevenLabs
from tzurot.providers.elevenlabs import ElevenLabsClient
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


@pytest.fixture(scope="module")
def served():
    fake = FakeElevenLabs(valid_keys={KEY})
    fake.add_key(TTS_ONLY, {"text_to_speech"})
    fake.add_key(STT_ONLY, {"speech_to_text"})
    with fake.serve() as url:
        yield fake, url


@pytest.fixture
def fake(served) -> FakeElevenLabs:
    served[0].reset()
    return served[0]


@pytest.fixture
def client(served) -> ElevenLabsClient:
    return ElevenLabsClient(served[1])


def test_full_key_passes_with_a_models_listing(fake, client):
    client.validate_key(KEY)
    sent = fake.last_request
    assert (sent.method, sent.path) == ("GET", "/v1/models")
    assert sent.headers["xi-api-key"] == KEY
    assert "authorization" not in sent.headers


def test_text_to_speech_only_key_passes(fake, client):
    # GET /v1/models answers 401 missing_permissions (models_read) for such a key: that proves
    # the key authenticated, and text-to-speech is all the app needs.
    client.validate_key(TTS_ONLY)
    assert fake.last_request.headers["xi-api-key"] == TTS_ONLY


def test_missing_text_to_speech_permission_is_reported(fake, client):
    fake.queue_error("permissions")
    with pytest.raises(MissingPermissions) as caught:
        client.validate_key(KEY)
    assert str(caught.value) == (
        "ElevenLabs says the API key lacks a permission this needs: The API key you used is "
        "missing the permission text_to_speech to execute this operation."
    )


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


def test_validation_422_is_bad_request_with_location(fake, client):
    fake.queue_error("bad_request")
    with pytest.raises(BadRequest) as caught:
        client.validate_key(KEY)
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
