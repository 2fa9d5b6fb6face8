"""A deterministic generator of shapes.inc personality exports that exercises every field.

Across the set every known field appears with a value, absent, as JSON null and (for text) as
an empty string; birthdays come as YYYY-MM-DD, MM-DD (including 02-29) or not at all; some
exports carry voice settings, some only some of them; unknown fields of every JSON type ride
along to land in custom_fields.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

MODELS = (
    "openai/gpt-4o-mini",
    "anthropic/claude-3.5-sonnet",
    "meta-llama/llama-3.1-405b-instruct",
    "google/gemini-flash-1.5",
    "mistralai/mistral-large",
)
CHARACTER_FIELDS = (
    "user_prompt",
    "personality_traits",
    "personality_tone",
    "personality_age",
    "personality_appearance",
    "personality_likes",
    "personality_dislikes",
    "personality_conversational_goals",
    "personality_conversational_examples",
    "personality_history",
)


def _maybe(rng: random.Random, index: int, value: Any) -> Any:
    """The value most of the time; every fifth export leaves it out, every seventh sends null."""
    if index % 5 == 4:
        return _ABSENT
    if index % 7 == 6:
        return None
    return value if rng.random() < 0.9 else _ABSENT


_ABSENT = object()


def export(index: int, seed: int = 1) -> dict[str, Any]:
    rng = random.Random(seed * 1000 + index)
    slug = f"shape-{index:03d}"
    name = f"Shape {index:03d}"
    data: dict[str, Any] = {
        "id": f"00000000-0000-4000-8000-{index:012d}",
        "name": name,
        "username": slug,
        # every ninth has no avatar (shapes.inc sends an empty string)
        "avatar": "" if index % 9 == 8 else f"https://files.shapes.inc/api/avatars/{slug}.png",
        "jailbreak": f"You are {name}. Stay in character.\nSeed {seed}.",
        "engine_model": MODELS[index % len(MODELS)],
    }
    for i, field in enumerate(CHARACTER_FIELDS):
        text = f"{field.replace('_', ' ')} of {name} (v{seed})"
        # Some exports send the empty string shapes.inc uses for an unset input.
        data[field] = "" if (index + i) % 11 == 10 else _maybe(rng, index + i, text)
    data.update(
        {
            "engine_temperature": _maybe(rng, index, round(rng.uniform(0, 2), 2)),
            "engine_top_p": _maybe(rng, index + 1, round(rng.uniform(0, 1), 3)),
            "engine_top_k": _maybe(rng, index + 2, rng.randint(0, 200)),
            "engine_frequency_penalty": _maybe(rng, index + 3, round(rng.uniform(-2, 2), 2)),
            "engine_presence_penalty": _maybe(rng, index + 4, round(rng.uniform(-2, 2), 2)),
            "engine_repetition_penalty": _maybe(rng, index + 5, round(rng.uniform(0.5, 2), 2)),
            "engine_min_p": _maybe(rng, index + 6, round(rng.uniform(0, 1), 2)),
            "engine_top_a": _maybe(rng, index + 7, round(rng.uniform(0, 1), 2)),
            "stm_window": _maybe(rng, index + 8, rng.randint(1, 100)),
            "ltm_enabled": _maybe(rng, index + 9, index % 2 == 0),
            "ltm_threshold": _maybe(rng, index + 10, round(rng.uniform(0, 1), 3)),
            "ltm_max_retrieved_summaries": _maybe(rng, index + 11, rng.randint(0, 20)),
            "error_message": _maybe(rng, index + 12, f"*{name} flickers* Something broke."),
        }
    )
    # Birthdays: a full date, a month and day only, the leap day without a year, or none.
    kind = index % 4
    if kind == 0:
        data["birthday"] = f"{1950 + index}-{index % 12 + 1:02d}-{index % 28 + 1:02d}"
    elif kind == 1:
        data["birthday"] = f"{index % 12 + 1:02d}-{index % 28 + 1:02d}"
    elif kind == 2 and index % 8 == 2:
        data["birthday"] = "02-29"
    # Aliases: none, an empty list, or up to three (unique across the whole set).
    count = index % 4
    if count:
        data["aliases"] = [f"{'Al' if i == 0 else 'al'}-{index:03d}-{i}" for i in range(count)]
    elif index % 8 == 4:
        data["aliases"] = []
    # Voice: all fields, only some of them, or none.
    if index % 3 == 0:
        data.update(
            {
                "voice_enabled": index % 2 == 0,
                "voice_id": f"voice{index:03d}",
                "voice_model": "eleven_multilingual_v2" if index % 6 == 0 else "eleven_turbo_v2_5",
                "voice_stability": round(rng.uniform(0, 1), 2),
                "voice_similarity": round(rng.uniform(0, 1), 2),
                "voice_style": round(rng.uniform(0, 1), 2),
                "voice_frequency": round(rng.uniform(0, 1), 2),
            }
        )
    elif index % 3 == 1 and index % 2 == 1:
        data.update({"voice_id": f"voice{index:03d}", "voice_stability": 0.35})
    # Fields the app has no place for: kept in custom_fields as they are.
    data.update(
        {
            "keywords": [f"kw{index}", "shapes"],
            "favorite_reacts": ["🔥", "✨"] if index % 2 else [],
            "search_description": f"{name}, a test shape",
            "wack_message": None if index % 5 == 0 else f"{name} resets.",
            "image_size": "1024x1024",
            "voice_transcription_enabled": index % 2 == 1,
            "shape_settings": {"shape_initial_message": f"Hello from {name}", "n": index},
        }
    )
    return {key: value for key, value in data.items() if value is not _ABSENT}


def exports(count: int = 66, seed: int = 1) -> list[dict[str, Any]]:
    return [export(index, seed) for index in range(count)]


def write(folder: Path, items: list[dict[str, Any]], array_from: int = 50) -> list[Path]:
    """One file per export up to `array_from`, then the rest as one JSON array file."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, item in enumerate(items[:array_from]):
        path = folder / f"{item.get('username', f'export-{index:03d}')}.json"
        path.write_text(json.dumps(item, ensure_ascii=False, indent=2), encoding="utf-8")
        paths.append(path)
    if items[array_from:]:
        path = folder / "batch.json"
        path.write_text(json.dumps(items[array_from:], ensure_ascii=False), encoding="utf-8")
        paths.append(path)
    return paths
