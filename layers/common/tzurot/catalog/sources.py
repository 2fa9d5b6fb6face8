"""Each provider's model list, fetched and read into CatalogModel rows.

- openrouter: GET {base}/models?output_modalities=all, public; context length, modalities,
  prices per token (strings), expiration_date;
- openai: GET {base}/models, Bearer key; created, shutdown_date;
- anthropic: GET {base}/v1/models?lifecycle[]=active&...=retired, x-api-key and
  anthropic-version; max_input_tokens, image/PDF input, deprecated_at, retires_at, lifecycle;
- google: GET {base}/v1beta/models?pageSize=1000, x-goog-api-key; inputTokenLimit,
  supportedGenerationMethods.

What a list does not publish stays empty (modalities) or NULL (prices, context), except the
output modalities of OpenAI and Gemini models, which are read from their model families
(`gpt-image-*` and `dall-e-*` draw, `*-tts` speak, `text-embedding-*` embed, ...): an id of no
known family gets none, and nothing is refused for it.

Lists are paged where the API pages them (OpenRouter's `links.next`, Anthropic's `has_more`,
Gemini's `nextPageToken`), up to MAX_PAGES.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from tzurot.catalog.model import CatalogModel
from tzurot.errors import TzurotError

TIMEOUT = httpx.Timeout(30.0, connect=5.0)
MAX_PAGES = 20
MILLION = Decimal(1_000_000)
ANTHROPIC_LIFECYCLES = ("active", "deprecated", "retired")  # retired ones: to refuse them


class CatalogFetchFailed(TzurotError):
    """A provider's list could not be fetched or read (one line, no key in it)."""


# --- small readers ------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _positive_int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if value > 0 else None


def per_million(price: Any) -> Decimal | None:
    """OpenRouter's per-token price string as dollars per million tokens; None for a missing,
    unparsable or negative one (OpenRouter writes "-1" for a price that varies per request)."""
    if not isinstance(price, str | int | float) or isinstance(price, bool):
        return None
    try:
        value = Decimal(str(price))
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0:
        return None
    return (value * MILLION).quantize(Decimal("0.000001"))


def _date(value: Any) -> date | None:
    text = _text(value)
    if text is None:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _timestamp(value: Any) -> datetime | None:
    """A Unix time or an RFC 3339 string; None for a missing one or the epoch (Anthropic's
    'release date unknown')."""
    moment: datetime | None = None
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        moment = datetime.fromtimestamp(value, UTC)
    elif _text(value):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    if moment is None or moment.year <= 1970:
        return None
    return moment


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(dict.fromkeys(item for item in value if isinstance(item, str) and item))


# --- OpenRouter --------------------------------------------------------------------------------


def read_openrouter(item: dict[str, Any]) -> CatalogModel | None:
    model_id = _text(item.get("id"))
    if model_id is None:
        return None
    architecture = item.get("architecture") or {}
    pricing = item.get("pricing") or {}
    top = item.get("top_provider") or {}
    return CatalogModel(
        provider="openrouter",
        model_id=model_id,
        display_name=_text(item.get("name")),
        context_length=_positive_int(item.get("context_length"))
        or _positive_int(top.get("context_length")),
        input_modalities=_strings(architecture.get("input_modalities")),
        output_modalities=_strings(architecture.get("output_modalities")),
        input_price=per_million(pricing.get("prompt")),
        output_price=per_million(pricing.get("completion")),
        released_at=_timestamp(item.get("created")),
        shutdown_date=_day_after(_date(item.get("expiration_date"))),
    )


def _day_after(day: date | None) -> date | None:
    """OpenRouter's expiration_date is "the date after which the model may be removed": the
    model answers on that day, and from the next one it may not."""
    return day + timedelta(days=1) if day else None


# --- OpenAI -------------------------------------------------------------------------------------

