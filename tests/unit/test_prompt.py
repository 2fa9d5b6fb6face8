"""Prompt assembly: a system prompt that stays byte-identical, per-turn facts in the last turn."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from tzurot.commands.history import HistoryMessage
from tzurot.commands.prompt import ReferencedMessage, build_prompt, context_block, system_prompt
from tzurot.personalities.model import Birthday, CharacterSheet, Personality
from tzurot.providers.base import ChatMessage

LILITH = Personality(
    id=uuid.UUID(int=1),
    name="Lilith",
    slug="lilith",
    display_name="Lilith the Wise",
    system_prompt="  You are a character in a story. Stay in character.  ",
    character=CharacterSheet(
        character_info="An ancient librarian.",
        traits="curious, dry humour",
        tone=" ",
        likes="old books",
        conversational_examples="User: hi\nLilith: Well met.",
    ),
)
NOW = datetime(2026, 11, 26, 7, 43, tzinfo=UTC)


def test_system_prompt_is_prompt_then_character_sheet():
    assert system_prompt(LILITH) == (
        "You are a character in a story. Stay in character.\n\n"
        "## Character\n"
        "You are Lilith the Wise.\n\n"
        "Background:\nAn ancient librarian.\n\n"
        "Personality traits:\ncurious, dry humour\n\n"
        "Likes:\nold books\n\n"
        "Example conversations:\nUser: hi\nLilith: Well met."
    )


def test_system_prompt_is_byte_identical_between_turns():
    first = build_prompt(LILITH, [], "hi", now=NOW, timezone="UTC", speaker="alice")
    later = build_prompt(
        LILITH,
        [HistoryMessage("user", "hi", "alice"), HistoryMessage("assistant", "Well met.")],
        "how are you?",
        now=datetime(2027, 1, 1, 23, 59, tzinfo=UTC),
        timezone="Asia/Tokyo",
        speaker="bob",
    )
    assert first.system.encode() == later.system.encode()
    assert "2026" not in first.system and "alice" not in first.system


def test_last_user_turn_carries_the_local_date_time_and_speaker():
    prompt = build_prompt(LILITH, [], "hello!", now=NOW, timezone="Europe/Berlin", speaker="Alice")
    assert prompt.messages == [
        ChatMessage(
            "user",
            "<context>\n"
            "Speaking with: Alice\n"
            "Current date and time for them: Thursday, 26 November 2026, 08:43 (Europe/Berlin)\n"
            "</context>\n\n"
            "hello!",
        )
    ]


def test_history_replays_messages_in_order_and_starts_with_a_user_turn():
    history = [
        HistoryMessage("assistant", "(cut off answer)"),
        HistoryMessage("user", "first question", "alice"),
        HistoryMessage("assistant", "first answer"),
    ]
    prompt = build_prompt(LILITH, history, "second", now=NOW, timezone=None, speaker="alice")
    assert prompt.messages == [
        ChatMessage("user", "<context>\nSpeaking with: alice\n</context>\n\nfirst question"),
        ChatMessage("assistant", "first answer"),
        ChatMessage(
            "user",
            "<context>\n"
            "Speaking with: alice\n"
            "Current date and time for them: Thursday, 26 November 2026, 07:43 (UTC)\n"
            "</context>\n\n"
            "second",
        ),
    ]


def test_past_turns_of_two_users_carry_each_speakers_name():
    history = [
        HistoryMessage("user", "I'm Alice, hi!", "alice"),
        HistoryMessage("assistant", "Well met, Alice."),
        HistoryMessage("user", "And I'm Bob.", "bob"),
        HistoryMessage("assistant", "Welcome, Bob."),
    ]
    prompt = build_prompt(LILITH, history, "who am I?", now=NOW, timezone="UTC", speaker="alice")
    assert prompt.messages[:4] == [
        ChatMessage("user", "<context>\nSpeaking with: alice\n</context>\n\nI'm Alice, hi!"),
        ChatMessage("assistant", "Well met, Alice."),
        ChatMessage("user", "<context>\nSpeaking with: bob\n</context>\n\nAnd I'm Bob."),
        ChatMessage("assistant", "Welcome, Bob."),
    ]
    assert prompt.messages[4].content.startswith("<context>\nSpeaking with: alice\nCurrent date")
    # Who spoke earlier never reaches the system prompt.
    assert prompt.system == system_prompt(LILITH)


def test_a_past_turn_without_a_known_speaker_replays_as_written():
    """Imported rows, or a deleted user's (users row gone, user_id set to NULL)."""
    history = [HistoryMessage("user", "old question"), HistoryMessage("assistant", "old answer")]
    prompt = build_prompt(LILITH, history, "new", now=NOW, timezone="UTC", speaker="alice")
    assert prompt.messages[:2] == [
        ChatMessage("user", "old question"),
        ChatMessage("assistant", "old answer"),
    ]


