"""Loopback fakes of the AI provider APIs, speaking their real request/response/error JSON.

One Starlette app per provider: `FakeOpenAI`, `FakeAnthropic`, `FakeGemini`, `FakeOpenRouter`,
`FakeElevenLabs`. Each one

- records every request in `fake.requests` (`RecordedRequest`: method, path, headers with
  lower-case names, query, parsed JSON body) — `fake.last_request` is the latest;
- checks the auth header like the real API (keys in `fake.valid_keys`, default {"test-key"};
  `valid_keys=None` accepts any non-empty key, as `tzurot dev --fake-providers` does) and
  answers an unknown key with that provider's real invalid-key error;
- answers from a script, consumed in order by the next request to ANY endpoint (a queued reply
  on a listing endpoint just yields the normal listing); an empty script means a default reply:

      fake.queue_reply(text="Hi", tokens_in=12, tokens_out=3)          # 200 with that text
      fake.queue_reply(text="Hi", thinking="hmm", finish_reason=...)    # reasoning, stop reason
      fake.queue_error("quota")                                        # the provider's real error
      fake.queue_error("rate_limit", retry_after=7)                    # with its retry hint
      fake.queue_raw(418, {"any": "body"}, headers={...})              # anything else
      fake.queue_reply(text="late", delay=2.0)                         # slow: trips a timeout

  Error kinds (`ERROR_KINDS`): invalid_key, quota, permissions, rate_limit, blocked,
  bad_request, server_error (500), unavailable (503/529 overload).

Image requests (OpenAI POST /v1/images/generations, OpenRouter chat completions with
`modalities: ["image", ...]`, Gemini generateContent with IMAGE in responseModalities) answer
with `FAKE_PNG`, a small real PNG, in each API's own shape; `queue_reply(image=b"...",
image_mime="image/jpeg")` scripts other bytes. ElevenLabs text-to-speech answers with
`FAKE_MP3` (tzurot.dev.audio: real MPEG frames of silence) and a `character-cost` header;
`queue_reply(audio=b"...")` scripts other bytes.

`fake.reset()` clears both between tests that share one server. Run with
`with fake.serve() as base_url:`; `base_url` is what the matching *_BASE_URL variable
would hold (it includes "/v1" for OpenAI and "/api/v1" for OpenRouter, like the real defaults).
Error bodies follow the vendors' documented shapes; see docs/providers.md.
"""

from __future__ import annotations

import asyncio
import base64
import json
import struct
import threading
import zlib
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tzurot.dev.audio import FAKE_MP3
from tzurot_fakes import streams
from tzurot_fakes.embeddings import FakeEmbeddings
from tzurot_fakes.server import serve

ERROR_KINDS = (
    "invalid_key",
    "quota",
    "permissions",
    "rate_limit",
    "blocked",
    "bad_request",
    "server_error",
    "unavailable",
)


# OpenAI image models shut down (the openai SDK's ImageModel "Deprecated values"), and the
# prefixes of those that take any size in multiples of 16.
SHUT_DOWN_IMAGE_MODELS = frozenset({"gpt-image-1", "dall-e-2", "dall-e-3"})
FREE_SIZE_IMAGE_MODELS = ("gpt-image-2", "gpt-image-2.5")


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    query: dict[str, str]
    json: Any


