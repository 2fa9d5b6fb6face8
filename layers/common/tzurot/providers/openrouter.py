"""OpenRouter: OpenAI-compatible chat completions with its own sampling knobs and errors, and
image generation through the same endpoint (`modalities: ["image", "text"]`).

Differences from OpenAI: extra samplers (min_p, top_a, repetition_penalty, top_k), reasoning as
{"reasoning": {"effort": ...}}, 402 for exhausted credits, 403 for moderation and guardrails,
and key validation through GET /key (which also reports the key's remaining limit). Stored
`typicalP` and `transforms` are no longer in OpenRouter's ChatRequest: kept, not sent.
"""

from __future__ import annotations

from typing import Any

from tzurot.providers.base import (
    ChatRequest,
    ImageProvider,
    ImageRequest,
    ImageResult,
    closest_aspect_ratio,
    image_mime,
    parse_data_url,
)
from tzurot.providers.errors import BadRequest, ContentBlocked, ProviderUnavailable, QuotaExhausted
from tzurot.providers.http import CHECK_TIMEOUT, IMAGE_TIMEOUT, ErrorInfo, put, scrub
from tzurot.providers.openai import OpenAICompatible

# camelCase advanced key -> OpenRouter body field, passed through unchanged.
_PASSTHROUGH = {
    "topK": "top_k",
    "minP": "min_p",
    "topA": "top_a",
    "repetitionPenalty": "repetition_penalty",
    "seed": "seed",
}


# Aspect ratios OpenRouter normalizes for image models (its ImageGenerationRequest.aspect_ratio);
# image_config.aspect_ratio takes the same values.
ASPECT_RATIOS = ("1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3", "21:9", "9:21")
# camelCase image_configs key -> image_config field, for Stable Diffusion / Flux style models.
_IMAGE_PASSTHROUGH = {"steps": "steps", "guidanceScale": "guidance_scale", "scheduler": "scheduler"}


class OpenRouterProvider(OpenAICompatible, ImageProvider):
    name = "openrouter"
    label = "OpenRouter"

    def map_advanced(self, body: dict[str, Any], request: ChatRequest) -> None:
        advanced = request.advanced
        for key, field in _PASSTHROUGH.items():
            put(body, field, advanced.get(key))
        if advanced.get("reasoningEffort"):
            body["reasoning"] = {"effort": advanced["reasoningEffort"]}

    def parse_error(self, status: int, body: Any) -> ErrorInfo:
        info = super().parse_error(status, body)
        if status == 403 and info.kind is None and _guardrail_blocked(body):
            return ErrorInfo(kind=ContentBlocked, detail=info.detail)
        return info

    def classify(self, status, error, message):
        lowered = message.lower()
        if status == 403:
            metadata = error.get("metadata")
            if (isinstance(metadata, dict) and "reasons" in metadata) or "flagged" in lowered:
                return ContentBlocked  # the model's moderation rejected the input
            if lowered.startswith("request blocked"):
                return ContentBlocked  # a guardrail of the key or workspace stopped it
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

    # -- images ----------------------------------------------------------------------------

    def image_body(self, request: ImageRequest) -> dict[str, Any]:
        """A chat completion asking for an image: the prompt as the user message, the size as
        an aspect ratio, the diffusion knobs in `image_config` (passed to the model's provider;
        models without a knob ignore it)."""
        config: dict[str, Any] = {
            "aspect_ratio": closest_aspect_ratio(*request.dimensions, ASPECT_RATIOS)
        }
        for key, field in _IMAGE_PASSTHROUGH.items():
            put(config, field, request.advanced.get(key))
        put(config, "negative_prompt", request.negative_prompt or None)
        body: dict[str, Any] = {
            "model": request.model,
            "messages": [{"role": "user", "content": request.prompt}],
            "modalities": ["image", "text"],
            "image_config": config,
        }
        put(body, "seed", request.advanced.get("seed"))
        return body

    def generate_image(self, api_key: str, request: ImageRequest) -> ImageResult:
        data = self.http.call(
            "POST",
            "/chat/completions",
            api_key=api_key,
            headers=self.headers(api_key),
            json=self.image_body(request),
            timeout=IMAGE_TIMEOUT,
        )
        choice = self.first_choice(data, api_key)
        message = choice.get("message") or {}
        for item in message.get("images") or []:
            url = (item.get("image_url") or {}).get("url") if isinstance(item, dict) else None
            decoded = parse_data_url(url)
            if decoded is not None:
                mime, image = decoded
                return ImageResult(
                    data=image,
                    mime_type=image_mime(image, mime),
                    model=data.get("model") or request.model,
                )
        if choice.get("finish_reason") == "content_filter" or message.get("refusal"):
            raise self.http.fail(
                ContentBlocked(provider=self.label, detail=scrub(message.get("refusal"), api_key))
            )
        text = message.get("content")
        if isinstance(text, str) and text.strip():
            # An answer in words only: a refusal, or a model that cannot output images.
            raise self.http.fail(
                BadRequest(
                    provider=self.label, detail=scrub(f"no image, the model said: {text}", api_key)
                )
            )
        raise self.http.fail(ProviderUnavailable(provider=self.label, detail="returned no image"))


def _guardrail_blocked(body: Any) -> bool:
    """A 403 whose openrouter_metadata.pipeline has a guardrail step that blocked the request
    (the content was refused, not the key's permissions)."""
    metadata = body.get("openrouter_metadata") if isinstance(body, dict) else None
    steps = metadata.get("pipeline") if isinstance(metadata, dict) else None
    return any(
        isinstance(step, dict)
        and step.get("type") == "guardrail"
        and (step.get("data") or {}).get("action") == "blocked"
        for step in steps or []
    )
