"""OpenAI chat completions and image generation, and the OpenAI-compatible base that OpenRouter
builds on.

`OpenAICompatible` owns what the two share: bearer auth, the messages list, universal and common
parameters, reading choices/usage, and error bodies of the form {"error": {...}}. Subclasses map
their own advanced parameters (`map_advanced`) and refine error reading (`classify`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from tzurot.params.llm import is_openai_reasoning_model
from tzurot.providers.base import (
    ChatMessage,
    ChatRequest,
    ChatResult,
    ImageProvider,
    ImageRequest,
    ImageResult,
    TextProvider,
    decode_base64,
    image_mime,
    read_paid,
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
from tzurot.providers.streaming import Accumulator, TextSink, ended_early, stream_events

_FINISH = {"stop": "stop", "length": "length"}


class OpenAICompatible(ProviderClient, TextProvider):
    label: ClassVar[str]

    # -- request -------------------------------------------------------------------------------

    def headers(self, api_key: str) -> dict[str, str]:
        return {"authorization": f"Bearer {api_key}"}

    def build_body(self, request: ChatRequest) -> dict[str, Any]:
        messages: list[dict[str, Any]] = []
        if request.system:
            messages.append({"role": "system", "content": request.system})
        messages += [{"role": m.role, "content": _content(m)} for m in request.messages]
        body: dict[str, Any] = {"model": request.model, "messages": messages}
        put(body, "temperature", request.temperature)
        put(body, "top_p", request.top_p)
        put(body, "max_tokens", request.max_tokens)
        advanced = request.advanced
        put(body, "stop", advanced.get("stop") or None)
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
        return read_paid(self.label, lambda: self.parse_result(data, request, api_key))

    def chat_stream(self, api_key: str, request: ChatRequest, on_text: TextSink) -> ChatResult:
        """Chat completion chunks (`stream: true`); the usage arrives in a last chunk without
        choices (`stream_options.include_usage`). Errors inside the stream (OpenRouter's mid-way
        failures) are classified like a failed response."""
        body = self.build_body(request)
        body |= {"stream": True, "stream_options": {"include_usage": True}}
        answer = Accumulator(on_text)
        usage: dict[str, Any] = {}
        model, finish, refusal = None, None, None
        for _, chunk in stream_events(
            self.http,
            "POST",
            "/chat/completions",
            api_key=api_key,
            headers=self.headers(api_key),
            json_body=body,
        ):
            if not isinstance(chunk, dict):
                continue
            if isinstance(chunk.get("error"), dict):
                raise self.http.error(_int(chunk["error"].get("code")) or 502, chunk, api_key)
            model = chunk.get("model") or model
            usage = chunk.get("usage") or usage
            for choice in chunk.get("choices") or []:
                if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                    continue
                delta = choice.get("delta") or {}
                answer.add(delta.get("content"))
                refusal = refusal or delta.get("refusal")
                finish = choice.get("finish_reason") or finish
                if finish == "error" and isinstance(choice.get("error"), dict):
                    raise self.http.error(_int(choice["error"].get("code")) or 502, choice, api_key)
        if finish is None:
            raise ended_early(self.http)
        result = {"message": {"content": answer.text, "refusal": refusal}, "finish_reason": finish}
        data = {"choices": [result], "usage": usage, "model": model}
        return read_paid(self.label, lambda: self.parse_result(data, request, api_key))

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
            tokens_in=usage.get("prompt_tokens"),
            tokens_out=usage.get("completion_tokens"),
            model=data.get("model") or request.model,
            finish_reason=_FINISH.get(finish, finish),
            reasoning_tokens=_count(usage.get("completion_tokens_details"), "reasoning_tokens"),
            cached_tokens=_count(usage.get("prompt_tokens_details"), "cached_tokens"),
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
        """Current chat completions: the limit is max_completion_tokens (max_tokens is
        deprecated, and rejected by reasoning models); `seed` is deprecated and not sent.
        Reasoning models take the system prompt as a developer message and accept neither
        `stop` nor sampling temperature/top_p (docs/parameters.md)."""
        advanced = request.advanced
        put(body, "logit_bias", advanced.get("logitBias"))
        schema = advanced.get("jsonSchema")
        if schema:
            body["response_format"] = {"type": "json_schema", "json_schema": _json_schema(schema)}
        put(body, "reasoning_effort", advanced.get("reasoningEffort"))
        limit = advanced.get("maxCompletionTokens") or body.pop("max_tokens", None)
        body.pop("max_tokens", None)
        put(body, "max_completion_tokens", limit)
        if is_openai_reasoning_model(request.model, advanced):
            for key in ("stop", "temperature", "top_p"):
                body.pop(key, None)
            for message in body["messages"]:
                if message["role"] == "system":
                    message["role"] = "developer"

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
        """POST /images/generations: one image from a GPT image model (always answered as
        base64). The retired DALL-E models' `style`, `response_format` and quality values
        (standard, hd) are not sent; see `image_quality` and docs/parameters.md."""
        body: dict[str, Any] = {
            "model": request.model,
            "prompt": request.prompt,
            "n": 1,
            "size": image_size(request.model, request.size),
        }
        put(body, "quality", image_quality(request.model, request.advanced.get("quality")))
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
# GPT image models that take any WIDTHxHEIGHT in multiples of 16 (ImageGenerateParams.size);
# the others take the three standard sizes.
_FREE_SIZE_MODELS = ("gpt-image-2-", "gpt-image-2.5-")
_FREE_SIZE_EXACT = frozenset({"gpt-image-2"})
MAX_EDGE = 3840
MAX_PIXELS = 3840 * 2160
# Quality values every GPT image model takes; xhigh and max only the 2.5 family.
_QUALITIES = frozenset({"low", "medium", "high", "auto"})
_TOP_QUALITIES = frozenset({"xhigh", "max"})


def free_size_model(model: str) -> bool:
    return model in _FREE_SIZE_EXACT or model.startswith(_FREE_SIZE_MODELS)


def image_size(model: str, size: str) -> str:
    """The `size` to send for `model`: for gpt-image-2 and 2.5, the asked WIDTHxHEIGHT rounded
    to multiples of 16 within the model's limits (aspect 1:3 to 3:1, 3840 px edge, 3840x2160
    pixels); for the others the standard size of the same shape (1536x1024 for landscape)."""
    width, _, height = size.partition("x")
    w, h = int(width), int(height)
    if free_size_model(model):
        return _free_size(w, h)
    shape = "square" if w == h else "landscape" if w > h else "portrait"
    return {"square": "1024x1024", "landscape": "1536x1024", "portrait": "1024x1536"}[shape]


def _free_size(w: int, h: int) -> str:
    w, h = max(w, 16), max(h, 16)
    scale = min(1.0, MAX_EDGE / max(w, h), (MAX_PIXELS / (w * h)) ** 0.5)

    def edges(fit) -> tuple[int, int]:
        return max(16, fit(w * scale / 16) * 16), max(16, fit(h * scale / 16) * 16)

    # The nearest multiples of 16 (half up), unless that breaks a limit: then round down.
    w16, h16 = edges(lambda x: int(x + 0.5))
    if max(w16, h16) > MAX_EDGE or w16 * h16 > MAX_PIXELS:
        w16, h16 = edges(int)
    # Aspect ratio within 3:1 (shortening one edge keeps every other limit).
    w16, h16 = min(w16, 3 * h16), min(h16, 3 * w16)
    return f"{w16}x{h16}"


def image_quality(model: str, quality: str | None) -> str | None:
    """The `quality` to send, or None: DALL-E's standard/hd are not accepted by any current
    model, and xhigh/max only by the gpt-image-2.5 family."""
    if quality in _QUALITIES:
        return quality
    if quality in _TOP_QUALITIES and model.startswith("gpt-image-2.5-"):
        return quality
    return None


def _json_schema(value: dict[str, Any]) -> dict[str, Any]:
    """Accept either OpenAI's {name, schema, strict?} object or a bare JSON Schema."""
    if "schema" in value and isinstance(value["schema"], dict):
        return {"name": "response", **value}
    return {"name": "response", "schema": value}


def _count(usage: Any, key: str) -> int:
    """A token count from a usage object (prompt and completion counts include their
    cached and reasoning parts); 0 when absent."""
    return int(usage.get(key) or 0) if isinstance(usage, dict) else 0


def _content(message: ChatMessage) -> str | list[dict[str, Any]]:
    """A message's text, or its text and images as content parts (image_url with a data URL)."""
    if not message.images:
        return message.content
    return [{"type": "text", "text": message.content}] + [
        {"type": "image_url", "image_url": {"url": image.data_url}} for image in message.images
    ]


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