def make_png(width: int = 4, height: int = 4, rgb: tuple[int, int, int] = (200, 30, 90)) -> bytes:
    """A real PNG (signature, IHDR, one zlib IDAT, IEND, with CRCs) of one solid colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    row = b"\x00" + bytes(rgb) * width  # filter type 0, then RGB pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


# What every fake answers an image request with, unless a reply scripts another image.
FAKE_PNG = make_png()


@dataclass(frozen=True)
class Reply:
    text: str | None = "Hello from the fake provider."
    tokens_in: int = 10
    tokens_out: int = 5
    finish_reason: str | None = None  # None: the provider's own "natural stop" value
    model: str | None = None  # None: echo the requested model
    thinking: str | None = None  # reasoning/thinking text, where the provider returns it
    thinking_tokens: int = 0
    delay: float = 0.0
    image: bytes | None = None  # image requests: these bytes instead of FAKE_PNG
    image_mime: str = "image/png"
    audio: bytes | None = None  # text-to-speech: these bytes instead of the fake's MP3
    # Streamed answers (tzurot_fakes/streams.py): seconds between tokens; drop after N tokens.
    token_delay: float = 0.0
    cut_after: int | None = None

    @property
    def image_b64(self) -> str:
        return base64.b64encode(FAKE_PNG if self.image is None else self.image).decode()


@dataclass(frozen=True)
class ScriptedError:
    kind: str
    message: str | None = None
    retry_after: float | None = None
    delay: float = 0.0


@dataclass(frozen=True)
class RawResponse:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def masked(key: str) -> str:
    """How OpenAI echoes a wrong key in its error message: first and last characters only."""
    return f"{key[:3]}{'*' * 8}{key[-4:]}" if len(key) > 8 else "*" * len(key)


class FakeProviderAPI:
    """Machinery shared by the fakes: recording, auth, script. Subclasses speak the wire format."""

    name: ClassVar[str]
    prefix: ClassVar[str] = ""
    supported_errors: ClassVar[tuple[str, ...]] = ERROR_KINDS
    has_embeddings: ClassVar[bool] = False  # OpenAI, OpenRouter, Gemini: tzurot_fakes.embeddings

    def __init__(self, valid_keys: Iterable[str] | None = ("test-key",)):
        self.any_key = valid_keys is None
        self.valid_keys = set(valid_keys or ())
        self.requests: list[RecordedRequest] = []
        self._script: deque[Reply | ScriptedError | RawResponse] = deque()
        self._lock = threading.Lock()
        self.embeddings = FakeEmbeddings(self)
        extra = self.embeddings.routes() if self.has_embeddings else []
        self.app = Starlette(routes=self.routes() + extra)

    # -- scripting -------------------------------------------------------------------------

    def queue_reply(self, text: str | None = Reply.text, **fields: Any) -> None:
        self._push(Reply(text=text, **fields))

    def queue_error(
        self,
        kind: str,
        *,
        message: str | None = None,
        retry_after: float | None = None,
        delay: float = 0.0,
    ) -> None:
        if kind not in self.supported_errors:
            raise ValueError(f"{type(self).__name__} has no error kind {kind!r}")
        self._push(ScriptedError(kind, message, retry_after, delay))

    def queue_raw(
        self, status: int, body: Any, *, headers: dict[str, str] | None = None, delay: float = 0.0
    ) -> None:
        self._push(RawResponse(status, body, headers or {}, delay))

    def _push(self, item: Reply | ScriptedError | RawResponse) -> None:
        with self._lock:
            self._script.append(item)

    def _pop(self) -> Reply | ScriptedError | RawResponse:
        with self._lock:
            return self._script.popleft() if self._script else Reply()

    def reset(self) -> None:
        """Forget recorded requests and any unplayed script (keys and settings stay)."""
        with self._lock:
            self.requests.clear()
            self._script.clear()
        self.embeddings.reset()

    @property
    def last_request(self) -> RecordedRequest:
        return self.requests[-1]

    @contextmanager
    def serve(self, port: int = 0) -> Iterator[str]:
        with serve(self.app, port) as url:
            yield url + self.prefix

    # -- request handling ------------------------------------------------------------------

    async def _record(self, request: Request) -> RecordedRequest:
        recorded = await self.recorded(request)
        with self._lock:
            self.requests.append(recorded)
        return recorded

    async def recorded(self, request: Request) -> RecordedRequest:
        """The request as a RecordedRequest, not yet recorded anywhere."""
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        return RecordedRequest(
            method=request.method,
            path=request.url.path,
            headers={k.lower(): v for k, v in request.headers.items()},
            query=dict(request.query_params),
            json=body,
        )

    async def _answer(self, request: Request, success) -> Response:
        """Record, authenticate, then play the next scripted item (`success(recorded, reply)`)."""
        recorded = await self._record(request)
        key = self.key_of(recorded)
        if not (key in self.valid_keys or (self.any_key and key)):
            return self.error("invalid_key", None, None, recorded)
        denied = self.refuse(key, recorded)
        if denied is not None:
            return denied
        item = self._pop()
        if item.delay:
            await asyncio.sleep(item.delay)
        if isinstance(item, RawResponse):
            return JSONResponse(item.body, item.status, headers=item.headers)
        if isinstance(item, ScriptedError):
            return self.error(item.kind, item.message, item.retry_after, recorded)
        return success(recorded, item)

    # -- what each provider defines --------------------------------------------------------

    def routes(self) -> list[Route]:
        raise NotImplementedError

    def key_of(self, recorded: RecordedRequest) -> str | None:
        raise NotImplementedError

    def refuse(self, key: str, recorded: RecordedRequest) -> Response | None:
        """An answer the API gives before the script (missing header, key lacking a scope)."""
        return None

    def error(
        self, kind: str, message: str | None, retry_after: float | None, recorded: RecordedRequest
    ) -> Response:
        raise NotImplementedError


def _retry_headers(retry_after: float | None) -> dict[str, str]:
    return {} if retry_after is None else {"retry-after": f"{retry_after:g}"}


def _bearer(recorded: RecordedRequest) -> str | None:
    auth = recorded.headers.get("authorization", "")
    return auth[7:] if auth.startswith("Bearer ") else None


# -- OpenAI ------------------------------------------------------------------------------------


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
        return _bearer(recorded)

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
        return JSONResponse(body, status, headers=_retry_headers(retry_after))


# -- OpenRouter --------------------------------------------------------------------------------


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
        return JSONResponse({"error": error}, status, headers=_retry_headers(retry_after))


# -- Anthropic ---------------------------------------------------------------------------------


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
        return _bearer(recorded) or recorded.headers.get("x-api-key")

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
        return self._error_body(status, err_type, message or default, _retry_headers(retry_after))


# -- Google Gemini -----------------------------------------------------------------------------


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


# -- ElevenLabs --------------------------------------------------------------------------------

ELEVENLABS_PERMISSIONS = frozenset({"text_to_speech", "models_read", "voices_read", "user_read"})


class FakeElevenLabs(FakeProviderAPI):
    """GET /v1/models and POST /v1/text-to-speech/{voice_id}, `xi-api-key`, scoped keys.

    `fake.add_key(key, permissions)` adds a restricted key (ElevenLabs lets a key be limited per
    endpoint); keys from `valid_keys` have every permission. A key lacking the permission an
    endpoint needs gets ElevenLabs' 401 `missing_permissions`.
    """

    name = "elevenlabs"
    supported_errors = tuple(k for k in ERROR_KINDS if k != "blocked")
    AUDIO = FAKE_MP3  # real MPEG-1 Layer III frames (silence); `queue_reply(audio=...)` others

    def __init__(self, valid_keys: Iterable[str] | None = ("test-key",)):
        self.permissions: dict[str, frozenset[str]] = {
            k: ELEVENLABS_PERMISSIONS for k in valid_keys or ()
        }
        super().__init__(valid_keys)

    def add_key(self, key: str, permissions: Iterable[str]) -> None:
        self.valid_keys.add(key)
        self.permissions[key] = frozenset(permissions)

    def routes(self) -> list[Route]:
        return [
            Route("/v1/models", self.models, methods=["GET"]),
            Route("/v1/text-to-speech/{voice_id}", self.speech, methods=["POST"]),
        ]

    def key_of(self, recorded: RecordedRequest) -> str | None:
        return recorded.headers.get("xi-api-key")

    def refuse(self, key: str, recorded: RecordedRequest) -> Response | None:
        needed = "models_read" if recorded.path == "/v1/models" else "text_to_speech"
        if needed in self.permissions.get(key, ELEVENLABS_PERMISSIONS):
            return None
        return self._detail(
            401,
            "missing_permissions",
            f"The API key you used is missing the permission {needed} to execute this operation.",
        )

    async def models(self, request: Request) -> Response:
        return await self._answer(request, self.model_list)

    async def speech(self, request: Request) -> Response:
        return await self._answer(request, self.synthesize)

    def synthesize(self, recorded: RecordedRequest, reply: Reply) -> Response:
        # Like the real (FastAPI) service: the key and its permission first, then the body. A
        # body without `text` (required in the OpenAPI file) is a 422 and nothing is spoken.
        body = recorded.json
        if not isinstance(body, dict) or not isinstance(body.get("text"), str):
            return self.error("bad_request", None, None, recorded)
        headers = {"character-cost": str(len(body["text"])), "request-id": "fake-request-0001"}
        audio = self.AUDIO if reply.audio is None else reply.audio
        return Response(audio, media_type="audio/mpeg", headers=headers)

    def model_list(self, recorded: RecordedRequest, reply: Reply) -> Response:
        # The example ModelResponseModel of ElevenLabs' OpenAPI file.
        model = {
            "model_id": "eleven_multilingual_v2",
            "name": "Eleven Multilingual v2",
            "can_be_finetuned": True,
            "can_do_text_to_speech": True,
            "can_do_voice_conversion": True,
            "can_use_style": True,
            "can_use_speaker_boost": True,
            "serves_pro_voices": False,
            "token_cost_factor": 1,
            "description": "Our state of the art multilingual speech synthesis model.",
            "requires_alpha_access": False,
            "max_characters_request_free_user": 2500,
            "max_characters_request_subscribed_user": 5000,
            "maximum_text_length_per_request": 1000000,
            "languages": [{"language_id": "en", "name": "English"}],
            "model_rates": {"character_cost_multiplier": 1},
            "concurrency_group": "standard",
        }
        return JSONResponse([model])

    @staticmethod
    def _detail(status: int, code: str, message: str, headers=None) -> Response:
        return JSONResponse(
            {"detail": {"status": code, "message": message}}, status, headers=headers or {}
        )

    def error(self, kind, message, retry_after, recorded) -> Response:
        if kind == "bad_request":
            body = {
                "detail": [
                    {
                        "loc": ["body", "text"],
                        "msg": message or "Field required",
                        "type": "missing",
                    }
                ]
            }
            return JSONResponse(body, 422)
        table = {
            "invalid_key": (401, "invalid_api_key", "Invalid API key"),
            "quota": (
                401,
                "quota_exceeded",
                "This request exceeds your quota of 10000. You have 5 credits remaining, while "
                "26 credits are required for this request.",
            ),
            "permissions": (
                401,
                "missing_permissions",
                "The API key you used is missing the permission text_to_speech to execute this "
                "operation.",
            ),
            "rate_limit": (
                429,
                "too_many_concurrent_requests",
                "Too many concurrent requests for your subscription. Please try again later.",
            ),
            "server_error": (500, "internal_error", "An internal server error occurred."),
            "unavailable": (503, "service_unavailable", "The service is temporarily unavailable."),
        }
        status, code, default = table[kind]
        return self._detail(status, code, message or default, _retry_headers(retry_after))


FAKES: dict[str, type[FakeProviderAPI]] = {
    fake.name: fake
    for fake in (FakeOpenAI, FakeAnthropic, FakeGemini, FakeOpenRouter, FakeElevenLabs)
}
