"""The fake OpenAI API: chat completions (plain and streamed), the model list and GPT image
generation, with OpenAI's real error bodies."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tzurot_fakes import streams
from tzurot_fakes.base import FakeProviderAPI, RecordedRequest, Reply, bearer_key, retry_headers

# OpenAI image models shut down (the openai SDK's ImageModel "Deprecated values"), and the
# prefixes of those that take any size in multiples of 16.
SHUT_DOWN_IMAGE_MODELS = frozenset({"gpt-image-1", "dall-e-2", "dall-e-3"})
FREE_SIZE_IMAGE_MODELS = ("gpt-image-2", "gpt-image-2.5")


def masked(key: str) -> str:
    """How OpenAI echoes a wrong key in its error message: first and last characters only."""
    return f"{key[:3]}{'*' * 8}{key[-4:]}" if len(key) > 8 else "*" * len(key)


class FakeOpenAI(FakeProviderAPI):
    """POST /v1/chat/completions and GET /v1/models, `Authorization: Bearer`."""

    name = "openai"
    prefix = "/v1"
    has_embeddings = True

    def routes(self) -> list[Route]:
        return [
            Route("/v1/chat/completions", self.chat, methods=["POST"]),
            Route("/v1/models", self.models, methods=["GET"]),
            Route("/v1/images/generations", self.images, methods=["POST"]),
        ]

    def key_of(self, recorded: RecordedRequest) -> str | None:
        return bearer_key(recorded)

    async def images(self, request: Request) -> Response:
        return await self._answer(request, self.image_generation)

    def image_generation(self, recorded: RecordedRequest, reply: Reply) -> Response:
        """ImagesResponse as GPT image models answer it: base64 with the output format, size,
        quality and token usage. Like the real API since the autumn of 2026, it refuses the
        shut-down models (gpt-image-1, dall-e-2, dall-e-3: 404 model_not_found), the retired
        DALL-E-only parameters (style, response_format, quality standard/hd) and, for the
        models that take free sizes, a size not in multiples of 16."""
        body = recorded.json or {}
        model = str(body.get("model") or "")
        refusal = self.image_refusal(model, body)
        if refusal is not None:
            return refusal
        return JSONResponse(
            {
                "created": 1767225600,
                "data": [{"b64_json": reply.image_b64}],
                "background": "opaque",
                "output_format": reply.image_mime.removeprefix("image/"),
                "size": body.get("size", "1024x1024"),
                "quality": "medium",
                "usage": {
                    "input_tokens": reply.tokens_in,
                    "output_tokens": 1056,
                    "total_tokens": reply.tokens_in + 1056,
                    "input_tokens_details": {"text_tokens": reply.tokens_in, "image_tokens": 0},
                },
            }
        )

    def image_refusal(self, model: str, body: dict[str, Any]) -> Response | None:
        def invalid(status: int, message: str, param: str | None, code: str) -> Response:
            error = {"message": message, "type": "invalid_request_error", "param": param}
            return JSONResponse({"error": {**error, "code": code}}, status)

        if model in SHUT_DOWN_IMAGE_MODELS:
            return invalid(
                404,
                f"The model `{model}` does not exist or you do not have access to it.",
                None,
                "model_not_found",
            )
        for param in ("style", "response_format"):
            if param in body:
                return invalid(400, f"Unknown parameter: '{param}'.", param, "unknown_parameter")
        if body.get("quality") in ("standard", "hd"):
            return invalid(
                400,
                f"Invalid value: '{body['quality']}'. Supported values are: 'low', 'medium', "
                "'high', and 'auto'.",
                "quality",
                "invalid_value",
            )
        width, _, height = str(body.get("size") or "1024x1024").partition("x")
        if model.startswith(FREE_SIZE_IMAGE_MODELS) and (int(width) % 16 or int(height) % 16):
            return invalid(
                400,
                f"Invalid size '{body['size']}'. Width and height must both be divisible by 16.",
                "size",
                "invalid_value",
            )
        return None

    async def chat(self, request: Request) -> Response:
        return await self._answer(request, self.completion)

    async def models(self, request: Request) -> Response:
        return await self._answer(request, self.model_list)

    def completion(self, recorded: RecordedRequest, reply: Reply) -> Response:
        body = recorded.json or {}
        if body.get("stream"):
            return streams.openai_stream(body, reply, openrouter=self.name == "openrouter")
        usage: dict[str, Any] = {
            "prompt_tokens": reply.tokens_in,
            "completion_tokens": reply.tokens_out,
            "total_tokens": reply.tokens_in + reply.tokens_out,
        }
        if reply.thinking_tokens:
            usage["completion_tokens_details"] = {"reasoning_tokens": reply.thinking_tokens}
        message: dict[str, Any] = {
            "role": "assistant",
            "content": reply.text,
            "refusal": None,
            "annotations": [],
        }
        if reply.thinking is not None:
            message["reasoning"] = reply.thinking  # OpenRouter's field; OpenAI never sends it
        return JSONResponse(
            {
                "id": "chatcmpl-fake0001",
                "object": "chat.completion",
                "created": 1767225600,
                "model": reply.model or body.get("model", "unknown"),
                "choices": [
                    {
                        "index": 0,
                        "message": message,
                        "logprobs": None,
                        "finish_reason": reply.finish_reason or "stop",
                    }
                ],
                "usage": usage,
                "system_fingerprint": "fp_fake",
            }
        )

    def model_list(self, recorded: RecordedRequest, reply: Reply) -> Response:
        return JSONResponse(
            {
                "object": "list",
                "data": [
                    {"id": "gpt-4o-mini", "object": "model", "created": 1721172741,
                     "owned_by": "system"},
                ],
            }
        )  # fmt: skip

    def error(self, kind, message, retry_after, recorded) -> Response:
        key = self.key_of(recorded) or ""
        scope = "api.model.read" if recorded.path.endswith("/models") else "model.request"
        table = {
            "invalid_key": (
                401,
                f"Incorrect API key provided: {masked(key)}. You can find your API key at "
                "https://platform.openai.com/account/api-keys.",
                "invalid_request_error",
                "invalid_api_key",
            ),
            "quota": (
                429,
                "You exceeded your current quota, please check your plan and billing details. "
                "For more information on this error, read the docs: "
                "https://platform.openai.com/docs/guides/error-codes/api-errors.",
                "insufficient_quota",
                "insufficient_quota",
            ),
            "permissions": (
                401,
                f"You have insufficient permissions for this operation. Missing scopes: {scope}. "
                "Check that you have the correct role in your organization (Reader, Writer, "
                "Owner) and project (Member, Owner), and if you're using a restricted API key, "
                "that it has the necessary scopes.",
                "invalid_request_error",
                None,
            ),
            "rate_limit": (
                429,
                "Rate limit reached for gpt-4o-mini in organization org-fake on requests per min "
                "(RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.",
                "requests",
                "rate_limit_exceeded",
            ),
            "blocked": (
                400,
                "Invalid prompt: your prompt was flagged as potentially violating our usage "
                "policy. Please try again with a different prompt.",
                "invalid_request_error",
                "invalid_prompt",
            ),
            "bad_request": (
                400,
                "Invalid type for 'temperature': expected a decimal, but got a string instead.",
                "invalid_request_error",
                "invalid_type",
            ),
            "server_error": (
                500,
                "The server had an error while processing your request. Sorry about that!",
                "server_error",
                None,
            ),
            "unavailable": (
                503,
                "The engine is currently overloaded, please try again later.",
                "server_error",
                None,
            ),
        }
        status, default, err_type, code = table[kind]
        param = "temperature" if kind == "bad_request" else None
        body = {
            "error": {"message": message or default, "type": err_type, "param": param, "code": code}
        }
        return JSONResponse(body, status, headers=retry_headers(retry_after))
