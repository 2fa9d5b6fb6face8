"""OpenRouter: OpenAI-compatible chat completions with its own sampling knobs and errors.

Differences from OpenAI: extra samplers (min_p, top_a, typical_p, repetition_penalty, top_k,
transforms), reasoning as {"reasoning": {"effort": ...}}, 402 for exhausted credits, 403 for
moderation, and key validation through GET /key (which also reports the key's remaining limit).
"""

from __future__ import annotations

from typing import Any

from tzurot.providers.base import ChatRequest
from tzurot.providers.errors import ContentBlocked, QuotaExhausted
from tzurot.providers.http import CHECK_TIMEOUT, put
from tzurot.providers.openai import OpenAICompatible

# camelCase advanced key -> OpenRouter body field, passed through unchanged.
_PASSTHROUGH = {
    "topK": "top_k",
    "minP": "min_p",
    "topA": "top_a",
    "typicalP": "typical_p",
    "repetitionPenalty": "repetition_penalty",
    "transforms": "transforms",
}


class OpenRouterProvider(OpenAICompatible):
    name = "openrouter"
    label = "OpenRouter"

    def map_advanced(self, body: dict[str, Any], request: ChatRequest) -> None:
        advanced = request.advanced
        for key, field in _PASSTHROUGH.items():
            put(body, field, advanced.get(key))
        if advanced.get("reasoningEffort"):
            body["reasoning"] = {"effort": advanced["reasoningEffort"]}

    def classify(self, status, error, message):
        lowered = message.lower()
        if status == 403:
            metadata = error.get("metadata")
            if (isinstance(metadata, dict) and "reasons" in metadata) or "flagged" in lowered:
                return ContentBlocked  # the model's moderation rejected the input
            if "limit exceeded" in lowered:
                return QuotaExhausted  # "Key limit exceeded": the key's own spending cap
        return None

    def validate_key(self, api_key: str) -> None:
        data = self.http.call(
            "GET", "/key", api_key=api_key, headers=self.headers(api_key), timeout=CHECK_TIMEOUT
        )
        info = data.get("data") if isinstance(data, dict) else None
        remaining = info.get("limit_remaining") if isinstance(info, dict) else None
        # null means no limit on the key; a number at or below zero means nothing left to spend.
        if isinstance(remaining, int | float) and remaining <= 0:
            raise self.http.fail(
                QuotaExhausted(provider=self.label, detail="the key's credit limit is used up")
            )
