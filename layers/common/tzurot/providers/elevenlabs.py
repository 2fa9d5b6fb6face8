"""ElevenLabs: text-to-speech (`speak`) and key validation.

Speech is `POST /v1/text-to-speech/{voice_id}?output_format=...` with `xi-api-key` and the JSON
body {text, model_id, voice_settings}; the answer is the audio itself (audio/mpeg), and the
`character-cost` header says how many characters were billed (see `speech_body` for how a
voice_configs row maps to the body, and docs/providers.md).

ElevenLabs keys can be restricted per endpoint, and the app needs only text-to-speech. Its
OpenAPI file documents no auth errors (only 200 and 422), but the API answers every auth problem
with HTTP 401 and {"detail": {"status": ..., "message": ...}}: `invalid_api_key` for a wrong key,
`missing_permissions` for a genuine key without the endpoint's scope, `quota_exceeded` for no
credits.

The check asks the text-to-speech endpoint itself, so only a key that may use it passes, and
spends nothing: `POST /v1/text-to-speech/{voice_id}` with an empty JSON object. `text` is
required (the OpenAPI file), so the request can never synthesize anything. ElevenLabs is a
FastAPI app (its 422 bodies are FastAPI's): the key and its permission are checked before the body
is validated. So:

- 422 (the body's missing `text`): the key authenticated AND holds text_to_speech: accepted;
- 401 `missing_permissions`: a real key without text_to_speech (a key with no permissions at
  all, or one scoped to other endpoints, even one that may list models): MissingPermissions;
- 401 `invalid_api_key` / `quota_exceeded`, 429, 5xx: as everywhere else.

The probe cannot see an account that is out of characters (billing comes after validation):
such a key passes, and the voice call reports `quota_exceeded` when it is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx

from tzurot.providers.errors import (
    InvalidKey,
    MissingPermissions,
    ProviderError,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
)
from tzurot.providers.http import CHECK_TIMEOUT, ErrorInfo, ProviderClient

# A premade voice (the OpenAPI file's example). The probe's body fails validation before any
# voice is looked up, so this only has to be a well-formed id.
PROBE_VOICE_ID = "21m00Tcm4TlvDq8ikWAM"
PROBE_PATH = f"/v1/text-to-speech/{PROBE_VOICE_ID}"
VALIDATION_FAILED = 422
SPEECH_PATH = "/v1/text-to-speech/{voice_id}"
DEFAULT_MODEL = "eleven_flash_v2_5"
# MP3 plays inline in every Discord client; 64 kbps mono speech is clear and small (~0.5 MB a
# minute, so the longest reply fits the smallest upload limit) and needs no paid tier (192 does).
OUTPUT_FORMAT = "mp3_44100_64"
AUDIO_MIME = "audio/mpeg"
# A reply of TZUROT_VOICE_MAX_CHARS takes seconds. The generate function's timeout must hold
# the slowest chat call and this one after it (tests/deploy/test_template.py checks).
SPEECH_TIMEOUT = httpx.Timeout(20.0, connect=5.0)

_STATUSES: dict[str, type[ProviderError]] = {
    "invalid_api_key": InvalidKey,
    "missing_permissions": MissingPermissions,
    "quota_exceeded": QuotaExhausted,
    # "Unusual activity detected. Free Tier usage disabled.": no use until the user pays.
    "detected_unusual_activity": QuotaExhausted,
    "too_many_concurrent_requests": RateLimited,
    "system_busy": RateLimited,
}


@dataclass(frozen=True)
class SpeechRequest:
    """One synthesis: the text and a personality's voice settings (voice_configs, each in
    [0, 1])."""

    voice_id: str
    model: str
    text: str
    stability: Decimal | float
    similarity: Decimal | float
    style: Decimal | float
    frequency: Decimal | float
    output_format: str = OUTPUT_FORMAT


@dataclass(frozen=True)
class Speech:
    """The audio bytes and the characters ElevenLabs billed for them."""

    audio: bytes
    mime_type: str
    characters: int

    @property
    def filename(self) -> str:
        return "voice.mp3" if self.mime_type == AUDIO_MIME else "voice.bin"


def speech_body(request: SpeechRequest) -> dict[str, Any]:
    """The JSON body. voice_configs -> voice_settings: stability -> stability, similarity ->
    similarity_boost, style -> style, frequency (the proposal's "frequency boost") ->
    use_speaker_boost, the API's only boost left: on for any value above 0, off at 0 (the
    column's default). Ratios go as numbers with their two stored decimals."""
    return {
        "text": request.text,
        "model_id": request.model or DEFAULT_MODEL,
        "voice_settings": {
            "stability": float(request.stability),
            "similarity_boost": float(request.similarity),
            "style": float(request.style),
            "use_speaker_boost": float(request.frequency) > 0,
        },
    }


def billed_characters(headers: httpx.Headers, text: str) -> int:
    """`character-cost` when ElevenLabs sent a sane one, else the text's length (what it bills
    for most models)."""
    raw = headers.get("character-cost", "").strip()
    return int(raw) if raw.isdigit() else len(text)


class ElevenLabsClient(ProviderClient):
    name = "elevenlabs"
    label = "ElevenLabs"

    def parse_error(self, status: int, body: Any) -> ErrorInfo:
        return parse_error(status, body)

    @staticmethod
    def headers(api_key: str) -> dict[str, str]:
        return {"xi-api-key": api_key}

    def speak(self, api_key: str, request: SpeechRequest) -> Speech:
        """Synthesise `request.text`; ProviderError types on failure (an invalid key is
        InvalidKey, no credits QuotaExhausted, as everywhere)."""
        response = self.http.send(
            "POST",
            SPEECH_PATH.format(voice_id=quote(request.voice_id, safe="")),
            api_key=api_key,
            headers=self.headers(api_key),
            json=speech_body(request),
            params={"output_format": request.output_format},
            timeout=SPEECH_TIMEOUT,
        )
        audio = response.content
        if not audio:
            raise self.http.fail(
                ProviderUnavailable(provider=self.label, status=200, detail="sent no audio")
            )
        mime = response.headers.get("content-type", AUDIO_MIME).split(";")[0].strip()
        return Speech(audio, mime or AUDIO_MIME, billed_characters(response.headers, request.text))

    def validate_key(self, api_key: str) -> None:
        """Pass only for a key that may use text-to-speech (see the module docstring)."""
        self.http.call(
            "POST",
            PROBE_PATH,
            api_key=api_key,
            headers=self.headers(api_key),
            json={},  # no `text`: validation fails after the permission check, nothing is spoken
            timeout=CHECK_TIMEOUT,
            expected=(VALIDATION_FAILED,),
        )


def parse_error(status: int, body: Any) -> ErrorInfo:
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, dict):
        message = detail.get("message") if isinstance(detail.get("message"), str) else None
        return ErrorInfo(_STATUSES.get(detail.get("status")), message)
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):
        # FastAPI-style 422: [{"loc": [...], "msg": "...", "type": "..."}]
        first = detail[0]
        where = ".".join(str(p) for p in first.get("loc") or [])
        return ErrorInfo(detail=f"{where}: {first.get('msg')}" if where else first.get("msg"))
    return ErrorInfo(detail=detail if isinstance(detail, str) else None)
