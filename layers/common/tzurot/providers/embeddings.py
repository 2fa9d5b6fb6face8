"""Text embeddings with the user's own key: OpenAI and OpenRouter (POST /embeddings, the same
wire format) and Gemini (POST models/{model}:batchEmbedContents, as the google-genai SDK sends
it). Anthropic has no embeddings API: its users get full-text memory recall only.

Each client is the provider's chat client with one more method, so headers, error reading and
the shared httpx client are the chat call's. Vectors come back as base64 float32 from the
OpenAI-compatible APIs (what the openai SDK asks for: a quarter of the JSON) or as numbers.
Gemini reports no token count for embeddings: the usage row carries an estimate (a token per
four characters, rounded up).
"""

from __future__ import annotations

import base64
import binascii
import struct
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from tzurot.config import Settings
from tzurot.providers.errors import ProviderUnavailable, UnknownProvider
from tzurot.providers.http import ProviderHTTP

# Recall waits for the query's embedding before the chat call: a slow provider costs memory
# (the turn falls back to full-text recall), not the reply.
EMBEDDING_TIMEOUT = httpx.Timeout(8.0, connect=3.0)


@dataclass(frozen=True)
class Embedding:
    vector: list[float] = field(repr=False)
    model: str
    tokens: int  # billed input tokens (Gemini: estimated)

    @property
    def dims(self) -> int:
        return len(self.vector)


class EmbeddingClient:
    """Mixed into a provider's chat client (which gives `http`, `headers` and `label`); the
    subclass says where the request goes, what it carries and how to read the answer."""

    http: ProviderHTTP
    label: ClassVar[str]

    def embed(self, api_key: str, model: str, text: str, dimensions: int | None) -> Embedding:
        model = model.removeprefix("models/")
        data = self.http.call(
            "POST",
            self.embedding_path(model),
            api_key=api_key,
            headers=self.headers(api_key),  # type: ignore[attr-defined]
            json=self.embedding_body(model, text, dimensions),
            timeout=EMBEDDING_TIMEOUT,
        )
        found = self.read_embedding(data, model, text) if isinstance(data, dict) else None
        if found is None:
            raise self.http.fail(ProviderUnavailable(provider=self.label, detail="no embedding"))
        return found

    def embedding_path(self, model: str) -> str:
        raise NotImplementedError

    def embedding_body(self, model: str, text: str, dimensions: int | None) -> dict[str, Any]:
        raise NotImplementedError

    def read_embedding(self, data: dict[str, Any], model: str, text: str) -> Embedding | None:
        raise NotImplementedError


class OpenAICompatibleEmbeddings(EmbeddingClient):
    def embedding_path(self, model: str) -> str:
        return "/embeddings"

    def embedding_body(self, model: str, text: str, dimensions: int | None) -> dict[str, Any]:
        body: dict[str, Any] = {"model": model, "input": text, "encoding_format": "base64"}
        if dimensions is not None:
            body["dimensions"] = dimensions
        return body

    def read_embedding(self, data: dict[str, Any], model: str, text: str) -> Embedding | None:
        items = data.get("data")
        first = items[0] if isinstance(items, list) and items else None
        vector = _vector(first.get("embedding") if isinstance(first, dict) else None)
        if vector is None:
            return None
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
        tokens = usage.get("prompt_tokens") or usage.get("total_tokens") or 0
        return Embedding(vector, str(data.get("model") or model), int(tokens))


class GeminiEmbeddings(EmbeddingClient):
    def embedding_path(self, model: str) -> str:
        return f"/v1/models/{quote(model, safe='')}:batchEmbedContents"

    def embedding_body(self, model: str, text: str, dimensions: int | None) -> dict[str, Any]:
        request: dict[str, Any] = {
            "model": f"models/{model}",
            "content": {"parts": [{"text": text}], "role": "user"},
            "taskType": "SEMANTIC_SIMILARITY",
        }
        if dimensions is not None:
            request["outputDimensionality"] = dimensions
        return {"requests": [request]}

    def read_embedding(self, data: dict[str, Any], model: str, text: str) -> Embedding | None:
        items = data.get("embeddings")
        first = items[0] if isinstance(items, list) and items else None
        vector = _vector(first.get("values") if isinstance(first, dict) else None)
        return None if vector is None else Embedding(vector, model, -(-len(text) // 4))


def _vector(value: Any) -> list[float] | None:
    """A non-empty list of finite floats from a JSON array or base64 little-endian float32."""
    if isinstance(value, str):
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return None
        if not raw or len(raw) % 4:
            return None
        value = list(struct.unpack(f"<{len(raw) // 4}f", raw))
    if not isinstance(value, list) or not value:
        return None
    if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in value):
        return None
    floats = [float(x) for x in value]
    if any(x != x or x in (float("inf"), float("-inf")) for x in floats):
        return None
    return floats


# provider -> (module, class, Settings attribute holding the base URL)
_CLIENTS: dict[str, tuple[str, str, str]] = {
    "openai": ("tzurot.providers.embedding_clients", "OpenAIEmbeddingClient", "openai_base_url"),
    "openrouter": (
        "tzurot.providers.embedding_clients",
        "OpenRouterEmbeddingClient",
        "openrouter_base_url",
    ),
    "google": ("tzurot.providers.embedding_clients", "GeminiEmbeddingClient", "gemini_base_url"),
}
EMBEDDING_PROVIDERS: tuple[str, ...] = tuple(_CLIENTS)


def get_embedding_client(name: str, settings: Settings, **options: Any) -> EmbeddingClient:
    """The embeddings client of `name`; UnknownProvider for a provider without embeddings."""
    try:
        module, cls, url_attr = _CLIENTS[name]
    except KeyError:
        raise UnknownProvider(f"provider {name!r} has no embeddings") from None
    return getattr(import_module(module), cls)(getattr(settings, url_attr), **options)
