"""OpenAI chat completions and image generation, and the OpenAI-compatible base that OpenRouter
builds on.

`OpenAICompatible` owns what the two share: bearer auth, the messages list, universal and common
parameters, reading choices/usage, and error bodies of the form {"error": {...}}. Subclasses map
their own advanced parameters (`map_advanced`) and refine error reading (`classify`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from tzurot.providers.base import (
    ChatRequest,
    ChatResult,
    ImageProvider,
    ImageRequest,
    ImageResult,
    TextProvider,
    decode_base64,
    image_mime,
)
from tzurot.providers.errors import (
    ContentBlocked,
    InvalidKey,
    MissingPermissions,
    ProviderError,
    ProviderUnavailable,
    QuotaExhausted,
)
from tzurot.providers.http import (
    CHAT_TIMEOUT,
    CHECK_TIMEOUT,
    IMAGE_TIMEOUT,
    ErrorInfo,
    ProviderClient,
    put,
    scrub,
)

_FINISH = {"stop": "stop", "length": "length"}


class OpenAICompatible(ProviderClient, TextProvider):
    label: ClassVar[str]

    # -- request -------------------------------------------------------------------------------

    def headers(self, api_key: str) -> dict[str, str]:
        return {"authorization": f"Bearer {api_key}"}

    def build_body(self, request: ChatRequest) -> dict[str, Any]:
        messages: list[dict[str, str]] = []
        if request.system:
            messages.append({"role": "system", "content": request.system})
        messages += [{"role": m.role, "content": m.content} for m in request.messages]
        body: dict[str, Any] = {"model": request.model, "messages": messages}
        put(body, "temperature", request.temperature)
        put(body, "top_p", request.top_p)
        put(body, "max_tokens", request.max_tokens)
        advanced = request.advanced
        put(body, "stop", advanced.get("stop") or None)
        put(body, "seed", advanced.get("seed"))
        put(body, "frequency_penalty", advanced.get("frequencyPenalty"))
        put(body, "presence_penalty", advanced.get("presencePenalty"))
        self.map_advanced(body, request)
        return body

    def map_advanced(self, body: dict[str, Any], request: ChatRequest) -> None:
        """Provider-specific advanced parameters, applied last (may remove universal ones)."""

    # -- calls ---------------------------------------------------------------------------------

    def chat(self, api_key: str, request: ChatRequest) -> ChatResult:
        data = self.http.call(
            "POST",
            "/chat/completions",
            api_key=api_key,
            headers=self.headers(api_key),
            json=self.build_body(request),
            timeout=CHAT_TIMEOUT,
        )
        return self.parse_result(data, request, api_key)

    def first_choice(self, data: Any, api_key: str) -> dict[str, Any]:
        """choices[0] of a completion, raising the errors some answers carry inside a 200."""
        if isinstance(data, dict) and isinstance(data.get("error"), dict):
            # OpenRouter reports some upstream failures inside a 200.
            raise self.http.error(_int(data["error"].get("code")) or 502, data, api_key)
        choices = data.get("choices") if isinstance(data, dict) else None
        if not choices or not isinstance(choices[0], dict):
            raise self.http.fail(
                ProviderUnavailable(provider=self.label, detail="returned no answer")
            )
        choice = choices[0]
        if choice.get("finish_reason") == "error" and isinstance(choice.get("error"), dict):
            raise self.http.error(_int(choice["error"].get("code")) or 502, choice, api_key)
        return choice

    def parse_result(self, data: Any, request: ChatRequest, api_key: str) -> ChatResult:
        choice = self.first_choice(data, api_key)
        message = choice.get("message") or {}
        text = message.get("content") or ""
        finish = choice.get("finish_reason")
        if not text and (finish == "content_filter" or message.get("refusal")):
            raise self.http.fail(
                ContentBlocked(provider=self.label, detail=scrub(message.get("refusal"), api_key))
            )
        usage = data.get("usage") or {}
        return ChatResult(
            text=text,
            tokens_in=int(usage.get("prompt_tokens") or 0),
            tokens_out=int(usage.get("completion_tokens") or 0),
            model=data.get("model") or request.model,
            finish_reason=_FINISH.get(finish, finish),
        )

    def validate_key(self, api_key: str) -> None:
        self.http.call(
            "GET", "/models", api_key=api_key, headers=self.headers(api_key), timeout=CHECK_TIMEOUT
        )

    # -- errors --------------------------------------------------------------------------------

    def parse_error(self, status: int, body: Any) -> ErrorInfo:
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            return ErrorInfo()
        message = error.get("message") if isinstance(error.get("message"), str) else None
        return ErrorInfo(kind=self.classify(status, error, message or ""), detail=message)

    def classify(
        self, status: int, error: dict[str, Any], message: str
    ) -> type[ProviderError] | None:
        """Refine the status-code default from the error object; None keeps the default."""
        return None


class OpenAIProvider(OpenAICompatible, ImageProvider):
    name = "openai"
    label = "OpenAI"

    def map_advanced(self, body: dict[str, Any], request: ChatRequest) -> None:
        advanced = request.advanced
        put(body, "logit_bias", advanced.get("logitBias"))
        schema = advanced.get("jsonSchema")
        if schema:
            body["response_format"] = {"type": "json_schema", "json_schema": _json_schema(schema)}
        limit = advanced.get("maxCompletionTokens")
        if advanced.get("reasoningEffort"):
            # Reasoning models reject max_tokens and sampling temperature/top_p: their budget is
            # max_completion_tokens, which also covers the hidden reasoning tokens.
            body["reasoning_effort"] = advanced["reasoningEffort"]
            limit = limit or body.get("max_tokens")
            for key in ("max_tokens", "temperature", "top_p"):
                body.pop(key, None)
        if limit:
            body.pop("max_tokens", None)
            body["max_completion_tokens"] = limit

    def classify(self, status, error, message):
        code, kind = error.get("code"), error.get("type")
        if "insufficient_quota" in (code, kind) or code == "billing_hard_limit_reached":
            return QuotaExhausted  # a 429 (or, for images, a 400), but waiting will not help
        if code == "invalid_api_key":
            return InvalidKey
        lowered = message.lower()
        if status == 401 and ("insufficient permissions" in lowered or "missing scopes" in lowered):
            return MissingPermissions  # restricted key: OpenAI says 401, not 403
        if code in _BLOCKED_CODES:
            return ContentBlocked
        return None

    # -- images ----------------------------------------------------------------------------

    def image_body(self, request: ImageRequest) -> dict[str, Any]:
        """POST /images/generations: one image, as base64 (GPT image models always answer so;
        dall-e models must be asked, or they answer with a URL that expires in an hour)."""
        body: dict[str, Any] = {
            "model": request.model,
            "prompt": request.prompt,
            "n": 1,
            "size": image_size(request.model, request.size),
        }
        if request.model.startswith("dall-e"):
            body["response_format"] = "b64_json"
        put(body, "quality", request.advanced.get("quality"))
        put(body, "style", request.advanced.get("style"))
        return body

    def generate_image(self, api_key: str, request: ImageRequest) -> ImageResult:
        data = self.http.call(
            "POST",
            "/images/generations",
            api_key=api_key,
            headers=self.headers(api_key),
            json=self.image_body(request),
            timeout=IMAGE_TIMEOUT,
        )
        items = data.get("data") if isinstance(data, dict) else None
        first = items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else {}
        image = decode_base64(first.get("b64_json"))
        if image is None:
            raise self.http.fail(
                ProviderUnavailable(provider=self.label, detail="returned no image")
            )
        output_format = data.get("output_format")  # GPT image models say png, jpeg or webp
        revised = first.get("revised_prompt")
        return ImageResult(
            data=image,
            mime_type=image_mime(image, f"image/{output_format}" if output_format else None),
            model=request.model,
            revised_prompt=revised if isinstance(revised, str) else None,
        )


# Error codes of a prompt or image stopped by OpenAI's safety system (chat, dall-e, GPT image).
_BLOCKED_CODES = frozenset(
    {"content_policy_violation", "content_filter", "invalid_prompt", "moderation_blocked"}
)
# The sizes each model family takes (CreateImageRequest.size in the spec). gpt-image-2 takes any
# WIDTHxHEIGHT in multiples of 16, so it and unknown models get the size as asked.
_DALL_E_2_SIZES = frozenset({"256x256", "512x512", "1024x1024"})


def image_size(model: str, size: str) -> str:
    """The `size` to send for `model`: the asked WIDTHxHEIGHT, or the nearest the model takes
    (1792x1024 is dall-e-3's landscape; GPT image 1.x models make 1536x1024 instead)."""
    width, _, height = size.partition("x")
    shape = "square" if width == height else "landscape" if int(width) > int(height) else "portrait"
    if model.startswith("dall-e-2"):
        return size if size in _DALL_E_2_SIZES else "1024x1024"
    if model.startswith("gpt-image-1"):
        return {"square": "1024x1024", "landscape": "1536x1024", "portrait": "1024x1536"}[shape]
    return size


def _json_schema(value: dict[str, Any]) -> dict[str, Any]:
    """Accept either OpenAI's {name, schema, strict?} object or a bare JSON Schema."""
    if "schema" in value and isinstance(value["schema"], dict):
        return {"name": "response", **value}
    return {"name": "response", "schema": value}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
