"""Scaffold for the text-to-speech contract: what the `elevenlabs` SDK sends for a synthesis.

`sdk_tts_request(...)` records the SDK's own `text_to_speech.convert` call through a loopback
FakeElevenLabs. A client's synthesis request is held against it with `assert_same_request`
(tests/contracts/recorder.py): same path, `xi-api-key`, body, and query (output_format).
The tests here pin the SDK's wire format the voice feature has to match.
"""

from __future__ import annotations

from typing import Any

from elevenlabs import ElevenLabs
from elevenlabs.types import VoiceSettings

from tests.contracts.recorder import recorded, serve
from tests.fakes.providers import FakeElevenLabs, RecordedRequest
from tzurot.providers.elevenlabs import ElevenLabsClient

KEY = "sk_contract0123456789abcdef0123456789abcdef"
VOICE = "21m00Tcm4TlvDq8ikWAM"


# `ours` is the key-check client today; the voice feature's synthesis joins it here.
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
    assert audio == FakeElevenLabs.AUDIO


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