# Model families by id, first match wins: what each one outputs.
_OPENAI_FAMILIES: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"^(gpt-image|chatgpt-image|dall-e)"), ("image",)),
    (re.compile(r"^sora"), ("video",)),
    (re.compile(r"tts"), ("audio",)),
    (re.compile(r"^(text-embedding|.*-embedding)"), ("embeddings",)),
    (re.compile(r"(whisper|transcribe)"), ("text",)),
    (re.compile(r"(^omni-moderation|^text-moderation)"), ("moderation",)),
    (re.compile(r"(realtime|audio)"), ("text", "audio")),
    (re.compile(r"^(gpt-|chatgpt-|o\d|codex-)"), ("text",)),
)


def openai_outputs(model_id: str) -> tuple[str, ...]:
    for pattern, outputs in _OPENAI_FAMILIES:
        if pattern.search(model_id):
            return outputs
    return ()


def read_openai(item: dict[str, Any]) -> CatalogModel | None:
    model_id = _text(item.get("id"))
    if model_id is None:
        return None
    return CatalogModel(
        provider="openai",
        model_id=model_id,
        output_modalities=openai_outputs(model_id),
        released_at=_timestamp(item.get("created")),
        shutdown_date=_date(item.get("shutdown_date")),
    )


# --- Anthropic -----------------------------------------------------------------------------------


def _supported(capabilities: dict[str, Any], name: str) -> bool:
    entry = capabilities.get(name)
    return isinstance(entry, dict) and entry.get("supported") is True


def read_anthropic(item: dict[str, Any], today: date) -> CatalogModel | None:
    model_id = _text(item.get("id"))
    if model_id is None:
        return None
    capabilities = item.get("capabilities") or {}
    inputs = ["text"]
    if _supported(capabilities, "image_input"):
        inputs.append("image")
    if _supported(capabilities, "pdf_input"):
        inputs.append("file")
    retires = _timestamp(item.get("retires_at"))
    deprecated = _timestamp(item.get("deprecated_at"))
    shutdown = retires.date() if retires else None
    # `lifecycle` is the retirement signal: a retired model takes no requests from today on
    # whatever its date says, and a deprecated one still answers past an overdue retires_at.
    if item.get("lifecycle") == "retired":
        shutdown = min(shutdown or today, today)
    elif shutdown is not None and shutdown <= today:
        shutdown = None
    return CatalogModel(
        provider="anthropic",
        model_id=model_id,
        display_name=_text(item.get("display_name")),
        context_length=_positive_int(item.get("max_input_tokens")),
        input_modalities=tuple(inputs),
        output_modalities=("text",),
        released_at=_timestamp(item.get("created_at")),
        deprecated_at=deprecated.date() if deprecated else None,
        shutdown_date=shutdown,
    )


# --- Gemini ---------------------------------------------------------------------------------------


def gemini_outputs(model_id: str, methods: tuple[str, ...]) -> tuple[str, ...]:
    if model_id.startswith("imagen"):
        return ("image",)
    if model_id.startswith("veo"):
        return ("video",)
    if "embedContent" in methods or "embedding" in model_id:
        return ("embeddings",)
    if "generateContent" not in methods:
        return ()
    if "tts" in model_id:
        return ("audio",)
    if "image" in model_id:
        return ("text", "image")  # the "flash image" models answer with text and images
    return ("text",)


def read_gemini(item: dict[str, Any]) -> CatalogModel | None:
    name = _text(item.get("name"))
    if name is None:
        return None
    model_id = name.removeprefix("models/")
    methods = _strings(item.get("supportedGenerationMethods"))
    return CatalogModel(
        provider="google",
        model_id=model_id,
        display_name=_text(item.get("displayName")),
        context_length=_positive_int(item.get("inputTokenLimit")),
        output_modalities=gemini_outputs(model_id, methods),
    )


# --- fetching ---------------------------------------------------------------------------------


