"""Anthropic Messages API: POST /v1/messages with the key as `Authorization: Bearer` (what the
official SDK sends; the API also takes x-api-key) and the anthropic-version header.

API version 2026-10-21 (what the official SDK sends) has no sampling parameters: temperature,
top_p and topK stay in stored configs but are never sent (`/config show` says so). How much the
model works goes in `output_config.effort`; thinking is `enabled` (with a budget), `adaptive`
or left out.
"""

from __future__ import annotations

from typing import Any

from tzurot.providers.base import ChatMessage, ChatRequest, ChatResult, TextProvider, read_paid
from tzurot.providers.errors import (
    BadRequest,
    ContentBlocked,
    InvalidKey,
    MissingPermissions,
    ProviderError,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
)
from tzurot.providers.http import CHAT_TIMEOUT, CHECK_TIMEOUT, ErrorInfo, ProviderClient, put
from tzurot.providers.streaming import Accumulator, TextSink, ended_early, stream_events

API_VERSION = "2026-10-21"
DEFAULT_MAX_TOKENS = 1024  # Anthropic requires max_tokens; this is its documented example value

_ERROR_TYPES: dict[str, type[ProviderError]] = {
    "authentication_error": InvalidKey,
    "permission_error": MissingPermissions,
    "billing_error": QuotaExhausted,
    "rate_limit_error": RateLimited,
    "overloaded_error": ProviderUnavailable,
    "api_error": ProviderUnavailable,
    "timeout_error": ProviderUnavailable,
    "invalid_request_error": BadRequest,
    "not_found_error": BadRequest,
    "request_too_large": BadRequest,
}
# error.details.error_code values that say more than the error type (the SDK's ErrorDetails):
# a spend limit arrives as a rate_limit_error, but no retry within minutes will pass it.
_ERROR_CODES: dict[str, type[ProviderError]] = {
    "enforced_spend_limit_reached": QuotaExhausted,
    "contract_spend_limit_reached": QuotaExhausted,
    "linked_organization_spend_limit_reached": QuotaExhausted,
    "linked_organization_billing_unavailable": QuotaExhausted,
    "organization_on_hold": MissingPermissions,
}
_FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length"}


