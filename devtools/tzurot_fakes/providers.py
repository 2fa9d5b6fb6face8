"""Loopback fakes of the AI provider APIs, speaking their real request/response/error JSON.

One Starlette app per provider: `FakeOpenAI`, `FakeAnthropic`, `FakeGemini`, `FakeOpenRouter`,
`FakeElevenLabs`. Each one

- records every request in `fake.requests` (`RecordedRequest`: method, path, headers with
  lower-case names, query, parsed JSON body) — `fake.last_request` is the latest;
- checks the auth header like the real API (keys in `fake.valid_keys`, default {"test-key"};
  `valid_keys=None` accepts any non-empty key, as `tzurot dev --fake-providers` does) and
  answers an unknown key with that provider's real invalid-key error;
- answers from a script, consumed in order by the next request to ANY endpoint (a queued reply
  on a listing endpoint just yields the normal listing); an empty script means a default reply:

      fake.queue_reply(text="Hi", tokens_in=12, tokens_out=3)          # 200 with that text
      fake.queue_reply(text="Hi", thinking="hmm", finish_reason=...)    # reasoning, stop reason
      fake.queue_error("quota")                                        # the provider's real error
      fake.queue_error("rate_limit", retry_after=7)                    # with its retry hint
      fake.queue_raw(418, {"any": "body"}, headers={...})              # anything else
      fake.queue_reply(text="late", delay=2.0)                         # slow: trips a timeout

  Error kinds (`ERROR_KINDS`): invalid_key, quota, permissions, rate_limit, blocked,
  bad_request, server_error (500), unavailable (503/529 overload).

Image requests (OpenAI POST /v1/images/generations, OpenRouter chat completions with
`modalities: ["image", ...]`, Gemini generateContent with IMAGE in responseModalities) answer
with `FAKE_PNG`, a small real PNG, in each API's own shape; `queue_reply(image=b"...",
image_mime="image/jpeg")` scripts other bytes. ElevenLabs text-to-speech answers with
`FAKE_MP3` (tzurot.dev.audio: real MPEG frames of silence) and a `character-cost` header;
`queue_reply(audio=b"...")` scripts other bytes.

`fake.reset()` clears both between tests that share one server. Run with
`with fake.serve() as base_url:`; `base_url` is what the matching *_BASE_URL variable
would hold (it includes "/v1" for OpenAI and "/api/v1" for OpenRouter, like the real defaults).
Error bodies follow the vendors' documented shapes; see docs/providers.md.

This module is the import surface (and `FAKES`, the fakes by provider name): each fake lives in
a module of its own (openai, openrouter, anthropic, gemini, elevenlabs), what they share in base,
the PNG they answer image requests with in images.
"""

from __future__ import annotations

from tzurot_fakes.anthropic import FakeAnthropic
from tzurot_fakes.base import (
    ERROR_KINDS,
    FakeProviderAPI,
    RawResponse,
    RecordedRequest,
    Reply,
    ScriptedError,
)
from tzurot_fakes.elevenlabs import ELEVENLABS_PERMISSIONS, FakeElevenLabs
from tzurot_fakes.gemini import FakeGemini
from tzurot_fakes.images import FAKE_PNG, make_png
from tzurot_fakes.openai import FREE_SIZE_IMAGE_MODELS, SHUT_DOWN_IMAGE_MODELS, FakeOpenAI, masked
from tzurot_fakes.openrouter import FakeOpenRouter

__all__ = [
    "ELEVENLABS_PERMISSIONS",
    "ERROR_KINDS",
    "FAKES",
    "FAKE_PNG",
    "FREE_SIZE_IMAGE_MODELS",
    "SHUT_DOWN_IMAGE_MODELS",
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

FAKES: dict[str, type[FakeProviderAPI]] = {
    fake.name: fake
    for fake in (FakeOpenAI, FakeAnthropic, FakeGemini, FakeOpenRouter, FakeElevenLabs)
}
