"""The fake Google Gemini API: generateContent and streamGenerateContent (text, thoughts,
images), the model list and Google's real google.rpc error bodies."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tzurot_fakes import streams
from tzurot_fakes.base import FakeProviderAPI, RecordedRequest, Reply


class FakeGemini(FakeProviderAPI):
    """POST /v1beta/models/{model}:generateContent and GET /v1beta/models, `x-goog-api-key`."""

    name = "google"
    has_embeddings = True

    def routes(self) -> list[Route]:
        return [
            Route("/v1beta/models/{model}:generateContent", self.generate, methods=["POST"]),
            Route("/v1beta/models/{model}:streamGenerateContent", self.generate, methods=["POST"]),
            Route("/v1beta/models", self.models, methods=["GET"]),
        ]

    def key_of(self, recorded: RecordedRequest) -> str | None:
        return recorded.headers.get("x-goog-api-key") or recorded.query.get("key")

    async def generate(self, request: Request) -> Response:
        return await self._answer(request, self.content)

    async def models(self, request: Request) -> Response:
        return await self._answer(request, self.model_list)

    def content(self, recorded: RecordedRequest, reply: Reply) -> Response:
        model = recorded.path.rsplit("/", 1)[-1].split(":", 1)[0]
        if recorded.path.endswith(":streamGenerateContent"):
            return streams.gemini_stream(model, reply)
        parts: list[dict[str, Any]] = []
        if reply.thinking is not None:
            parts.append({"text": reply.thinking, "thought": True})
        if reply.text is not None:
            parts.append({"text": reply.text})
        config = (recorded.json or {}).get("generationConfig") or {}
        if "IMAGE" in (config.get("responseModalities") or []):
            parts.append({"inlineData": {"mimeType": reply.image_mime, "data": reply.image_b64}})
        usage = {
            "promptTokenCount": reply.tokens_in,
            "candidatesTokenCount": reply.tokens_out,
            "totalTokenCount": reply.tokens_in + reply.tokens_out + reply.thinking_tokens,
        }
        if reply.thinking_tokens:
            usage["thoughtsTokenCount"] = reply.thinking_tokens
        return JSONResponse(
            {
                "candidates": [
                    {
                        "content": {"parts": parts, "role": "model"},
                        "finishReason": reply.finish_reason or "STOP",
                        "index": 0,
                    }
                ],
                "usageMetadata": usage,
                "modelVersion": reply.model or model,
                "responseId": "fake-response-0001",
            }
        )

    def model_list(self, recorded: RecordedRequest, reply: Reply) -> Response:
        return JSONResponse(
            {
                "models": [
                    {
                        "name": "models/gemini-2.5-flash",
                        "displayName": "Gemini 2.5 Flash",
                        "supportedGenerationMethods": ["generateContent", "countTokens"],
                    }
                ]
            }
        )

    @staticmethod
    def _status_error(code: int, status: str, message: str, details: list, headers=None):
        body = {"error": {"code": code, "message": message, "status": status, "details": details}}
        return JSONResponse(body, code, headers=headers or {})

    def error(self, kind, message, retry_after, recorded) -> Response:
        if kind == "blocked":
            return JSONResponse(
                {
                    "promptFeedback": {
                        "blockReason": "SAFETY",
                        "safetyRatings": [
                            {"category": "HARM_CATEGORY_HARASSMENT", "probability": "HIGH"}
                        ],
                    },
                    "usageMetadata": {"promptTokenCount": 8, "totalTokenCount": 8},
                    "modelVersion": "gemini-2.5-flash",
                }
            )
        if kind == "invalid_key":
            message = message or "API key not valid. Please pass a valid API key."
            details = [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                    "metadata": {"service": "generativelanguage.googleapis.com"},
                },
                {
                    "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
                    "locale": "en-US",
                    "message": message,
                },
            ]
            return self._status_error(400, "INVALID_ARGUMENT", message, details)
        if kind in ("quota", "rate_limit"):
            per = "PerDay" if kind == "quota" else "PerMinute"
            details = [
                {
                    "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                    "violations": [
                        {
                            "quotaMetric": "generativelanguage.googleapis.com/"
                            "generate_content_free_tier_requests",
                            "quotaId": f"GenerateRequests{per}PerProjectPerModel-FreeTier",
                            "quotaDimensions": {"location": "global", "model": "gemini-2.5-flash"},
                            "quotaValue": "250" if kind == "quota" else "10",
                        }
                    ],
                },
            ]
            if retry_after is not None:
                details.append(
                    {
                        "@type": "type.googleapis.com/google.rpc.RetryInfo",
                        "retryDelay": f"{retry_after:g}s",
                    }
                )
            default = (
                "You exceeded your current quota, please check your plan and billing details. "
                "For more information on this error, head to: "
                "https://ai.google.dev/gemini-api/docs/rate-limits."
            )
            return self._status_error(429, "RESOURCE_EXHAUSTED", message or default, details)
        if kind == "permissions":
            default = (
                "Requests to this API generativelanguage.googleapis.com method "
                "google.ai.generativelanguage.v1beta.GenerativeService.GenerateContent are blocked."
            )
            details = [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_SERVICE_BLOCKED",
                    "domain": "googleapis.com",
                    "metadata": {"service": "generativelanguage.googleapis.com"},
                }
            ]
            return self._status_error(403, "PERMISSION_DENIED", message or default, details)
        table = {
            "bad_request": (
                400,
                "INVALID_ARGUMENT",
                "Invalid JSON payload received. Unknown name \"foo\" at 'generation_config': "
                "Cannot find field.",
            ),
            "server_error": (
                500,
                "INTERNAL",
                "An internal error has occurred. Please retry or report in "
                "https://developers.generativeai.google/guide/troubleshooting",
            ),
            "unavailable": (503, "UNAVAILABLE", "The model is overloaded. Please try again later."),
        }
        code, status, default = table[kind]
        return self._status_error(code, status, message or default, [])
