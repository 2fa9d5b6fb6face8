"""The provider-neutral shapes of a chat call and the interface every text provider implements.

Nothing here imports httpx: code that only needs the types (job payloads, command handlers) stays
light. Each provider module maps a `ChatRequest` to its own wire format.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol


@dataclass(frozen=True)
class ChatMessage:
    role: Literal["user", "assistant"]
    content: str


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
    """The answer text and billed token counts (output includes reasoning/thinking tokens).

    `finish_reason` is normalized: "stop" (natural end or stop sequence), "length" (hit the
    token limit), otherwise the provider's own value in lower case.
    """

    text: str
    tokens_in: int
    tokens_out: int
    model: str
    finish_reason: str | None

    @property
    def tokens_total(self) -> int:
        return self.tokens_in + self.tokens_out


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
