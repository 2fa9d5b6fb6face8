"""Adapter: Lambda Function URL events (payload format 2.0) to the endpoint core and back."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from tzurot.discord.endpoint import MAX_BODY_BYTES, TOO_LARGE, HttpResponse, handle
from tzurot.logs import get_logger

# A base64 body longer than this decodes to more than MAX_BODY_BYTES: refuse it undecoded.
_MAX_BASE64_CHARS = (MAX_BODY_BYTES + 2) // 3 * 4
logger = get_logger("interactions")


def _raw_body(event: dict[str, Any]) -> bytes | None:
    """The request body as sent; None when it cannot be decoded (so it fails verification)."""
    body = event.get("body") or ""
    if not isinstance(body, str):
        return None
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            return None
    try:
        return body.encode()
    except UnicodeEncodeError:
        return None


def _to_event(response: HttpResponse) -> dict[str, Any]:
    return {
        "statusCode": response.status,
        "headers": response.headers,
        "body": response.body.decode(),
        "isBase64Encoded": False,
    }


def handle_event(event: dict[str, Any]) -> dict[str, Any]:
    method = ((event.get("requestContext") or {}).get("http") or {}).get("method", "POST")
    if method != "POST":
        return _to_event(HttpResponse(405, {"allow": "POST"}))
    if event.get("isBase64Encoded") and len(event.get("body") or "") > _MAX_BASE64_CHARS:
        return _to_event(TOO_LARGE)
    headers = event.get("headers") or {}
    try:
        return _to_event(handle(headers, _raw_body(event)))
    except Exception:
        # A bug, not a bad request. Logged through the redacting logger (the runtime's own
        # traceback print would not be), and Discord gets a bare 500.
        logger.exception("interactions handler failed")
        return _to_event(HttpResponse(500))