def test_unknown_timezone_falls_back_to_utc():
    block = context_block(now=NOW, timezone="Mars/Olympus_Mons", speaker="x")
    assert "Thursday, 26 November 2026, 07:43 (UTC)" in block


def test_referenced_messages_are_listed_and_long_ones_truncated():
    block = context_block(
        now=NOW,
        timezone="UTC",
        speaker="alice",
        referenced=[
            ReferencedMessage("bob", "  look at this  ", "2026-11-26T07:00:00+00:00"),
            ReferencedMessage("carol", "x" * 2000),
        ],
    )
    lines = block.splitlines()
    assert lines[3] == "Messages they linked:"
    assert lines[4] == "[1] bob at 2026-11-26T07:00:00+00:00: look at this"
    assert lines[5] == "[2] carol: " + "x" * 1500 + "…"
    assert lines[6] == "</context>"


FULL = Personality(
    id=uuid.UUID(int=2),
    name="Nyx",
    slug="nyx",
    display_name="Nyx of the Night",
    system_prompt="Stay in character.",
    character=CharacterSheet(
        character_info="Goddess of the night.",
        traits="calm, ancient",
        tone="hushed",
        age="older than the stars",
        appearance="a veil of stars",
        likes="silence",
        dislikes="dawn",
        conversational_goals="comfort the sleepless",
        conversational_examples="User: hi\nNyx: Hush, child.",
    ),
    error_message="*the stars flicker*",
    birthday=Birthday(12, 24, 1990),
    aliases=("nox", "night"),
    custom_fields={
        "personality_history": "Born before the first dawn.",
        "greeting": "*a hush falls*",
        "keywords": ["x"],
    },
)


def test_fully_populated_personality_exact_prompt():
    """Every stored character field, in the documented order (docs/prompt.md); the error
    message is what users see when a reply fails, never part of the prompt."""
    prompt = build_prompt(FULL, [], "hi", now=NOW, timezone="Asia/Tokyo", speaker="Ann")
    assert prompt.system == (
        "Stay in character.\n\n"
        "## Character\n"
        "You are Nyx of the Night.\n\n"
        "Also called: nox, night\n\n"
        "Birthday:\n24 December 1990\n\n"
        "Background:\nGoddess of the night.\n\n"
        "History:\nBorn before the first dawn.\n\n"
        "Age:\nolder than the stars\n\n"
        "Appearance:\na veil of stars\n\n"
        "Personality traits:\ncalm, ancient\n\n"
        "Tone:\nhushed\n\n"
        "Likes:\nsilence\n\n"
        "Dislikes:\ndawn\n\n"
        "Conversational goals:\ncomfort the sleepless\n\n"
        "Example conversations:\nUser: hi\nNyx: Hush, child.\n\n"
        "Greeting (how you open a conversation):\n*a hush falls*"
    )
    assert prompt.messages == [
        ChatMessage(
            "user",
            "<context>\n"
            "Speaking with: Ann\n"
            "Current date and time for them: Thursday, 26 November 2026, 16:43 (Asia/Tokyo)\n"
            "Nyx of the Night's age today: 35\n"
            "</context>\n\n"
            "hi",
        )
    ]


def test_birthday_is_in_the_users_timezone_and_the_system_prompt_stays_the_same():
    eve = datetime(2026, 12, 23, 20, 0, tzinfo=UTC)  # 24 December in Tokyo, 23rd in London
    tokyo = build_prompt(FULL, [], "hi", now=eve, timezone="Asia/Tokyo", speaker="Ann")
    london = build_prompt(FULL, [], "hi", now=eve, timezone="Europe/London", speaker="Ann")
    assert "Nyx of the Night's age today: 36\nToday is Nyx of the Night's birthday.\n" in (
        tokyo.messages[-1].content
    )
    assert "Nyx of the Night's age today: 35\n</context>" in london.messages[-1].content
    assert "birthday." not in london.messages[-1].content
    assert tokyo.system.encode() == london.system.encode() == system_prompt(FULL).encode()


def test_birthday_without_a_year_and_on_leap_day():
    from datetime import date

    from tzurot.commands.birthday import birthday_facts

    assert birthday_facts(Birthday(12, 24), date(2026, 12, 24), "Nyx") == [
        "Today is Nyx's birthday."
    ]
    assert birthday_facts(Birthday(12, 24), date(2026, 12, 25), "Nyx") == []
    leap = Birthday(2, 29, 2000)
    assert birthday_facts(leap, date(2027, 2, 28), "Nyx") == [
        "Nyx's age today: 27",
        "Today is Nyx's birthday.",
    ]
    assert birthday_facts(leap, date(2028, 2, 28), "Nyx") == ["Nyx's age today: 27"]
    assert birthday_facts(leap, date(2028, 2, 29), "Nyx")[1] == "Today is Nyx's birthday."
    assert birthday_facts(Birthday(1, 1, 2030), date(2026, 1, 1), "Nyx") == [
        "Today is Nyx's birthday."
    ]
