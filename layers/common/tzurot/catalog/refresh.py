"""Refresh the catalog: fetch each provider's list and replace its rows.

OpenRouter's list is public and always fetched. OpenAI, Anthropic and Gemini list their models
only to a key: the operator's, from TZUROT_CATALOG_KEYS, a JSON object such as
`{"openai": "sk-...", "anthropic": "sk-ant-...", "google": "AIza..."}`. In Lambda that variable
is a reference like the other secrets (TZUROT_CATALOG_KEYS_SECRET_ARN or _PARAMETER,
tzurot.secrets). Users' own keys are never used for this: they are theirs to spend. A provider
without an operator key is skipped and keeps the rows it has.

A provider whose fetch fails keeps its rows too (an outage must not empty the catalog); the
others are still refreshed, and the result says which failed and why.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

import httpx

from tzurot.catalog import sources
from tzurot.catalog.model import CATALOG_PROVIDERS, CatalogModel
from tzurot.config import ConfigError, Settings
from tzurot.logs import get_logger

KEYS_VARIABLE = "TZUROT_CATALOG_KEYS"
KEYED_PROVIDERS = ("openai", "anthropic", "google")

logger = get_logger("tzurot.catalog")

Fetch = Callable[[httpx.Client, str, str | None], list[CatalogModel]]


@dataclass(frozen=True)
class ProviderResult:
    provider: str
    status: str  # "refreshed", "skipped" (no operator key), "failed"
    models: int = 0
    detail: str = ""

    def line(self) -> str:
        if self.status == "refreshed":
            return f"{self.provider}: {self.models} models"
        if self.status == "skipped":
            return f"{self.provider}: skipped ({self.detail})"
        return f"{self.provider}: failed ({self.detail}); its rows were kept"


def operator_keys(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The operator's list keys by provider; {} when none is configured."""
    if env is None:
        from tzurot.secrets import resolve_into

        resolve_into(os.environ)
        env = os.environ
    raw = env.get(KEYS_VARIABLE, "").strip()
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        # Never quote the value: it holds keys.
        raise ConfigError(f'{KEYS_VARIABLE} must be a JSON object such as {{"openai": "sk-..."}}')
    unknown = sorted(set(value) - set(KEYED_PROVIDERS))
    if unknown:
        raise ConfigError(
            f"{KEYS_VARIABLE} names {', '.join(map(repr, unknown))}; "
            f"expected some of {', '.join(KEYED_PROVIDERS)}"
        )
    return {
        name: key.strip() for name, key in value.items() if isinstance(key, str) and key.strip()
    }


def _base_url(settings: Settings, provider: str) -> str:
    return {
        "openrouter": settings.openrouter_base_url,
        "openai": settings.openai_base_url,
        "anthropic": settings.anthropic_base_url,
        "google": settings.gemini_base_url,
    }[provider]


def _fetcher(provider: str, today: date) -> Fetch:
    if provider == "anthropic":
        return lambda client, url, key: sources.fetch_anthropic(client, url, key, today=today)
    return {
        "openrouter": sources.fetch_openrouter,
        "openai": sources.fetch_openai,
        "google": sources.fetch_gemini,
    }[provider]


def refresh(
    conn,
    settings: Settings,
    keys: Mapping[str, str],
    providers: tuple[str, ...] = CATALOG_PROVIDERS,
    *,
    client: httpx.Client | None = None,
    today: date | None = None,
) -> list[ProviderResult]:
    """Refresh `providers` in order; one result each."""
    from tzurot.catalog.store import replace_provider

    today = today or datetime.now(UTC).date()
    own_client = client is None
    client = client or httpx.Client(headers={"user-agent": "tzurot-serverless/0.1 (catalog)"})
    results = []
    try:
        for provider in providers:
            key = keys.get(provider)
            if provider in KEYED_PROVIDERS and not key:
                results.append(ProviderResult(provider, "skipped", detail="no operator key"))
                continue
            try:
                models = _fetcher(provider, today)(client, _base_url(settings, provider), key)
            except sources.CatalogFetchFailed as exc:
                logger.warning(
                    "catalog refresh failed", extra={"provider": provider, "error": str(exc)}
                )
                results.append(ProviderResult(provider, "failed", detail=str(exc)))
                continue
            count = replace_provider(conn, provider, models)
            results.append(ProviderResult(provider, "refreshed", models=count))
    finally:
        if own_client:
            client.close()
    logger.info("catalog refreshed", extra={"results": [r.line() for r in results]})
    return results


def refresh_from_env(providers: tuple[str, ...] = CATALOG_PROVIDERS) -> list[ProviderResult]:
    """What the CLI and the scheduled function run: settings and keys from the environment, the
    process's database connection."""
    from tzurot.db.connection import shared_connection

    settings = Settings.from_env()
    return refresh(shared_connection(), settings, operator_keys(), providers)


def scheduled(event, context=None) -> dict:
    """The daily catalog function: refresh, and say per provider what happened. It fails (so
    the Errors alarm sees it) when a provider failed and none could be refreshed."""
    results = refresh_from_env()
    summary = {result.provider: result.line() for result in results}
    failed = [result for result in results if result.status == "failed"]
    if failed and not any(result.status == "refreshed" for result in results):
        raise sources.CatalogFetchFailed("; ".join(result.line() for result in failed))
    return summary
