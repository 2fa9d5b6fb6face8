"""The fake Anthropic Messages API: messages (plain and streamed, with thinking), the model list,
the anthropic-version header check and Anthropic's real error bodies."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tzurot_fakes import streams
from tzurot_fakes.base import FakeProviderAPI, RecordedRequest, Reply, bearer_key, retry_headers


class FakeAnthropic(FakeProviderAPI):
    """POST /v1/messages and GET /v1/models, `Authorization: Bearer` (or `x-api-key`) and
    `anthropic-version`."""

    name = "anthropic"

    def routes(self) -> list[Route]:
        return [
            Route("/v1/messages", self.messages, methods=["POST"]),
            Route("/v1/models", self.models, methods=["GET"]),
        ]

    def key_of(self, recorded: RecordedRequest) -> str | None:
        # The SDK sends the key as a bearer token; the API still takes x-api-key too.
        return bearer_key(recorded) or recorded.headers.get("x-api-key")

    def refuse(self, key: str, recorded: RecordedRequest) -> Response | None:
        if recorded.headers.get("anthropic-version") is None:
            return self._error_body(
                400, "invalid_request_error", "anthropic-version: header is required"
            )
        return None

    async def messages(self, request: Request) -> Response:
        return await self._answer(request, self.message)

    async def models(self, request: Request) -> Response:
        return await self._answer(request, self.model_list)

    def message(self, recorded: RecordedRequest, reply: Reply) -> Response:
        body = recorded.json or {}
        if body.get("stream"):
            return streams.anthropic_stream(body, reply)
        content: list[dict[str, Any]] = []
        if reply.thinking is not None:
            content.append({"type": "thinking", "thinking": reply.thinking, "signature": "c2ln"})
        if reply.text is not None:
            content.append({"type": "text", "text": reply.text})
        return JSONResponse(
            {
                "id": "msg_fake0001",
                "type": "message",
                "role": "assistant",
                "model": reply.model or body.get("model", "unknown"),
                "content": content,
                "stop_reason": reply.finish_reason or "end_turn",
                "stop_sequence": None,
                "usage": {
                    "input_tokens": reply.tokens_in,
                    "output_tokens": reply.tokens_out,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 0,
                },
            }
        )

    def model_list(self, recorded: RecordedRequest, reply: Reply) -> Response:
        model = {
            "type": "model",
            "id": "claude-sonnet-4-5-20250929",
            "display_name": "Claude Sonnet 4.5",
            "created_at": "2025-09-29T00:00:00Z",
            "lifecycle": "active",  # required in the SDK's ModelInfo
        }
        return JSONResponse(
            {"data": [model], "has_more": False, "first_id": model["id"], "last_id": model["id"]}
        )

    @staticmethod
    def _error_body(status: int, err_type: str, message: str, headers=None) -> Response:
        body = {
            "type": "error",
            "error": {"type": err_type, "message": message},
            "request_id": "req_fake0001",
        }
        return JSONResponse(body, status, headers=headers or {})

    def error(self, kind, message, retry_after, recorded) -> Response:
        if kind == "blocked":
            # Anthropic's safety classifiers stop a reply with stop_reason "refusal" (HTTP 200).
            return self.message(recorded, Reply(text=None, finish_reason="refusal", tokens_out=0))
        table = {
            "invalid_key": (401, "authentication_error", "invalid x-api-key"),
            "quota": (
                400,
                "invalid_request_error",
                "Your credit balance is too low to access the Anthropic API. Please go to Plans "
                "& Billing to upgrade or purchase credits.",
            ),
            "permissions": (
                403,
                "permission_error",
                "Your API key does not have permission to use the specified resource.",
            ),
            "rate_limit": (
                429,
                "rate_limit_error",
                "This request would exceed the rate limit for your organization of 50 requests "
                "per minute.",
            ),
            "bad_request": (
                400,
                "invalid_request_error",
                "messages: text content blocks must be non-empty",
            ),
            "server_error": (500, "api_error", "Internal server error"),
            "unavailable": (529, "overloaded_error", "Overloaded"),
        }
        status, err_type, default = table[kind]
        return self._error_body(status, err_type, message or default, retry_headers(retry_after))
