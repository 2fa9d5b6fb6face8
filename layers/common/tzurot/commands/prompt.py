"""The prompt of one chat turn: system prompt and character sheet, history, and the new message.

Provider prompt caches (OpenAI's automatic prefix cache, Anthropic's cache_control, Gemini's
implicit cache) only help while the start of the prompt stays byte-identical from one turn to the
next. So everything that changes per turn (the user's local date and time, who is speaking, the
messages they linked, the personality's age and whether today is its birthday) goes into a
context block at the start of the LAST user message, never into the system prompt. History
replays the users' messages as they were written behind a context block that names only their
speaker (several people may talk to one personality in a channel), without the date, time or
links of their own turns. The order of everything is in docs/prompt.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tzurot.commands.birthday import birthday_facts, birthday_text
from tzurot.commands.history import HistoryMessage
from tzurot.personalities.model import Personality
from tzurot.providers.base import ChatMessage, ImageInput

# Character sheet fields in prompt order, with their headings (docs/prompt.md). "history"
# (shapes.inc's personality_history) and "greeting" (/character create's) have no column of
# their own: they are kept in custom_fields.
_SHEET = (
    ("character_info", "Background"),
    ("history", "History"),
    ("age", "Age"),
    ("appearance", "Appearance"),
    ("traits", "Personality traits"),
    ("tone", "Tone"),
    ("likes", "Likes"),
    ("dislikes", "Dislikes"),
    ("conversational_goals", "Conversational goals"),
    ("conversational_examples", "Example conversations"),
    ("greeting", "Greeting (how you open a conversation)"),
)
_CUSTOM_FIELDS = {"history": "personality_history", "greeting": "greeting"}
REFERENCE_MAX_CHARS = 1500  # per linked message, so one huge message cannot crowd out the rest


@dataclass(frozen=True)
class ReferencedMessage:
    """A Discord message the user linked, as fetched with the bot token."""

    author: str
    content: str
    timestamp: str | None = None  # ISO 8601, as Discord sends it


@dataclass(frozen=True)
class Prompt:
    system: str
    messages: list[ChatMessage]


def system_prompt(personality: Personality) -> str:
    """The system prompt: the personality's prompt text, then its character sheet. Depends on
    the personality only, so it is byte-identical between turns."""
    parts = []
    if personality.system_prompt and personality.system_prompt.strip():
        parts.append(personality.system_prompt.strip())
    sheet = [f"You are {personality.label}."]
    if personality.aliases:
        sheet.append("Also called: " + ", ".join(personality.aliases))
    if personality.birthday is not None:
        sheet.append(f"Birthday:\n{birthday_text(personality.birthday)}")
    for attribute, heading in _SHEET:
        value = _sheet_field(personality, attribute)
        if value and value.strip():
            sheet.append(f"{heading}:\n{value.strip()}")
    parts.append("## Character\n" + "\n\n".join(sheet))
    return "\n\n".join(parts)


def _sheet_field(personality: Personality, attribute: str) -> str | None:
    if attribute in _CUSTOM_FIELDS:
        value = personality.custom_fields.get(_CUSTOM_FIELDS[attribute])
        return value if isinstance(value, str) else None
    return getattr(personality.character, attribute)


def zone(name: str | None) -> ZoneInfo:
    """The user's IANA zone; UTC when unset or unknown (an old or mistyped value)."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def context_block(
    *,
    speaker: str,
    now: datetime | None = None,
    timezone: str | None = None,
    referenced: list[ReferencedMessage] = (),
    facts: list[str] = (),
    notes: list[str] = (),
) -> str:
    """The per-turn facts, in a tagged block the model can tell from the user's own words. A
    replayed turn passes only its speaker (no `now`): its own date and time are past. `facts`
    are more lines about the day (the personality's age, its birthday)."""
    lines = ["<context>", f"Speaking with: {speaker}"]
    if now is not None:
        tz = zone(timezone)
        local = now.astimezone(tz)
        lines.append(f"Current date and time for them: {local:%A, %d %B %Y, %H:%M} ({tz.key})")
    lines.extend(facts)
    if referenced:
        lines.append("Messages they linked:")
        for number, message in enumerate(referenced, start=1):
            content = message.content.strip()
            if len(content) > REFERENCE_MAX_CHARS:
                content = content[:REFERENCE_MAX_CHARS] + "…"
            when = f" at {message.timestamp}" if message.timestamp else ""
            lines.append(f"[{number}] {message.author}{when}: {content}")
    lines.extend(notes)  # images that are not shown, and why (tzurot.commands.images_in)
    lines.append("</context>")
    return "\n".join(lines)


def user_turn(block: str, message: str, images: tuple[ImageInput, ...] = ()) -> ChatMessage:
    """A user message behind its context block, with the images shown this turn."""
    return ChatMessage("user", f"{block}\n\n{message}", images=images)


def replayed(turn: HistoryMessage) -> ChatMessage:
    """A history message as the prompt replays it: a user message behind a block naming its
    speaker (when known), an answer as it was."""
    if turn.role == "user" and turn.speaker:
        return user_turn(context_block(speaker=turn.speaker), turn.content)
    return ChatMessage(turn.role, turn.content)


def build_prompt(
    personality: Personality,
    history: list[HistoryMessage],
    message: str,
    *,
    now: datetime,
    timezone: str | None,
    speaker: str,
    referenced: list[ReferencedMessage] = (),
    recalled: str = "",
    images: list[ImageInput] = (),
    notes: list[str] = (),
) -> Prompt:
    """System prompt, the replayed history (starting at a user message, as Anthropic requires
    and every provider accepts), and the new message behind its context block. `recalled` is
    the long-term memory block (tzurot.memory.recall), which changes per turn like the context,
    so it goes before the context block in the last user message."""
    turns = list(history)
    while turns and turns[0].role != "user":
        turns.pop(0)  # a window cut between a question and its answer
    messages = [replayed(turn) for turn in turns]
    today = now.astimezone(zone(timezone)).date()
    block = context_block(
        speaker=speaker,
        now=now,
        timezone=timezone,
        referenced=referenced,
        facts=birthday_facts(personality.birthday, today, personality.label),
        notes=notes,
    )
    if recalled:
        block = f"{recalled}\n{block}"
    messages.append(user_turn(block, message, tuple(images)))
    return Prompt(system=system_prompt(personality), messages=messages)
