"""Google Gemini API: POST /v1beta/models/{model}:generateContent with the x-goog-api-key header,
for chat and, with an image-output model, for images (parts[].inlineData).

The provider is called `google` in the database. Google reports errors as
{"error": {"code", "message", "status", "details": [...]}}; the details say what the status code
does not (API_KEY_INVALID arrives as a 400, a per-day quota and a per-minute limit are both 429).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from tzurot.providers.base import (
    ChatRequest,
    ChatResult,
    ImageProvider,
    ImageRequest,
    ImageResult,
    TextProvider,
    closest_aspect_ratio,
    decode_base64,
    image_mime,
    read_paid,
)
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

# finishReason values meaning a filter stopped the answer or the image (not the model
# finishing, not an outage): google-genai's FinishReason.
BLOCKED_FINISH = frozenset(
    {
        "SAFETY",
        "PROHIBITED_CONTENT",
        "BLOCKLIST",
        "SPII",
        "RECITATION",
        "IMAGE_SAFETY",
        "IMAGE_PROHIBITED_CONTENT",
        "IMAGE_RECITATION",
        "ESCALATION",
    }
)
_FINISH = {"STOP": "stop", "MAX_TOKENS": "length"}
_INVALID_KEY_REASONS = frozenset({"API_KEY_INVALID", "API_KEY_EXPIRED"})
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")


# Image output (imageConfig.aspectRatio) takes these ratios.
ASPECT_RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
# safetyFilterLevel (Imagen's names, lower case) maps onto these HarmBlockThreshold values.
SAFETY_THRESHOLDS = (
    "BLOCK_LOW_AND_ABOVE",
    "BLOCK_MEDIUM_AND_ABOVE",
    "BLOCK_ONLY_HIGH",
    "BLOCK_NONE",
)
HARM_CATEGORIES = (
    "HARM_CATEGORY_HARASSMENT",
    "HARM_CATEGORY_HATE_SPEECH",
    "HARM_CATEGORY_SEXUALLY_EXPLICIT",
    "HARM_CATEGORY_DANGEROUS_CONTENT",
)


class GeminiProvider(ProviderClient, TextProvider, ImageProvider):
    name = "google"
    label = "Google Gemini"

    def parse_error(self, status: int, body: Any) -> ErrorInfo:
        return parse_error(status, body)

    @staticmethod
    def headers(api_key: str) -> dict[str, str]:
        # The header, never ?key=: URLs end up in logs and exception texts.
        return {"x-goog-api-key": api_key}

    def build_body(self, request: ChatRequest) -> dict[str, Any]:
        advanced = request.advanced
        body: dict[str, Any] = {
            "contents": [
                {
                    "role": "model" if m.role == "assistant" else "user",
                    "parts": [{"text": m.content}]
                    + [
                        {"inlineData": {"mimeType": image.mime_type, "data": image.base64}}
                        for image in m.images
                    ],
                }
                for m in request.messages
            ]
        }
        if request.system:
            body["systemInstruction"] = {"parts": [{"text": request.system}]}
        config: dict[str, Any] = {}
        put(config, "temperature", request.temperature)
        put(config, "topP", request.top_p)
        put(config, "topK", advanced.get("topK"))
        put(config, "maxOutputTokens", request.max_tokens)
        put(config, "stopSequences", advanced.get("stop") or None)
        put(config, "seed", advanced.get("seed"))
        if advanced.get("thinkingBudget") is not None:
            config["thinkingConfig"] = {"thinkingBudget": advanced["thinkingBudget"]}
        if config:
            body["generationConfig"] = config
        if advanced.get("safetySettings"):
            body["safetySettings"] = [
                {"category": s["category"], "threshold": s["threshold"]}
                for s in advanced["safetySettings"]
            ]
        return body

    def chat_stream(self, api_key: str, request: ChatRequest, on_text: TextSink) -> ChatResult:
        """streamGenerateContent?alt=sse: one GenerateContentResponse per event, each with the
        next parts; the last carries the finish reason and the whole usage."""
        model = request.model.removeprefix("models/")
        answer = Accumulator(on_text)
        last: dict[str, Any] = {}
        for _, chunk in stream_events(
            self.http,
            "POST",
            f"/v1beta/models/{quote(model, safe='')}:streamGenerateContent",
            api_key=api_key,
            headers=self.headers(api_key),
            json_body=self.build_body(request),
            params={"alt": "sse"},
        ):
            if isinstance(chunk, dict) and isinstance(chunk.get("error"), dict):
                raise self.http.error(int(chunk["error"].get("code") or 500), chunk, api_key)
            candidate = self.first_candidate(chunk)
            for part in (candidate.get("content") or {}).get("parts") or []:
                if isinstance(part, dict) and not part.get("thought"):
                    answer.add(part.get("text"))
            last = {**last, **chunk, "candidates": [candidate]}
        finish = (last.get("candidates") or [{}])[0].get("finishReason")
        if not finish:
            raise ended_early(self.http)
        last["candidates"][0] = {
            "finishReason": finish,
            "content": {"parts": [{"text": answer.text}]},
        }
        return read_paid(self.label, lambda: self.parse_result(last, model))

    def chat(self, api_key: str, request: ChatRequest) -> ChatResult:
        model = request.model.removeprefix("models/")
        data = self.http.call(
            "POST",
            f"/v1beta/models/{quote(model, safe='')}:generateContent",
            api_key=api_key,
            headers=self.headers(api_key),
            json=self.build_body(request),
            timeout=CHAT_TIMEOUT,
        )
        return read_paid(self.label, lambda: self.parse_result(data, model))

    def parse_result(self, data: Any, model: str) -> ChatResult:
        candidate = self.first_candidate(data)
        finish = candidate.get("finishReason")
        parts = (candidate.get("content") or {}).get("parts") or []
        # Parts flagged "thought" are the thinking summary, not the reply.
        text = "".join(
            p.get("text") or "" for p in parts if isinstance(p, dict) and not p.get("thought")
        )
        usage = data.get("usageMetadata") or {}
        thoughts = int(usage.get("thoughtsTokenCount") or 0)
        return ChatResult(
            text=text,
            # promptTokenCount includes the cached part (cachedContentTokenCount). Counts go in
            # as sent (parts added up, odd values clamped and flagged: ChatResult).
            tokens_in=(usage.get("promptTokenCount"), usage.get("toolUsePromptTokenCount")),
            # Thinking tokens are billed as output, like OpenAI's reasoning tokens.
            tokens_out=(usage.get("candidatesTokenCount"), usage.get("thoughtsTokenCount")),
            model=data.get("modelVersion") or model,
            finish_reason=_FINISH.get(finish, finish.lower() if finish else None),
            reasoning_tokens=thoughts,
            cached_tokens=int(usage.get("cachedContentTokenCount") or 0),
        )

    def first_candidate(self, data: Any) -> dict[str, Any]:
        """candidates[0] of a generateContent answer; ContentBlocked when a filter stopped the
        prompt or the answer (HTTP 200 either way)."""
        if not isinstance(data, dict):
            raise self._unavailable()
        block = (data.get("promptFeedback") or {}).get("blockReason")
        if block:
            raise self.http.fail(
                ContentBlocked(provider=self.label, detail=f"prompt blocked ({block})")
            )
        candidates = data.get("candidates") or []
        if not candidates or not isinstance(candidates[0], dict):
            raise self._unavailable()
        candidate = candidates[0]
        finish = candidate.get("finishReason")
        if finish in BLOCKED_FINISH:
            raise self.http.fail(
                ContentBlocked(provider=self.label, detail=f"answer blocked ({finish})")
            )
        return candidate

    # -- images ----------------------------------------------------------------------------

    def image_body(self, request: ImageRequest) -> dict[str, Any]:
        """generateContent with an image-output model: IMAGE among the response modalities,
        the size as `imageConfig.aspectRatio` (an explicit aspectRatio setting wins), and
        safetyFilterLevel as one threshold for every harm category."""
        advanced = request.advanced
        ratio = advanced.get("aspectRatio") or closest_aspect_ratio(
            *request.dimensions, ASPECT_RATIOS
        )
        body: dict[str, Any] = {
            "contents": [{"role": "user", "parts": [{"text": request.prompt}]}],
            "generationConfig": {
                "responseModalities": ["TEXT", "IMAGE"],
                "imageConfig": {"aspectRatio": ratio},
            },
        }
        level = advanced.get("safetyFilterLevel")
        if level:
            threshold = level.upper()
            if threshold not in SAFETY_THRESHOLDS:
                known = ", ".join(t.lower() for t in SAFETY_THRESHOLDS)
                raise self.http.fail(
                    BadRequest(
                        provider=self.label,
                        detail=f"safetyFilterLevel {level!r} is not one of {known}",
                    )
                )
            body["safetySettings"] = [
                {"category": category, "threshold": threshold} for category in HARM_CATEGORIES
            ]
        return body

    def generate_image(self, api_key: str, request: ImageRequest) -> ImageResult:
        model = request.model.removeprefix("models/")
        body = self.image_body(request)
        data = self.http.call(
            "POST",
            f"/v1beta/models/{quote(model, safe='')}:generateContent",
            api_key=api_key,
            headers=self.headers(api_key),
            json=body,
            timeout=IMAGE_TIMEOUT,
        )
        candidate = self.first_candidate(data)
        parts = (candidate.get("content") or {}).get("parts") or []
        for part in parts:
            inline = part.get("inlineData") if isinstance(part, dict) else None
            image = decode_base64(inline.get("data")) if isinstance(inline, dict) else None
            if image is not None:
                return ImageResult(
                    data=image,
                    mime_type=image_mime(image, inline.get("mimeType")),
                    model=data.get("modelVersion") or model,
                )
        text = " ".join(
            p.get("text") or "" for p in parts if isinstance(p, dict) and not p.get("thought")
        ).strip()
        if text:
            # An answer in words only: a refusal, or a model that cannot output images.
            raise self.http.fail(
                BadRequest(
                    provider=self.label,
                    detail=scrub(f"no image, the model said: {text}", api_key),
                )
            )
        raise self.http.fail(ProviderUnavailable(provider=self.label, detail="returned no image"))

    def validate_key(self, api_key: str) -> None:
        self.http.call(
            "GET",
            "/v1beta/models",
            api_key=api_key,
            headers=self.headers(api_key),
            params={"pageSize": 1},
            timeout=CHECK_TIMEOUT,
        )

    def _unavailable(self) -> ProviderError:
        return self.http.fail(ProviderUnavailable(provider=self.label, detail="returned no answer"))


def parse_error(status: int, body: Any) -> ErrorInfo:
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return ErrorInfo()
    message = error.get("message") if isinstance(error.get("message"), str) else None
    details = [d for d in error.get("details") or [] if isinstance(d, dict)]
    reasons = {d.get("reason") for d in details if d.get("reason")}
    grpc_status = error.get("status")
    if reasons & _INVALID_KEY_REASONS:
        return ErrorInfo(InvalidKey, message)
    if grpc_status == "PERMISSION_DENIED":
        return ErrorInfo(MissingPermissions, message)
    if grpc_status == "RESOURCE_EXHAUSTED" or status == 429:
        return ErrorInfo(_exhausted_kind(details), message, _retry_delay(details))
    return ErrorInfo(detail=message)


def _exhausted_kind(details: list[dict[str, Any]]) -> type[ProviderError]:
    """A per-day quota will not come back within a retry; a per-minute limit will."""
    for detail in details:
        for violation in detail.get("violations") or []:
            quota_id = violation.get("quotaId", "") if isinstance(violation, dict) else ""
            if "PerDay" in quota_id:
                return QuotaExhausted
    return RateLimited


def _retry_delay(details: list[dict[str, Any]]) -> float | None:
    for detail in details:
        match = _DURATION.match(str(detail.get("retryDelay", "")))
        if match:
            return float(match.group(1))
    return None
