"""What every provider fake shares: the recorded request, the script items (`Reply`,
`ScriptedError`, `RawResponse`) and `FakeProviderAPI`, the Starlette app that records each
request, checks its key and plays the script; each provider's module speaks its wire format."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tzurot_fakes.embeddings import FakeEmbeddings
from tzurot_fakes.images import FAKE_PNG
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


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    query: dict[str, str]
    json: Any


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


def retry_headers(retry_after: float | None) -> dict[str, str]:
    """The retry-after header of an error, when the script gives one."""
    return {} if retry_after is None else {"retry-after": f"{retry_after:g}"}


def bearer_key(recorded: RecordedRequest) -> str | None:
    """The key of an `Authorization: Bearer <key>` header, if the request has one."""
    auth = recorded.headers.get("authorization", "")
    return auth[7:] if auth.startswith("Bearer ") else None
