"""Provider names (as stored in the database) to clients, configured from `Settings`.

Provider modules are imported on first use so that importing this module stays light (httpx
and the provider code load only in the functions that call providers).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from tzurot.config import Settings
from tzurot.providers.base import ImageProvider, KeyValidator, TextProvider
from tzurot.providers.errors import UnknownProvider

# name -> (module, class, Settings attribute holding the base URL)
_TEXT: dict[str, tuple[str, str, str]] = {
    "openai": ("tzurot.providers.openai", "OpenAIProvider", "openai_base_url"),
    "anthropic": ("tzurot.providers.anthropic", "AnthropicProvider", "anthropic_base_url"),
    "google": ("tzurot.providers.gemini", "GeminiProvider", "gemini_base_url"),
    "openrouter": ("tzurot.providers.openrouter", "OpenRouterProvider", "openrouter_base_url"),
}
_VOICE: dict[str, tuple[str, str, str]] = {
    "elevenlabs": ("tzurot.providers.elevenlabs", "ElevenLabsClient", "elevenlabs_base_url"),
}

# The text clients of these providers also generate images (image_configs.provider values).
_IMAGE = {name: _TEXT[name] for name in ("openai", "google", "openrouter")}

TEXT_PROVIDERS: tuple[str, ...] = tuple(_TEXT)
IMAGE_PROVIDERS: tuple[str, ...] = tuple(_IMAGE)
KEY_PROVIDERS: tuple[str, ...] = (*_TEXT, *_VOICE)


def _build(table: dict[str, tuple[str, str, str]], name: str, settings: Settings, **options: Any):
    try:
        module, cls, url_attr = table[name]
    except KeyError:
        known = ", ".join(sorted(table))
        raise UnknownProvider(f"unknown provider {name!r}; expected one of: {known}") from None
    return getattr(import_module(module), cls)(getattr(settings, url_attr), **options)


def get_text_provider(name: str, settings: Settings, **options: Any) -> TextProvider:
    """The chat client for `name` (openai, anthropic, google, openrouter).

    `options` go to the client: `timeout` (httpx.Timeout or seconds), `client` (httpx.Client).
    """
    return _build(_TEXT, name, settings, **options)


def get_image_provider(name: str, settings: Settings, **options: Any) -> ImageProvider:
    """The image client for `name` (openai, google, openrouter); options as for text."""
    return _build(_IMAGE, name, settings, **options)


def get_voice_provider(name: str, settings: Settings, **options: Any) -> Any:
    """The text-to-speech client for `name` (elevenlabs: `ElevenLabsClient.speak`)."""
    return _build(_VOICE, name, settings, **options)


def get_key_validator(name: str, settings: Settings, **options: Any) -> KeyValidator:
    """A client that can dry-run a key of any provider users may store, ElevenLabs included."""
    return _build({**_TEXT, **_VOICE}, name, settings, **options)


def validate_provider_key(name: str, api_key: str, settings: Settings, **options: Any) -> None:
    """One cheap authenticated call; returns if usable, raises a ProviderError type otherwise."""
    get_key_validator(name, settings, **options).validate_key(api_key)
