"""The embeddings endpoints of the provider fakes (tzurot_fakes.providers), in their real wire
formats: OpenAI and OpenRouter `POST .../embeddings` (float arrays, or base64 float32 when asked
for `encoding_format: "base64"`), Gemini `POST /v1[beta]/models/{model}:batchEmbedContents` and
`:embedContent`.

Every provider fake has one, as `fake.embeddings`, with its own record and script so that the
embedding call a /chat turn makes before its chat call does not eat the chat call's scripted
reply:

    fake.embeddings.requests             # RecordedRequests (not in the fake's own `requests`)
    fake.embeddings.queue_error("server_error")   # the provider's real error body, once
    fake.embeddings.tokens_per_word = 2  # usage reported per word of input (OpenAI, OpenRouter)

The vector is a deterministic bag of words: each lower-cased word adds 1 to a dimension picked
by its hash, then the vector is normalised. So texts that share words are close in cosine
similarity ("what is my cat called" and "my cat is called Miso" ≈ 0.8) and texts that share
none are orthogonal (0.0): tests can put a memory on either side of a threshold.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import struct
import threading
from collections import deque
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

DEFAULT_DIMS = {"openai": 1536, "openrouter": 1536, "google": 3072}
_WORD = re.compile(r"\w+")


def bag_of_words(text: str, dims: int) -> list[float]:
    vector = [0.0] * dims
    for word in _WORD.findall(text.lower()):
        digest = hashlib.sha256(word.encode()).digest()
        vector[int.from_bytes(digest[:4], "big") % dims] += 1.0
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return [x / norm for x in vector]


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    na, nb = math.sqrt(sum(x * x for x in a)), math.sqrt(sum(y * y for y in b))
    return dot / (na * nb) if na and nb else 0.0


class FakeEmbeddings:
    """The embeddings endpoint of one provider fake (`owner`), which supplies auth and errors."""

    def __init__(self, owner: Any):
        self.owner = owner
        self.requests: list[Any] = []
        self.tokens_per_word = 1
        self._errors: deque[str] = deque()
        self._lock = threading.Lock()

    def queue_error(self, kind: str) -> None:
        if kind not in self.owner.supported_errors:
            raise ValueError(f"no error kind {kind!r}")
        with self._lock:
            self._errors.append(kind)

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._errors.clear()
        self.tokens_per_word = 1

    @property
    def last_json(self) -> Any:
        return self.requests[-1].json

    def routes(self) -> list[Route]:
        name = self.owner.name
        if name == "google":
            return [
                Route(f"/{v}/models/{{model}}:{m}", self._gemini, methods=["POST"])
                for v in ("v1", "v1beta")
                for m in ("batchEmbedContents", "embedContent")
            ]
        return [Route(f"{self.owner.prefix}/embeddings", self._openai, methods=["POST"])]

    async def _play(self, request: Request, success) -> Response:
        recorded = await self.owner.recorded(request)
        body = recorded.json
        with self._lock:
            self.requests.append(recorded)
        key = self.owner.key_of(recorded)
        if not (key in self.owner.valid_keys or (self.owner.any_key and key)):
            return self.owner.error("invalid_key", None, None, recorded)
        with self._lock:
            kind = self._errors.popleft() if self._errors else None
        if kind is not None:
            return self.owner.error(kind, None, None, recorded)
        if not isinstance(body, dict):
            return self.owner.error("bad_request", "body is not a JSON object", None, recorded)
        return success(recorded, body)

    # -- OpenAI, OpenRouter ------------------------------------------------------------------

    async def _openai(self, request: Request) -> Response:
        return await self._play(request, self._openai_answer)

    def _openai_answer(self, recorded: Any, body: dict[str, Any]) -> Response:
        inputs = body.get("input")
        inputs = [inputs] if isinstance(inputs, str) else inputs
        if not inputs or not all(isinstance(i, str) and i for i in inputs) or not body.get("model"):
            return self.owner.error("bad_request", "input and model are required", None, recorded)
        dims = body.get("dimensions") or DEFAULT_DIMS[self.owner.name]
        data = []
        for index, text in enumerate(inputs):
            vector = bag_of_words(text, dims)
            encoded: Any = vector
            if body.get("encoding_format") == "base64":
                encoded = base64.b64encode(struct.pack(f"<{dims}f", *vector)).decode()
            data.append({"object": "embedding", "index": index, "embedding": encoded})
        tokens = sum(len(_WORD.findall(t)) for t in inputs) * self.tokens_per_word
        return JSONResponse(
            {
                "object": "list",
                "data": data,
                "model": body["model"],
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }
        )

    # -- Gemini ------------------------------------------------------------------------------

    async def _gemini(self, request: Request) -> Response:
        return await self._play(request, self._gemini_answer)

    def _gemini_answer(self, recorded: Any, body: dict[str, Any]) -> Response:
        batch = recorded.path.endswith(":batchEmbedContents")
        requests = body.get("requests") if batch else [body]
        if not isinstance(requests, list) or not requests:
            return self.owner.error("bad_request", "requests is required", None, recorded)
        embeddings = []
        for item in requests:
            parts = ((item or {}).get("content") or {}).get("parts") or []
            text = " ".join(p.get("text", "") for p in parts if isinstance(p, dict))
            if not text:
                return self.owner.error("bad_request", "content is empty", None, recorded)
            dims = item.get("outputDimensionality") or DEFAULT_DIMS["google"]
            embeddings.append({"values": bag_of_words(text, dims)})
        if batch:
            return JSONResponse({"embeddings": embeddings})
        return JSONResponse({"embedding": embeddings[0]})
