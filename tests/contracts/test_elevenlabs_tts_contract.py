"""The text-to-speech contract: what the `elevenlabs` SDK sends for a synthesis, and our voice
client (`ElevenLabsClient.speak`) sending the same.

`sdk_tts_request(...)` records the SDK's own `text_to_speech.convert` call through a loopback
FakeElevenLabs; our request is held against it with `assert_same_request`
(tests/contracts/recorder.py): same path, `xi-api-key`, content type, body, and query
(output_format), for each way a voice_configs row maps to voice_settings.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from elevenlabs import ElevenLabs
from elevenlabs.types import VoiceSettings

from tests.contracts.recorder import assert_same_request, recorded, serve
from tests.fakes.providers import FakeElevenLabs, RecordedRequest
from tzurot.dev.audio import FAKE_MP3
from tzurot.providers.elevenlabs import OUTPUT_FORMAT, ElevenLabsClient, SpeechRequest

KEY = "sk_contract0123456789abcdef0123456789abcdef"
VOICE = "21m00Tcm4TlvDq8ikWAM"


served, fake, ours = serve(FakeElevenLabs, KEY, ElevenLabsClient)


def sdk_tts_request(served, voice_id: str, **arguments: Any) -> tuple[RecordedRequest, bytes]:
    """The SDK's request for `convert(voice_id, **arguments)` and the audio it got back."""
    fake, url = served
    client = ElevenLabs(api_key=KEY, base_url=url)
    return recorded(fake, lambda: b"".join(client.text_to_speech.convert(voice_id, **arguments)))


def test_a_minimal_synthesis(served):
    sent, audio = sdk_tts_request(served, VOICE, text="Hello there.")
    assert (sent.method, sent.path, sent.query) == ("POST", f"/v1/text-to-speech/{VOICE}", {})
    assert sent.headers["xi-api-key"] == KEY
    assert sent.json == {"text": "Hello there."}
    assert audio == FakeElevenLabs.AUDIO == FAKE_MP3


def test_model_settings_and_format_go_in_body_and_query(served):
    settings = VoiceSettings(stability=0.4, similarity_boost=0.8, style=0.1, use_speaker_boost=True)
    sent, _ = sdk_tts_request(
        served,
        VOICE,
        text="Hi",
        model_id="eleven_multilingual_v2",
        voice_settings=settings,
        output_format="mp3_44100_128",
    )
    assert sent.query == {"output_format": "mp3_44100_128"}
    assert sent.json == {
        "text": "Hi",
        "model_id": "eleven_multilingual_v2",
        "voice_settings": {
            "stability": 0.4,
            "similarity_boost": 0.8,
            "style": 0.1,
            "use_speaker_boost": True,
        },
    }


@pytest.mark.parametrize(
    ("ratios", "settings"),
    [
        (("0.40", "0.85", "0.10", "0.30"), (0.4, 0.85, 0.1, True)),
        (("0.50", "0.75", "0.00", "0.00"), (0.5, 0.75, 0.0, False)),  # the columns' defaults
    ],
)
def test_our_synthesis_is_the_sdks(served, fake, ours, ratios, settings):
    """voice_configs (stability, similarity, style, frequency) -> the SDK's VoiceSettings
    (stability, similarity_boost, style, use_speaker_boost), output_format mp3_44100_64."""
    stability, similarity, style, frequency = (Decimal(r) for r in ratios)
    request = SpeechRequest(
        VOICE, "eleven_flash_v2_5", "Hello there.", stability, similarity, style, frequency
    )
    mine, speech = recorded(fake, lambda: ours.speak(KEY, request))
    sdk, audio = sdk_tts_request(
        served,
        VOICE,
        text="Hello there.",
        model_id="eleven_flash_v2_5",
        output_format=OUTPUT_FORMAT,
        voice_settings=VoiceSettings(
            stability=settings[0],
            similarity_boost=settings[1],
            style=settings[2],
            use_speaker_boost=settings[3],
        ),
    )
    assert_same_request(mine, sdk, ("xi-api-key", "content-type"))
    assert mine.query == sdk.query == {"output_format": "mp3_44100_64"}
    assert speech.audio == audio == FAKE_MP3
