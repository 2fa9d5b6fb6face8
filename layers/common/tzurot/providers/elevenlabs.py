"""ElevenLabs: key validation (text-to-speech itself belongs to the voice feature).

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

from typing import Any

from tzurot.providers.errors import (
    InvalidKey,
    MissingPermissions,
    ProviderError,
    QuotaExhausted,
    RateLimited,
)
from tzurot.providers.http import CHECK_TIMEOUT, ErrorInfo, ProviderClient

# A premade voice (the OpenAPI file's example). The probe's body fails validation before any
# voice is looked up, so this only has to be a well-formed id.
PROBE_VOICE_ID = "21m00Tcm4TlvDq8ikWAM"
PROBE_PATH = f"/v1/text-to-speech/{PROBE_VOICE_ID}"
VALIDATION_FAILED = 422

_STATUSES: dict[str, type[ProviderError]] = {
    "invalid_api_key": InvalidKey,
    "missing_permissions": MissingPermissions,
    "quota_exceeded": QuotaExhausted,
    # "Unusual activity detected. Free Tier usage disabled.": no use until the user pays.
    "detected_unusual_activity": QuotaExhausted,
    "too_many_concurrent_requests": RateLimited,
    "system_busy": RateLimited,
}


class ElevenLabsClient(ProviderClient):
    name = "elevenlabs"
    label = "ElevenLabs"

    def parse_error(self, status: int, body: Any) -> ErrorInfo:
        return parse_error(status, body)

    @staticmethod
    def headers(api_key: str) -> dict[str, str]:
        return {"xi-api-key": api_key}

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
