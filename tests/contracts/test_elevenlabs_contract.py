"""The ElevenLabs key check against the official `elevenlabs` SDK (a test-only dependency).

The check posts to the text-to-speech operation itself with an empty body: the same path and
`xi-api-key` header as the SDK's `text_to_speech.convert`, whose `text` argument is required
(so the probe can never synthesize anything and is answered with a validation error, which the
SDK reads as an UnprocessableEntityError carrying its HttpValidationError model).
"""

from __future__ import annotations

import inspect
import json

import pytest
from elevenlabs import ElevenLabs
from elevenlabs.core.api_error import ApiError
from elevenlabs.errors import UnprocessableEntityError
from elevenlabs.types import HttpValidationError

from tests.contracts.recorder import recorded, serve
from tests.fakes.providers import FakeElevenLabs, RecordedRequest
from tzurot.providers import errors
from tzurot.providers.elevenlabs import PROBE_PATH, PROBE_VOICE_ID, ElevenLabsClient

KEY = "sk_contract0123456789abcdef0123456789abcdef"


served, fake, ours = serve(FakeElevenLabs, KEY, ElevenLabsClient)


@pytest.fixture
def sdk(served) -> ElevenLabs:
    return ElevenLabs(api_key=KEY, base_url=served[1])


def test_the_key_check_asks_the_sdks_text_to_speech_operation_without_text(fake, ours, sdk):
    sent, _ = recorded(fake, lambda: ours.validate_key(KEY))
    by_sdk, _ = recorded(
        fake, lambda: b"".join(sdk.text_to_speech.convert(PROBE_VOICE_ID, text="hi"))
    )
    assert (sent.method, sent.path) == (by_sdk.method, by_sdk.path) == ("POST", PROBE_PATH)
    assert sent.headers["xi-api-key"] == by_sdk.headers["xi-api-key"] == KEY
    assert (sent.json, by_sdk.json) == ({}, {"text": "hi"})
    # `text` is the one required body argument of the SDK's call: the probe lacks it.
    parameters = inspect.signature(sdk.text_to_speech.convert).parameters
    required = [
        name
        for name, p in parameters.items()
        if p.default is inspect.Parameter.empty and p.kind is p.KEYWORD_ONLY
    ]
    assert required == ["text"]


def test_the_probes_answer_is_the_sdks_validation_error(fake, sdk):
    answer = fake.synthesize(RecordedRequest("POST", PROBE_PATH, {}, {}, {}), None)
    assert answer.status_code == 422
    parsed = HttpValidationError.model_validate(json.loads(answer.body))
    assert [(e.loc, e.type) for e in parsed.detail] == [(["body", "text"], "missing")]
    # What the SDK makes of the same answer to a call it sends.
    fake.queue_raw(422, json.loads(answer.body))
    with pytest.raises(UnprocessableEntityError):
        b"".join(sdk.text_to_speech.convert(PROBE_VOICE_ID, text="hi"))


@pytest.mark.parametrize(
    ("kind", "ours_class"),
    [
        ("invalid_key", errors.InvalidKey),
        ("permissions", errors.MissingPermissions),
        ("quota", errors.QuotaExhausted),
    ],
)
def test_auth_answers_are_401s_to_the_sdk_and_classed_by_detail_status_to_us(
    fake, ours, sdk, kind, ours_class
):
    fake.queue_error(kind)
    with pytest.raises(ApiError) as sdk_caught:
        b"".join(sdk.text_to_speech.convert(PROBE_VOICE_ID, text="hi"))
    # The SDK has no class per cause for this operation: a 401 with detail.status.
    assert sdk_caught.value.status_code == 401
    assert sdk_caught.value.body["detail"]["status"] in (
        "invalid_api_key",
        "missing_permissions",
        "quota_exceeded",
    )
    fake.queue_error(kind)
    with pytest.raises(ours_class):
        ours.validate_key(KEY)
