"""Which models take images, and what each provider accepts of them.

The model catalog (tzurot.catalog) knows the input modalities of most models; where it has no
row for a model, the provider's own families decide (every Claude 3+ and Gemini model sees;
OpenAI's GPT-4o/4.1/5 and o-series do; OpenRouter ids name their vendor, whose rule applies).
"""

from __future__ import annotations

MB = 1024 * 1024
# Largest image each provider takes inline: Anthropic documents 5 MB per image; OpenAI and
# OpenRouter 20 MB; Gemini 20 MB for the whole inline request. Never more than 20 MB.
IMAGE_LIMITS = {"openai": 20 * MB, "anthropic": 5 * MB, "google": 20 * MB, "openrouter": 20 * MB}
MAX_IMAGE_BYTES = 20 * MB
# Image types the provider reads (Gemini lists PNG, JPEG, WebP, HEIC, HEIF: no GIF).
_ALL_TYPES = frozenset({"image/png", "image/jpeg", "image/webp", "image/gif"})
IMAGE_TYPES = {
    "openai": _ALL_TYPES,
    "anthropic": _ALL_TYPES,
    "openrouter": _ALL_TYPES,
    "google": _ALL_TYPES - {"image/gif"},
}
_OPENAI_VISION = ("gpt-4o", "chatgpt-4o", "gpt-4.1", "gpt-4-turbo", "gpt-5", "o1", "o3", "o4")


def image_limit(provider: str) -> int:
    return min(IMAGE_LIMITS.get(provider, MAX_IMAGE_BYTES), MAX_IMAGE_BYTES)


def accepts_type(provider: str, mime_type: str) -> bool:
    return mime_type in IMAGE_TYPES.get(provider, _ALL_TYPES)


def sees_images(provider: str, model: str, catalog_inputs: tuple[str, ...] | None) -> bool:
    """Whether `model` takes image input: the catalog's modalities when it lists the model
    (an empty list means the source did not say), the provider's families otherwise."""
    if catalog_inputs:
        return "image" in catalog_inputs
    model = model.lower().removeprefix("models/")
    if provider == "openrouter":
        vendor, _, rest = model.partition("/")
        vendor = {"google": "google", "anthropic": "anthropic", "openai": "openai"}.get(vendor)
        return vendor is not None and sees_images(vendor, rest, None)
    if provider == "anthropic":
        return model.startswith("claude") and not model.startswith(("claude-2", "claude-instant"))
    if provider == "google":
        return model.startswith("gemini")
    if provider == "openai":
        return model.startswith(_OPENAI_VISION) and "audio" not in model
    return False