def _get(client: httpx.Client, url: str, provider: str, **kwargs: Any) -> dict[str, Any]:
    try:
        response = client.get(url, timeout=TIMEOUT, **kwargs)
    except httpx.HTTPError as exc:
        raise CatalogFetchFailed(
            f"{provider}: {type(exc).__name__} fetching the model list"
        ) from None
    if response.status_code in (401, 403):
        raise CatalogFetchFailed(
            f"{provider}: the model list answered {response.status_code} (check the operator key)"
        )
    if response.status_code != 200:
        raise CatalogFetchFailed(f"{provider}: the model list answered {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        raise CatalogFetchFailed(f"{provider}: the model list is not JSON") from None
    if not isinstance(body, dict):
        raise CatalogFetchFailed(f"{provider}: the model list is not a JSON object")
    return body


def _items(body: dict[str, Any], field: str, provider: str) -> list[dict[str, Any]]:
    items = body.get(field)
    if not isinstance(items, list):
        raise CatalogFetchFailed(f"{provider}: the model list has no {field!r} array")
    return [item for item in items if isinstance(item, dict)]


def _collect(
    pages: Iterator[list[dict[str, Any]]], read: Callable[[dict[str, Any]], CatalogModel | None]
) -> list[CatalogModel]:
    seen: dict[str, CatalogModel] = {}
    for page in pages:
        for item in page:
            model = read(item)
            if model is not None:
                seen.setdefault(model.model_id, model)
    return list(seen.values())


def fetch_openrouter(
    client: httpx.Client, base_url: str, key: str | None = None
) -> list[CatalogModel]:
    """Every model, whatever it outputs (the list defaults to text models only)."""

    def pages() -> Iterator[list[dict[str, Any]]]:
        url: str | None = f"{base_url}/models"
        params: dict[str, Any] | None = {"output_modalities": "all"}
        for _ in range(MAX_PAGES):
            if url is None:
                return
            body = _get(client, url, "openrouter", params=params)
            yield _items(body, "data", "openrouter")
            following = (body.get("links") or {}).get("next")
            url, params = _next_url(base_url, following), None

    return _collect(pages(), read_openrouter)


def _next_url(base_url: str, following: Any) -> str | None:
    """OpenRouter's `links.next` is a path from the host ("/api/v1/models?offset=500...")."""
    text = _text(following)
    if text is None:
        return None
    if text.startswith(("http://", "https://")):
        return text
    origin = httpx.URL(base_url).copy_with(path="/", query=None, fragment=None)
    return str(origin.join(text))


def fetch_openai(client: httpx.Client, base_url: str, key: str | None) -> list[CatalogModel]:
    body = _get(client, f"{base_url}/models", "openai", headers={"authorization": f"Bearer {key}"})
    return _collect(iter([_items(body, "data", "openai")]), read_openai)


def fetch_anthropic(
    client: httpx.Client, base_url: str, key: str | None, *, today: date
) -> list[CatalogModel]:
    from tzurot.providers.anthropic import API_VERSION

    headers = {"x-api-key": key or "", "anthropic-version": API_VERSION}

    def pages() -> Iterator[list[dict[str, Any]]]:
        params: list[tuple[str, str | int]] = [("limit", 1000)]
        params += [("lifecycle[]", stage) for stage in ANTHROPIC_LIFECYCLES]
        for _ in range(MAX_PAGES):
            body = _get(
                client, f"{base_url}/v1/models", "anthropic", headers=headers, params=params
            )
            yield _items(body, "data", "anthropic")
            last = _text(body.get("last_id"))
            if body.get("has_more") is not True or last is None:
                return
            params = [*params[: 1 + len(ANTHROPIC_LIFECYCLES)], ("after_id", last)]

    return _collect(pages(), lambda item: read_anthropic(item, today))


def fetch_gemini(client: httpx.Client, base_url: str, key: str | None) -> list[CatalogModel]:
    headers = {"x-goog-api-key": key or ""}

    def pages() -> Iterator[list[dict[str, Any]]]:
        params: dict[str, Any] = {"pageSize": 1000}
        for _ in range(MAX_PAGES):
            body = _get(
                client, f"{base_url}/v1beta/models", "google", headers=headers, params=params
            )
            yield _items(body, "models", "google") if "models" in body else []
            token = _text(body.get("nextPageToken"))
            if token is None:
                return
            params = {"pageSize": 1000, "pageToken": token}

    return _collect(pages(), read_gemini)
