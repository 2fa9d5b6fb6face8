"""The provider fakes live in tzurot_fakes.providers (devtools/), so that `tzurot dev
--fake-providers` can serve them on a bare install; tests import them from here or there."""

from tzurot_fakes.providers import (
    ELEVENLABS_PERMISSIONS,
    ERROR_KINDS,
    FAKE_PNG,
    FAKES,
    FakeAnthropic,
    FakeElevenLabs,
    FakeGemini,
    FakeOpenAI,
    FakeOpenRouter,
    FakeProviderAPI,
    RawResponse,
    RecordedRequest,
    Reply,
    ScriptedError,
    make_png,
    masked,
)

__all__ = [
    "ELEVENLABS_PERMISSIONS",
    "ERROR_KINDS",
    "FAKES",
    "FAKE_PNG",
    "FakeAnthropic",
    "FakeElevenLabs",
    "FakeGemini",
    "FakeOpenAI",
    "FakeOpenRouter",
    "FakeProviderAPI",
    "RawResponse",
    "RecordedRequest",
    "Reply",
    "ScriptedError",
    "make_png",
    "masked",
]