class AnthropicProvider(ProviderClient, TextProvider):
    name = "anthropic"
    label = "Anthropic"

    def parse_error(self, status: int, body: Any) -> ErrorInfo:
        return parse_error(status, body)

    @staticmethod
    def headers(api_key: str) -> dict[str, str]:
        return {"authorization": f"Bearer {api_key}", "anthropic-version": API_VERSION}

    def build_body(self, request: ChatRequest) -> dict[str, Any]:
        advanced = request.advanced
        body: dict[str, Any] = {
            "model": request.model,
            "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS,
            "messages": [{"role": m.role, "content": _content(m)} for m in request.messages],
        }
        if request.system:
            if advanced.get("cacheControl"):
                body["system"] = [
                    {
                        "type": "text",
                        "text": request.system,
                        "cache_control": {"type": "ephemeral"},
                    }
                ]
            else:
                body["system"] = request.system
        put(body, "stop_sequences", advanced.get("stop") or None)
        if advanced.get("effort"):
            body["output_config"] = {"effort": advanced["effort"]}
        thinking = advanced.get("thinking") or {}
        if thinking.get("type") == "adaptive":
            body["thinking"] = {"type": "adaptive"}
        elif thinking.get("type") == "enabled":
            budget = int(thinking.get("budgetTokens") or DEFAULT_MAX_TOKENS)
            body["thinking"] = {"type": "enabled", "budget_tokens": budget}
            # budget_tokens must stay below max_tokens; keep the asked-for room for the answer.
            if body["max_tokens"] <= budget:
                body["max_tokens"] = budget + (request.max_tokens or DEFAULT_MAX_TOKENS)
        return body

    def chat_stream(self, api_key: str, request: ChatRequest, on_text: TextSink) -> ChatResult:
        """Messages streaming: message_start (input usage), content_block_delta (text_delta;
        thinking deltas are not the reply), message_delta (stop reason, output usage, which is
        cumulative), message_stop; `event: error` is classified like a failed response."""
        answer = Accumulator(on_text)
        message: dict[str, Any] = {"content": [], "usage": {}}
        stopped = False
        for event, data in stream_events(
            self.http,
            "POST",
            "/v1/messages",
            api_key=api_key,
            headers=self.headers(api_key),
            json_body=self.build_body(request) | {"stream": True},
        ):
            kind = data.get("type") if isinstance(data, dict) else None
            if kind == "error" or event == "error":
                error = data.get("error") if isinstance(data, dict) else None
                overloaded = isinstance(error, dict) and error.get("type") == "overloaded_error"
                raise self.http.error(529 if overloaded else 500, data, api_key)
            if kind == "message_start":
                start = data.get("message") or {}
                message["model"] = start.get("model")
                message["usage"].update(start.get("usage") or {})
            elif kind == "content_block_delta":
                delta = data.get("delta") or {}
                if delta.get("type") == "text_delta":
                    answer.add(delta.get("text"))
            elif kind == "message_delta":
                message["stop_reason"] = (data.get("delta") or {}).get("stop_reason")
                message["usage"].update(
                    {k: v for k, v in (data.get("usage") or {}).items() if v is not None}
                )
            elif kind == "message_stop":
                stopped = True
        if not stopped:
            raise ended_early(self.http)
        message["content"] = [{"type": "text", "text": answer.text}]
        return read_paid(self.label, lambda: self.parse_result(message, request))

    def chat(self, api_key: str, request: ChatRequest) -> ChatResult:
        data = self.http.call(
            "POST",
            "/v1/messages",
            api_key=api_key,
            headers=self.headers(api_key),
            json=self.build_body(request),
            timeout=CHAT_TIMEOUT,
        )
        return read_paid(self.label, lambda: self.parse_result(data, request))

    def parse_result(self, data: Any, request: ChatRequest) -> ChatResult:
        if not isinstance(data, dict) or not isinstance(data.get("content"), list):
            raise self.http.fail(
                ProviderUnavailable(provider=self.label, detail="returned no answer")
            )
        # Thinking blocks are the model's scratchpad, never part of the reply.
        text = "".join(
            block.get("text") or ""
            for block in data["content"]
            if isinstance(block, dict) and block.get("type") == "text"
        )
        stop = data.get("stop_reason")
        if stop == "refusal" and not text:
            raise self.http.fail(ContentBlocked(provider=self.label))
        usage = data.get("usage") or {}
        # input_tokens counts only what was neither written to nor read from the cache.
        tokens_in = tuple(
            usage.get(k)
            for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
        )
        details = usage.get("output_tokens_details")
        return ChatResult(
            text=text,
            tokens_in=tokens_in,
            tokens_out=usage.get("output_tokens"),
            model=data.get("model") or request.model,
            finish_reason=_FINISH.get(stop, stop),
            reasoning_tokens=int(details.get("thinking_tokens") or 0)
            if isinstance(details, dict)
            else 0,
            cached_tokens=int(usage.get("cache_read_input_tokens") or 0),
        )

    def validate_key(self, api_key: str) -> None:
        self.http.call(
            "GET",
            "/v1/models",
            api_key=api_key,
            headers=self.headers(api_key),
            params={"limit": 1},
            timeout=CHECK_TIMEOUT,
        )


def _content(message: ChatMessage) -> str | list[dict[str, Any]]:
    """A message's text, or its images (base64 sources) followed by its text: Anthropic
    recommends images before the question about them."""
    if not message.images:
        return message.content
    images = [
        {
            "type": "image",
            "source": {"type": "base64", "media_type": image.mime_type, "data": image.base64},
        }
        for image in message.images
    ]
    return [*images, {"type": "text", "text": message.content}]


def parse_error(status: int, body: Any) -> ErrorInfo:
    """{"type": "error", "error": {"type": "rate_limit_error", "message": "..."}}."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return ErrorInfo()
    message = error.get("message") if isinstance(error.get("message"), str) else None
    details = error.get("details")
    code = details.get("error_code") if isinstance(details, dict) else None
    kind = _ERROR_CODES.get(code) or _ERROR_TYPES.get(error.get("type"))
    if kind is BadRequest and message and "credit balance" in message.lower():
        kind = QuotaExhausted  # "Your credit balance is too low..." arrives as a 400
    return ErrorInfo(kind=kind, detail=message)
