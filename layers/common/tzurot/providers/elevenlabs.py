"""ElevenLabs: key validation (text-to-speech itself belongs to the voice feature).

ElevenLabs keys can be restricted per endpoint, and the app needs only text-to-speech. Its
OpenAPI file documents no auth errors (only 200 and 422), but the API answers every auth problem
with HTTP 401 and {"detail": {"status": ..., "message": ...}}: `invalid_api_key` for a wrong key,
`missing_permissions` for a genuine key without the endpoint's scope, `quota_exceeded` for no
credits. The check calls GET /v1/models (free, no side effects). A text-to-speech-only key lacks
`models_read`, so `missing_permissions` there proves the key authenticated and is accepted; only
a refusal naming text_to_speech itself is reported as missing permissions.
"""

from __future__ import annotations

from typing import Any

import httpx

from tzurot.providers.errors import (
    InvalidKey,
    MissingPermissions,
    ProviderError,
    QuotaExhausted,
    RateLimited,
)
from tzurot.providers.http import CHECK_TIMEOUT, ErrorInfo, ProviderHTTP

TTS_PERMISSION = "text_to_speech"

_STATUSES: dict[str, type[ProviderError]] = {
    "invalid_api_key": InvalidKey,
    "missing_permissions": MissingPermissions,
    "quota_exceeded": QuotaExhausted,
    # "Unusual activity detected. Free Tier usage disabled.": no use until the user pays.
    "detected_unusual_activity": QuotaExhausted,
    "too_many_concurrent_requests": RateLimited,
    "system_busy": RateLimited,
}


class ElevenLabsClient:
    name = "elevenlabs"
    label = "ElevenLabs"

    def __init__(
        self,
        base_url: str,
        *,
        timeout: httpx.Timeout | float | None = None,
        client: httpx.Client | None = None,
    ):
        self.http = ProviderHTTP(
            self.label, base_url, parse_error=parse_error, timeout=timeout, client=client
        )

    @staticmethod
    def headers(api_key: str) -> dict[str, str]:
        return {"xi-api-key": api_key}

    def validate_key(self, api_key: str) -> None:
        try:
            self.http.call(
                "GET",
                "/v1/models",
                api_key=api_key,
                headers=self.headers(api_key),
                timeout=CHECK_TIMEOUT,
            )
        except MissingPermissions as exc:
            if TTS_PERMISSION in (exc.detail or ""):
                raise
            # Authenticated but scoped (e.g. a text-to-speech-only key): usable for voice.


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
