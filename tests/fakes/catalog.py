"""Loopback fakes of the four providers' model-list endpoints, in their real wire formats.

One Starlette app serves all four under prefixes (the base URLs a test configures):
`/openrouter/api/v1/models` (public; `output_modalities` defaults to text models only, `all`
lists every one; the whole list unless offset/limit are given, then `links.next`),
`/openai/v1/models` (Bearer key), `/anthropic/v1/models` (x-api-key and anthropic-version;
`lifecycle[]` filter, active+deprecated by default; `limit`/`after_id` paging with `has_more`),
`/gemini/v1beta/models` (x-goog-api-key; `pageSize`/`pageToken` paging, 50 by default).
Shapes follow OpenRouter's OpenAPI file and the openai, anthropic and google-genai SDK types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


def openrouter_model(
    model_id: str,
    *,
    outputs: tuple[str, ...] = ("text",),
    inputs: tuple[str, ...] = ("text",),
    prompt: str = "0.000001",
    completion: str = "0.000002",
    context: int | None = 128000,
    created: int = 1_700_000_000,
    expiration_date: str | None = None,
) -> dict[str, Any]:
    return {
        "id": model_id,
        "canonical_slug": model_id,
        "name": model_id.split("/")[-1].upper(),
        "created": created,
        "description": "a model",
        "context_length": context,
        "architecture": {
            "modality": f"{'+'.join(inputs)}->{'+'.join(outputs)}",
            "input_modalities": list(inputs),
            "output_modalities": list(outputs),
            "tokenizer": "Other",
            "instruct_type": None,
        },
        "pricing": {"prompt": prompt, "completion": completion, "request": "0", "image": "0"},
        "top_provider": {
            "context_length": context,
            "max_completion_tokens": 4096,
            "is_moderated": False,
        },
        "per_request_limits": None,
        "supported_parameters": ["temperature", "top_p", "max_tokens"],
        "default_parameters": None,
        "supported_voices": None,
        "knowledge_cutoff": None,
        "expiration_date": expiration_date,
        "links": {"details": f"/api/v1/models/{model_id}/endpoints"},
    }


def openai_model(model_id: str, created: int = 1_700_000_000, shutdown: str | None = None) -> dict:
    return {
        "id": model_id,
        "object": "model",
        "created": created,
        "owned_by": "system",
        "shutdown_date": shutdown,
    }


def anthropic_model(
    model_id: str,
    *,
    lifecycle: str = "active",
    created_at: str = "2025-05-14T00:00:00Z",
    deprecated_at: str | None = None,
    retires_at: str | None = None,
    image_input: bool = True,
) -> dict:
    supported = {"supported": True}
    return {
        "type": "model",
        "id": model_id,
        "display_name": model_id.replace("-", " ").title(),
        "created_at": created_at,
        "lifecycle": lifecycle,
        "deprecated_at": deprecated_at,
        "retires_at": retires_at,
        "max_input_tokens": 200000,
        "max_tokens": 64000,
        "line": None,
        "capabilities": {
            "batch": supported,
            "citations": supported,
            "code_execution": supported,
            "image_input": {"supported": image_input},
            "pdf_input": supported,
            "structured_outputs": supported,
        },
    }


def gemini_model(name: str, methods: tuple[str, ...] = ("generateContent", "countTokens")) -> dict:
    return {
        "name": f"models/{name}",
        "baseModelId": name,
        "version": "001",
        "displayName": name.replace("-", " ").title(),
        "description": "a Gemini model",
        "inputTokenLimit": 1048576,
        "outputTokenLimit": 65536,
        "supportedGenerationMethods": list(methods),
        "temperature": 1,
        "maxTemperature": 2,
        "topP": 0.95,
        "topK": 64,
    }


@dataclass
class FakeCatalogs:
    """The lists each fake serves, the keys it accepts, and the requests it saw."""

    openrouter: list[dict] = field(default_factory=list)
    openai: list[dict] = field(default_factory=list)
    anthropic: list[dict] = field(default_factory=list)
    gemini: list[dict] = field(default_factory=list)
    openai_key: str = "sk-operator-openai"
    anthropic_key: str = "sk-ant-operator"
    gemini_key: str = "AIza-operator-gemini"
    fail: dict[str, int] = field(default_factory=dict)  # provider -> status to answer with
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def base_urls(self, root: str) -> dict[str, str]:
        """Environment variables pointing every provider at `root` (the served app)."""
        return {
            "OPENROUTER_BASE_URL": f"{root}/openrouter/api/v1",
            "OPENAI_BASE_URL": f"{root}/openai/v1",
            "ANTHROPIC_BASE_URL": f"{root}/anthropic",
            "GEMINI_BASE_URL": f"{root}/gemini",
        }

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/openrouter/api/v1/models", self._openrouter),
                Route("/openai/v1/models", self._openai),
                Route("/anthropic/v1/models", self._anthropic),
                Route("/gemini/v1beta/models", self._gemini),
            ]
        )

    def _seen(self, provider: str, request: Request) -> JSONResponse | None:
        self.requests.append((provider, str(request.url.query), dict(request.headers)))
        status = self.fail.get(provider)
        if status:
            return JSONResponse({"error": {"message": "unavailable"}}, status_code=status)
        return None

    async def _openrouter(self, request: Request) -> JSONResponse:
        if failed := self._seen("openrouter", request):
            return failed
        wanted = request.query_params.get("output_modalities", "text")
        models = [
            m
            for m in self.openrouter
            if wanted == "all"
            or set(wanted.split(",")) & set(m["architecture"]["output_modalities"])
        ]
        offset, limit = request.query_params.get("offset"), request.query_params.get("limit")
        following = None
        if offset is not None or limit is not None:
            start, size = int(offset or 0), int(limit or 500)
            if start + size < len(models):
                following = f"/api/v1/models?offset={start + size}&limit={size}"
            models = models[start : start + size]
        return JSONResponse(
            {"data": models, "total_count": len(models), "links": {"next": following}}
        )

    async def _openai(self, request: Request) -> JSONResponse:
        if failed := self._seen("openai", request):
            return failed
        if request.headers.get("authorization") != f"Bearer {self.openai_key}":
            return JSONResponse(
                {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error",
                           "code": "invalid_api_key", "param": None}},
                status_code=401,
            )  # fmt: skip
        return JSONResponse({"object": "list", "data": self.openai})

    async def _anthropic(self, request: Request) -> JSONResponse:
        if failed := self._seen("anthropic", request):
            return failed
        if request.headers.get("x-api-key") != self.anthropic_key or not request.headers.get(
            "anthropic-version"
        ):
            return JSONResponse(
                {"type": "error", "error": {"type": "authentication_error",
                                            "message": "invalid x-api-key"}},
                status_code=401,
            )  # fmt: skip
        stages = request.query_params.getlist("lifecycle[]") or ["active", "deprecated"]
        models = [m for m in self.anthropic if m["lifecycle"] in stages]
        after = request.query_params.get("after_id")
        if after:
            ids = [m["id"] for m in models]
            models = models[ids.index(after) + 1 :]
        limit = int(request.query_params.get("limit", 20))
        page = models[:limit]
        return JSONResponse(
            {
                "data": page,
                "has_more": len(models) > limit,
                "first_id": page[0]["id"] if page else None,
                "last_id": page[-1]["id"] if page else None,
            }
        )

    async def _gemini(self, request: Request) -> JSONResponse:
        if failed := self._seen("gemini", request):
            return failed
        if request.headers.get("x-goog-api-key") != self.gemini_key:
            return JSONResponse(
                {
                    "error": {
                        "code": 400,
                        "message": "API key not valid.",
                        "status": "INVALID_ARGUMENT",
                    }
                },
                status_code=400,
            )
        size = int(request.query_params.get("pageSize", 50))
        start = int(request.query_params.get("pageToken") or 0)
        page = self.gemini[start : start + size]
        body: dict[str, Any] = {"models": page}
        if start + size < len(self.gemini):
            body["nextPageToken"] = str(start + size)
        return JSONResponse(body)
