"""A personality as the application sees it: one object with everything a reply needs.

Plain frozen dataclasses (no pydantic: the interactions Lambda imports this on its cold path).
Numeric database columns arrive as Decimal so values round-trip exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

# A slug is what the `personality` options of the slash commands submit, and those options
# cap their value at 80 characters (the /config edit-advanced form carries it in a custom_id,
# which Discord limits to 100 with our prefix). The importer refuses longer slugs.
SLUG_MAX_LENGTH = 80


@dataclass(frozen=True)
class Birthday:
    """A birthday whose year may be unknown (shapes.inc allows `MM-DD`)."""

    month: int
    day: int
    year: int | None = None

    @property
    def date(self) -> date | None:
        return date(self.year, self.month, self.day) if self.year is not None else None

    def __str__(self) -> str:
        prefix = f"{self.year:04d}-" if self.year is not None else ""
        return f"{prefix}{self.month:02d}-{self.day:02d}"


@dataclass(frozen=True)
class CharacterSheet:
    """The descriptive fields a prompt is built from (all optional free text)."""

    character_info: str | None = None
    traits: str | None = None
    tone: str | None = None
    age: str | None = None
    appearance: str | None = None
    likes: str | None = None
    dislikes: str | None = None
    conversational_goals: str | None = None
    conversational_examples: str | None = None


@dataclass(frozen=True)
class VoiceConfig:
    """ElevenLabs settings (voice_configs); every ratio is in [0, 1]."""

    enabled: bool
    voice_id: str | None
    model: str
    stability: Decimal
    similarity: Decimal
    style: Decimal
    frequency: Decimal


@dataclass(frozen=True)
class ImageConfig:
    provider: str
    model: str
    enabled: bool
    default_size: str
    advanced_parameters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LlmConfig:
    """The personality's default LLM config (llm_configs, linked via personality_default_configs).

    Configs are named and may be shared by several personalities.
    """

    id: UUID
    name: str
    provider: str
    model: str
    vision_model: str | None = None
    temperature: Decimal | None = None
    top_p: Decimal | None = None
    max_tokens: int | None = None
    memory_score_threshold: Decimal | None = None
    memory_limit: int | None = None
    max_conversation_history: int = 50
    max_referenced_messages: int = 10
    context_window_tokens: int = 131072
    advanced_parameters: dict[str, Any] = field(default_factory=dict)
    # True when the personality has no config of its own and this is its owner's /config
    # defaults (a user character): nothing to update or delete along with the personality.
    inherited: bool = False


@dataclass(frozen=True)
class LongTermMemory:
    """shapes.inc's ltm settings (personalities columns, migration 0009); None: not set, the
    app's default applies (tzurot.memory.settings)."""

    enabled: bool | None = None
    threshold: Decimal | None = None
    max_retrieved: int | None = None


@dataclass(frozen=True)
class Personality:
    id: UUID
    name: str
    slug: str
    display_name: str | None = None
    avatar_url: str | None = None
    system_prompt: str | None = None
    system_prompt_name: str | None = None
    character: CharacterSheet = field(default_factory=CharacterSheet)
    error_message: str | None = None
    birthday: Birthday | None = None
    aliases: tuple[str, ...] = ()
    custom_fields: dict[str, Any] = field(default_factory=dict)
    voice: VoiceConfig | None = None
    image: ImageConfig | None = None
    llm: LlmConfig | None = None
    # A user's own character (/character) has an owner; imported personalities have none.
    owner_id: UUID | None = None
    owner_discord_id: str | None = None
    owner_name: str | None = None
    visibility: str = "public"  # or "private": only its owner may use it
    ltm: LongTermMemory = field(default_factory=LongTermMemory)
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def label(self) -> str:
        """What to call it in messages: the display name, else the name."""
        return self.display_name or self.name

    @property
    def is_private(self) -> bool:
        return self.visibility == "private"

    @property
    def voice_enabled(self) -> bool:
        return self.voice is not None and self.voice.enabled

    @property
    def image_enabled(self) -> bool:
        return self.image is not None and self.image.enabled
