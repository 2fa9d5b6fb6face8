"""AI provider clients over httpx (no SDKs): OpenAI, Anthropic, Google Gemini, OpenRouter, and
ElevenLabs key checks. Importing this package is light; httpx loads with the first provider.

    provider = get_text_provider("openai", settings)
    result = provider.chat(api_key, ChatRequest(model=..., system=..., messages=[...]))
    image = get_image_provider("openrouter", settings).generate_image(api_key, ImageRequest(...))
    validate_provider_key("elevenlabs", api_key, settings)

Failures raise the types in `tzurot.providers.errors`; see docs/providers.md.
"""

from tzurot.providers.base import (
    ChatMessage,
    ChatRequest,
    ChatResult,
    ImageProvider,
    ImageRequest,
    ImageResult,
    KeyValidator,
    TextProvider,
)
from tzurot.providers.registry import (
    IMAGE_PROVIDERS,
    KEY_PROVIDERS,
    TEXT_PROVIDERS,
    get_image_provider,
    get_key_validator,
    get_text_provider,
    validate_provider_key,
)

__all__ = [
    "IMAGE_PROVIDERS",
    "KEY_PROVIDERS",
    "TEXT_PROVIDERS",
    "ChatMessage",
    "ChatRequest",
    "ChatResult",
    "ImageProvider",
    "ImageRequest",
    "ImageResult",
    "KeyValidator",
    "TextProvider",
    "get_image_provider",
    "get_key_validator",
    "get_text_provider",
    "validate_provider_key",
]
