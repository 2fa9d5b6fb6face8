"""shapes.inc validation and field mapping without a database; the import-light contract."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tzurot.personalities.errors import ExportInvalid, PersonalityNotFound
from tzurot.personalities.importer import (
    DEFAULT,
    MEMORY_COLUMNS,
    custom_fields,
    llm_columns,
    personality_columns,
    voice_columns,
)
from tzurot.personalities.model import Birthday
from tzurot.personalities.shapes import parse_birthday, read_file, validate

MINIMAL = {
    "name": "Nyx",
    "username": "nyx",
    "jailbreak": "You are Nyx.",
    "engine_model": "openai/gpt-4o-mini",
}


def test_minimal_export_maps_to_defaults():
    export = validate(MINIMAL, "nyx.json")
    assert custom_fields(export) == {}
    assert export.advanced_parameters() == {}
    assert voice_columns(export) is None
    assert llm_columns(export) == {
        "name": "nyx",
        "description": "LLM config of Nyx (imported from shapes.inc)",
        "provider": "openrouter",
        "model": "openai/gpt-4o-mini",
        "temperature": None,
        "top_p": None,
        "memory_score_threshold": None,
        "memory_limit": None,
        "max_conversation_history": DEFAULT,
    }


def test_fields_map_to_their_places():
    export = validate(
        {
            **MINIMAL,
            "id": "abc",
            "engine_top_k": 40,
            "engine_frequency_penalty": -0.5,
            "engine_presence_penalty": 0.25,
            "engine_repetition_penalty": 1.1,
            "engine_min_p": 0.05,
            "engine_top_a": 0.0,
            "ltm_enabled": False,
            "personality_history": "Born at dusk.",
            "user_prompt": "  ",  # blank: unset
            "voice_stability": 0.3,
            "shape_settings": {"shape_initial_message": "hi"},
            "wack_message": None,
        },
        "nyx.json",
    )
    assert export.advanced_parameters() == {
        "topK": 40,
        "frequencyPenalty": -0.5,
        "presencePenalty": 0.25,
        "repetitionPenalty": 1.1,
        "minP": 0.05,
        "topA": 0.0,
    }
    assert custom_fields(export) == {
        "shapes_id": "abc",
        "personality_history": "Born at dusk.",
        "shape_settings": {"shape_initial_message": "hi"},
        "wack_message": None,
    }
    assert export.user_prompt is None
    columns = personality_columns(export, system_prompt_id=None)
    assert [columns[c] for c in MEMORY_COLUMNS] == [False, None, None]  # migration 0009
    assert voice_columns(export) == {
        "enabled": DEFAULT,
        "voice_id": DEFAULT,
        "voice_model": DEFAULT,
        "stability": 0.3,
        "similarity": DEFAULT,
        "style": DEFAULT,
        "frequency": DEFAULT,
    }


def test_integral_float_counts_as_whole_number():
    export = validate({**MINIMAL, "stm_window": 20.0, "engine_top_k": 3}, "nyx.json")
    assert export.stm_window == 20 and isinstance(export.stm_window, int)
    assert isinstance(export.engine_top_k, int)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1990-12-24", Birthday(12, 24, 1990)),
        ("12-24", Birthday(12, 24)),
        ("02-29", Birthday(2, 29)),
        ("2000-02-29", Birthday(2, 29, 2000)),
    ],
)
def test_birthday_formats(text, expected):
    assert parse_birthday(text) == expected
    assert str(expected) == text


@pytest.mark.parametrize("text", ["1999-02-29", "02-30", "13-01", "1-2", "24/12", "", "12-24 "])
def test_bad_birthdays(text):
    with pytest.raises(ValueError):
        parse_birthday(text)


@given(st.dates(min_value=date(1, 1, 1)))
def test_birthday_round_trips(day):
    assert str(parse_birthday(day.isoformat())) == day.isoformat()
    assert parse_birthday(day.isoformat()).date == day
    month_day = day.isoformat()[5:]
    assert str(parse_birthday(month_day)) == month_day


NOT_STORABLE = "contains a NUL character (\\u0000) or a lone surrogate, which cannot be stored"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "x.json: must be a JSON object (a shapes.inc personality)"),
        ({**MINIMAL, "engine_temperature": float("nan")},
         "x.json: engine_temperature: must be a number between 0 and 2"),
        ({**MINIMAL, "engine_top_k": -1},
         "x.json: engine_top_k: must be a whole number between 0 and 2147483647"),
        ({**MINIMAL, "ltm_max_retrieved_summaries": 2**31},
         "x.json: ltm_max_retrieved_summaries: must be a whole number between 0 and 2147483647"),
        ({**MINIMAL, "name": None}, "x.json: name: is required"),
        ({**MINIMAL, "username": "x" * 81},
         "x.json: username: must be a slug without spaces, at most 80 characters"),
        ({**MINIMAL, "engine_model": "m" * 256},
         "x.json: engine_model: must be a string of at most 255 characters"),
        ({**MINIMAL, "voice_id": "v" * 101},
         "x.json: voice_id: must be a string of at most 100 characters"),
        # PostgreSQL text and jsonb cannot hold U+0000: refused before the database sees it
        ({**MINIMAL, "name": "Ny\x00x"},
         f"x.json: name: {NOT_STORABLE}"),
        ({**MINIMAL, "aliases": ["ok", "n\x00"]},
         f"x.json: aliases.1: {NOT_STORABLE}"),
        ({**MINIMAL, "extra": {"deep": ["\x00"]}},
         f"x.json: extra.deep.0: {NOT_STORABLE}"),
        ({**MINIMAL, "name": "Ny\ud800x"}, f"x.json: name: {NOT_STORABLE}"),
        ({**MINIMAL, "extra": {"k\udc80": 1}}, f"x.json: extra.k\ufffd: {NOT_STORABLE}"),
        ({**MINIMAL, "k\x00": 1},
         f"x.json: k\\u0000: {NOT_STORABLE}"),
    ],
)  # fmt: skip
def test_validation_messages(data, message):
    with pytest.raises(ExportInvalid) as caught:
        validate(data, "x.json")
    assert str(caught.value) == message


def test_read_file_accepts_a_byte_order_mark(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + b'{"name": "Nyx", "username": "nyx", "jailbreak": "j", '
                     b'"engine_model": "m"}')  # fmt: skip
    [item], problems = read_file(path)
    assert problems == []
    assert (item.source, item.export.username) == (str(path), "nyx")


def test_not_found_message_lists_suggestions():
    assert (
        str(PersonalityNotFound("x", ["A", "b"]))
        == 'no personality named "x" (did you mean "A", "b"?)'
    )


def test_repository_stays_import_light():
    # The interactions Lambda imports the repository for autocomplete on its cold-start clock.
    code = (
        "import sys, tzurot.personalities.repository; "
        "print(sorted(m for m in ('pydantic', 'httpx', 'boto3', 'tzurot.personalities.importer') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_importable_slugs_fit_every_personality_option():
    from tzurot.discord.definitions import command_payloads
    from tzurot.personalities.model import SLUG_MAX_LENGTH

    def options(items):
        for item in items:
            yield item
            yield from options(item.get("options", []))

    limits = {
        option["max_length"]
        for command in command_payloads()
        for option in options(command.get("options", []))
        if option.get("autocomplete") and option["name"] == "personality"
    }
    assert limits == {SLUG_MAX_LENGTH}
