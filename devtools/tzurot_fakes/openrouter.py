"""The fake OpenRouter API: OpenAI-compatible chat completions (with generated images when
asked), GET /key for the key's credit, and OpenRouter's own error bodies."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tzurot_fakes.base import RecordedRequest, Reply, retry_headers
from tzurot_fakes.openai import FakeOpenAI


class FakeOpenRouter(FakeOpenAI):
    """POST /api/v1/chat/completions and GET /api/v1/key (OpenAI-compatible, own errors)."""

    name = "openrouter"
    prefix = "/api/v1"

    def __init__(self, valid_keys: Iterable[str] = ("test-key",)):
        super().__init__(valid_keys)
        # GET /key answers with these (set limit_remaining=0 for a key with no credit left).
        self.key_info: dict[str, Any] = {
            "label": "sk-or-v1-fak...0000",
            "limit": 10.0,
            "limit_remaining": 7.5,
            "limit_reset": None,
            "usage": 2.5,
            "usage_daily": 0.5,
            "usage_weekly": 1.0,
            "usage_monthly": 2.5,
            "byok_usage": 0.0,
            "byok_usage_daily": 0.0,
            "byok_usage_weekly": 0.0,
            "byok_usage_monthly": 0.0,
            "is_free_tier": False,
            "is_management_key": False,
            "is_provisioning_key": False,
            "include_byok_in_limit": False,
            "creator_user_id": "user_fake",
            "expires_at": None,
            "rate_limit": {"requests": -1, "interval": "10s", "note": "deprecated"},
        }

    def routes(self) -> list[Route]:
        return [
            Route("/api/v1/chat/completions", self.chat, methods=["POST"]),
            Route("/api/v1/key", self.key, methods=["GET"]),
        ]

    async def key(self, request: Request) -> Response:
        return await self._answer(request, lambda rec, reply: JSONResponse({"data": self.key_info}))

    def completion(self, recorded: RecordedRequest, reply: Reply) -> Response:
        """A chat completion; with `modalities` including "image", the message also carries the
        generated image as a data URL in `images` (ChatAssistantImages)."""
        response = super().completion(recorded, reply)
        if "image" not in ((recorded.json or {}).get("modalities") or []):
            return response
        data = json.loads(response.body)
        url = f"data:{reply.image_mime};base64,{reply.image_b64}"
        data["choices"][0]["message"]["images"] = [{"type": "image_url", "image_url": {"url": url}}]
        return JSONResponse(data)

    def error(self, kind, message, retry_after, recorded) -> Response:
        metadata: dict[str, Any] | None = None
        table = {
            "invalid_key": (401, "User not found."),
            "quota": (402, "Insufficient credits. Add more using https://openrouter.ai/credits"),
            "permissions": (403, "Only management keys can perform this operation"),
            "rate_limit": (429, "Rate limit exceeded"),
            "blocked": (
                403,
                "openai/gpt-4o requires moderation on OpenAI. Your input was flagged for "
                '"harassment". No credits were charged.',
            ),
            "bad_request": (400, "Invalid request parameters"),
            "server_error": (500, "Internal Server Error"),
            "unavailable": (503, "Service temporarily unavailable"),
        }
        status, default = table[kind]
        if kind == "blocked":
            metadata = {
                "reasons": ["harassment"],
                "flagged_input": "...",
                "provider_name": "OpenAI",
                "model_slug": "openai/gpt-4o",
            }
        error: dict[str, Any] = {"code": status, "message": message or default}
        if metadata:
            error["metadata"] = metadata
        return JSONResponse({"error": error}, status, headers=retry_headers(retry_after))
