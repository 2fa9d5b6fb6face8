"""The provider-neutral shapes of a chat call and of an image generation, and the interfaces
every text provider and image provider implements.

Nothing here imports httpx: code that only needs the types (job payloads, command handlers) stays
light. Each provider module maps a `ChatRequest` to its own wire format.
"""

from __future__ import annotations

import base64
import binascii
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol


@dataclass(frozen=True)
class ImageInput:
    """An image the user showed the model: bytes already checked (tzurot.commands.images_in),
    sent inline (base64) because provider fetches of Discord URLs would need them public."""

    mime_type: str
    data: bytes = field(repr=False)

    @property
    def base64(self) -> str:
        return base64.b64encode(self.data).decode()

    @property
    def data_url(self) -> str:
        return f"data:{self.mime_type};base64,{self.base64}"


@dataclass(frozen=True)
class ChatMessage:
    role: Literal["user", "assistant"]
    content: str
    images: tuple[ImageInput, ...] = ()  # user messages only; never stored in history


@dataclass(frozen=True)
class ChatRequest:
    """One completion: universal parameters plus the provider's already-validated advanced dict.

    `advanced` uses the camelCase keys stored in `llm_configs.advanced_parameters` (see
    docs/providers.md for how each provider maps them); None means "provider default".
    """

    model: str
    system: str
    messages: list[ChatMessage]
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    advanced: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChatResult:
    """The answer text and billed token counts (output includes reasoning/thinking tokens,
    input includes cached tokens).

    `finish_reason` is normalized: "stop" (natural end or stop sequence), "length" (hit the
    token limit), otherwise the provider's own value in lower case.
    """

    text: str
    # As the provider reported them: a number, None, or a tuple of parts to add up. Made fit
    # for the ledger on creation (tzurot.usage.counts): never negative, never absurd, and
    # `counts_note` says when they were changed.
    tokens_in: int
    tokens_out: int
    model: str
    finish_reason: str | None
    # Parts of the totals above, where the provider reports them: output spent on hidden
    # reasoning/thinking, and input read from the provider's prompt cache.
    reasoning_tokens: int = 0
    cached_tokens: int = 0
    counts_note: str | None = None

    def __post_init__(self) -> None:
        from tzurot.usage.counts import clamp_total

        notes = []
        for name in ("tokens_in", "tokens_out"):
            value = getattr(self, name)
            value, note = clamp_total(*(value if isinstance(value, tuple) else (value,)))
            object.__setattr__(self, name, value)
            notes.append(note)
        if self.counts_note is None:
            object.__setattr__(self, "counts_note", notes[0] or notes[1])

    @property
    def tokens_total(self) -> int:
        return self.tokens_in + self.tokens_out


def read_paid(label: str, read: Callable[[], ChatResult]) -> ChatResult:
    """Read a provider's successful (so paid) answer; a shape the reader does not expect is
    UnreadableAnswer, never a bare KeyError or TypeError, so the caller still records the call.
    """
    from tzurot.providers.errors import ProviderError, UnreadableAnswer

    try:
        return read()
    except ProviderError:
        raise
    except Exception as exc:
        raise UnreadableAnswer(provider=label) from exc


class KeyValidator(Protocol):
    """Anything that can dry-run a key: text providers and voice (ElevenLabs)."""

    name: str

    def validate_key(self, api_key: str) -> None: ...


class TextProvider(ABC):
    """A chat-completion provider. Methods raise `tzurot.providers.errors.ProviderError` types."""

    name: ClassVar[str]

    @abstractmethod
    def chat(self, api_key: str, request: ChatRequest) -> ChatResult:
        """Run one completion and return its text and usage."""

    @abstractmethod
    def validate_key(self, api_key: str) -> None:
        """Make a cheap authenticated call; return if the key is usable, raise otherwise."""

    def chat_stream(
        self, api_key: str, request: ChatRequest, on_text: Callable[[str], None]
    ) -> ChatResult:
        """Like `chat`, calling `on_text(text so far)` as the answer arrives. Providers that
        stream override this (tzurot.providers.streaming); the default answers in one piece."""
        result = self.chat(api_key, request)
        if result.text:
            on_text(result.text)
        return result


# --- images ------------------------------------------------------------------------------------

# What the image MIME types providers return are called as files (Discord shows these inline).
IMAGE_EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "image/gif": "gif",
}


@dataclass(frozen=True)
class ImageRequest:
    """One generated image. `prompt` is final (a personality's promptPrefix already applied);
    `size` is WIDTHxHEIGHT, which each provider maps to what its model accepts (a size, or an
    aspect ratio). `advanced` holds the validated image_configs keys (camelCase) the provider
    sends; `negative_prompt` is only sent where the provider has a field for it (OpenRouter)."""

    model: str
    prompt: str
    size: str = "1024x1024"
    negative_prompt: str | None = None
    advanced: dict[str, Any] = field(default_factory=dict)

    @property
    def dimensions(self) -> tuple[int, int]:
        width, _, height = self.size.partition("x")
        return int(width), int(height)


@dataclass(frozen=True)
class ImageResult:
    """The decoded image bytes (never a URL: provider URLs expire) and what the provider said."""

    data: bytes = field(repr=False)
    mime_type: str
    model: str
    revised_prompt: str | None = None  # dall-e-3 rewrites prompts and says how

    @property
    def filename(self) -> str:
        return f"image.{IMAGE_EXTENSIONS.get(self.mime_type, 'png')}"


def closest_aspect_ratio(width: int, height: int, allowed: tuple[str, ...]) -> str:
    """The ratio in `allowed` ("W:H" strings) nearest to width/height, for providers that take
    an aspect ratio instead of pixels (1792x1024 -> "16:9")."""

    def value(ratio: str) -> float:
        w, _, h = ratio.partition(":")
        return float(w) / float(h)

    return min(allowed, key=lambda ratio: abs(value(ratio) - width / height))


def decode_base64(data: Any) -> bytes | None:
    """Strict base64 to bytes; None for anything else (a provider answer is not trusted)."""
    if not isinstance(data, str) or not data:
        return None
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None


def parse_data_url(url: Any) -> tuple[str, bytes] | None:
    """(mime type, bytes) of a `data:<mime>;base64,<data>` URL; None for any other URL."""
    if not isinstance(url, str) or not url.startswith("data:"):
        return None
    header, _, payload = url[5:].partition(",")
    mime, _, encoding = header.partition(";")
    if encoding != "base64":
        return None
    data = decode_base64(payload)
    return None if data is None else (mime or "image/png", data)


_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
)


def image_mime(data: bytes, reported: str | None = None) -> str:
    """The image's real type from its first bytes (providers' labels are sometimes generic),
    else what the provider reported, else PNG."""
    for magic, mime in _MAGIC:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return reported if reported in IMAGE_EXTENSIONS else "image/png"


class ImageProvider(ABC):
    """An image-generation provider. Methods raise `tzurot.providers.errors.ProviderError` types
    (the same classification as chat: an invalid key is InvalidKey whichever call found it)."""

    name: ClassVar[str]

    @abstractmethod
    def generate_image(self, api_key: str, request: ImageRequest) -> ImageResult:
        """Generate one image and return its bytes."""
