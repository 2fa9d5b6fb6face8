"""A deterministic legacy dataset (migration 0001's tables) and what migration 0002 must make of it.

`generate()` builds 66 personalities that between them exercise every legacy JSON shape in
DATA.md (aliases, errorMessage, birthdays, voice settings, extra custom_fields keys, NULLs), plus
users, system prompts and LLM configs shared by several personalities. The rows are plain Python
values (jsonb columns hold the parsed JSON; `JSON_NULL` stands for a JSON `null` as opposed to
SQL NULL), so two datasets compare equal and `LegacyDataset.load` inserts them with SQL. The
expectations are written from DATA.md, not from the migration's SQL.
"""

from __future__ import annotations

import json
import random
import string
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

SEED = 20_261_126
PERSONALITY_COUNT = 66
LEGACY_TABLES = (
    "users",
    "system_prompts",
    "personalities",
    "llm_configs",
    "personality_default_configs",
    "user_personality_configs",
)
JSONB_COLUMNS = {"custom_fields", "voice_settings", "image_settings"}
DEFAULT_VOICE_MODEL = "eleven_flash_v2_5"
# llm_configs wide column -> its advanced_parameters key after 0002 (DATA.md)
WIDE_LLM_COLUMNS = {
    "top_k": "topK",
    "frequency_penalty": "frequencyPenalty",
    "presence_penalty": "presencePenalty",
    "repetition_penalty": "repetitionPenalty",
}


class _JsonNull:
    """A JSON `null` stored in a jsonb column, as opposed to SQL NULL (None)."""

    _instance: _JsonNull | None = None

    def __new__(cls) -> _JsonNull:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "JSON_NULL"


JSON_NULL = _JsonNull()


@dataclass(frozen=True)
class Json:
    """A jsonb value as read back from the database: parsed, numbers as int or Decimal."""

    value: Any


def exact_json(value: Any) -> Any:
    """Parse the way a dump reads jsonb: floats become Decimals, so 0.07 compares exactly."""
    return json.loads(json.dumps(value), parse_float=Decimal)


@dataclass(frozen=True)
class VoiceExpectation:
    """The voice_configs row 0002 makes for a personality."""

    enabled: bool
    voice_id: str | None
    voice_model: str
    stability: Decimal
    similarity: Decimal
    style: Decimal
    frequency: Decimal


@dataclass(frozen=True)
class PersonalityExpectation:
    id: uuid.UUID
    name: str
    slug: str
    aliases: tuple[str, ...]
    error_message: str | None
    birthday: date | None
    birthday_month: int | None
    birthday_day: int | None
    # custom_fields after 0002: a Json, or None for SQL NULL
    custom_fields: Json | None
    voice: VoiceExpectation | None
    # labels of the legacy shapes this personality exercises (see ALL_SHAPES)
    shapes: frozenset[str]


@dataclass(frozen=True)
class LegacyDataset:
    rows: dict[str, list[dict[str, Any]]]
    personalities: tuple[PersonalityExpectation, ...]
    # llm_configs id -> advanced_parameters after 0002 (exact_json form)
    advanced_parameters: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)

    def personality(self, name: str) -> PersonalityExpectation:
        return next(p for p in self.personalities if p.name == name)

    def load(self, conn: psycopg.Connection) -> None:
        """Insert every row (the caller commits). The tables must be 0001's."""
        with conn.cursor() as cur:
            for table in LEGACY_TABLES:
                rows = self.rows[table]
                columns = list(rows[0])
                query = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                    sql.Identifier(table),
                    sql.SQL(", ").join(map(sql.Identifier, columns)),
                    sql.SQL(", ").join(sql.Placeholder() * len(columns)),
                )
                cur.executemany(query, [[_db_value(c, row[c]) for c in columns] for row in rows])


def _db_value(column: str, value: Any) -> Any:
    if column not in JSONB_COLUMNS or value is None:
        return value
    return Jsonb(None if value is JSON_NULL else value)


ALIAS_SHAPES = ("absent", "empty", "one", "many", "mixed-case", "unicode", "null", "own-slug")
ERROR_SHAPES = ("present", "absent", "empty", "null")
BIRTHDAY_SHAPES = ("full", "month-day", "02-29", "leap-full", "absent", "null")
EXTRA_SHAPES = ("none", "nested", "arrays", "numbers", "unicode")
VOICE_SHAPES = ("off-none", "on-full", "off-full", "on-none")
AVATAR_SHAPES = ("bytes", "null", "empty")
ALL_SHAPES = frozenset(
    [f"aliases:{s}" for s in ALIAS_SHAPES]
    + [f"error:{s}" for s in ERROR_SHAPES]
    + [f"birthday:{s}" for s in BIRTHDAY_SHAPES]
    + [f"extra:{s}" for s in EXTRA_SHAPES]
    + [f"voice:{s}" for s in VOICE_SHAPES]
    + [f"avatar:{s}" for s in AVATAR_SHAPES]
    + ["custom:sql-null", "custom:json-null", "custom:array", "custom:object"]
    + ["custom:emptied"]  # an object holding only keys that move: {} after 0002
)

_NAMES = (
    ("Lilith", "lilith"),
    ("Bambi Prime", "bambi-prime"),
    ("Zoë", "zoe"),
    ("Ærin the Bold", "aerin"),
    ("北风", "beifeng"),
    ("Doctor Quill", "dr-quill"),
    ("Mx. Nightjar", "nightjar"),
    ("Señor Gato", "senor-gato"),
    ("Ада", "ada"),
    ("Captain O'Hare", "ohare"),
    ("Tilde~", "tilde"),
)
_ALIAS_WORDS = ("lil", "star", "boss", "bun", "moth", "echo", "pip", "nova", "rook", "wisp")
_MODELS = (
    "openai/gpt-4o-mini",
    "anthropic/claude-3.5-sonnet",
    "google/gemini-2.0-flash-001",
    "meta-llama/llama-3.3-70b-instruct",
)
_VOICE_MODELS = ("eleven_multilingual_v2", "eleven_flash_v2_5", "eleven_turbo_v2_5")
_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


class _Generator:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def moment(self) -> datetime:
        return _EPOCH + timedelta(seconds=self.rng.randrange(0, 60 * 60 * 24 * 600))

    def text(self, low: int = 5, high: int = 40) -> str:
        pool = string.ascii_letters + string.digits + " .,!?'\"\n" + "éßø✨—“”🦊"
        return "".join(self.rng.choice(pool) for _ in range(self.rng.randint(low, high)))

    def maybe(self, value: Any, chance: float = 0.75) -> Any:
        return value if self.rng.random() < chance else None

    def hundredths(self, low: int, high: int) -> Decimal:
        """A numeric(3,2) value between low/100 and high/100."""
        return Decimal(self.rng.randint(low, high)) / 100

    # -- tables ----------------------------------------------------------------------------------

    def users(self, count: int) -> list[dict[str, Any]]:
        # snowflakes: distinct by construction (a random part after a running number)
        ids = [(n + 1) * 10**17 + self.rng.randrange(10**17) for n in range(count)]
        names = ("alice", "böb", None, "carol_99", "داود", "eve")
        rows = []
        for n, discord_id in enumerate(ids):
            created = self.moment()
            rows.append(
                {
                    "id": self.uuid(),
                    "discord_id": str(discord_id),
                    "username": names[n % len(names)],
                    "created_at": created,
                    "updated_at": created + timedelta(days=n),
                }
            )
        return rows

    def system_prompts(self, count: int) -> list[dict[str, Any]]:
        rows = []
        for n in range(count):
            created = self.moment()
            rows.append(
                {
                    "id": self.uuid(),
                    "name": f"prompt-{n}",
                    "description": self.maybe(self.text()),
                    "content": self.text(20, 200),
                    "is_default": n == 0,
                    "created_at": created,
                    "updated_at": created,
                }
            )
        return rows

    def llm_configs(self, users: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One config per null/non-null combination of the four wide columns (16)."""
        rows = []
        for mask in range(16):
            owner = None if mask % 3 == 0 else self.rng.choice(users)["id"]
            created = self.moment()
            penalty = self.hundredths
            rows.append(
                {
                    "id": self.uuid(),
                    "name": f"config-{mask:02d}",
                    "description": self.maybe(self.text()),
                    "owner_id": owner,
                    "is_global": owner is None,
                    "is_default": mask == 0,
                    "model": self.rng.choice(_MODELS),
                    "vision_model": self.maybe("openai/gpt-4o"),
                    "temperature": self.maybe(self.hundredths(0, 200)),
                    "top_p": self.maybe(self.hundredths(0, 100)),
                    # zero is a value, not an absence: mask 15 carries zeros that must move
                    "top_k": (0 if mask == 15 else self.rng.randint(1, 200)) if mask & 1 else None,
                    "frequency_penalty": (
                        (Decimal("0.00") if mask == 15 else penalty(-200, 200))
                        if mask & 2
                        else None
                    ),
                    "presence_penalty": penalty(-200, 200) if mask & 4 else None,
                    "repetition_penalty": penalty(0, 200) if mask & 8 else None,
                    "max_tokens": self.maybe(self.rng.randint(1, 32_000)),
                    "memory_score_threshold": self.maybe(self.hundredths(0, 100)),
                    "memory_limit": self.maybe(self.rng.randint(0, 50)),
                    "context_window_tokens": self.rng.choice([8192, 131_072, 200_000]),
                    "created_at": created,
                    "updated_at": created,
                }
            )
        return rows

    def voice_number(self) -> int | float:
        # legacy JSON writes whole numbers as 0 / 1 and fractions with up to two decimals
        return self.rng.choice([0, 1, 0.5, round(self.rng.random(), 2)])

    def personality(
        self, index: int, object_index: int | None, prompts: list[dict[str, Any]]
    ) -> tuple[dict[str, Any], PersonalityExpectation]:
        base_name, base_slug = _NAMES[index % len(_NAMES)]
        name, slug = f"{base_name} {index}", f"{base_slug}-{index}"
        shapes: set[str] = set()

        custom, expected_custom, moved = self.custom_fields(index, object_index, slug, shapes)
        voice_enabled, voice_settings, voice = self.voice(index, shapes)
        avatar_shape = AVATAR_SHAPES[index % len(AVATAR_SHAPES)]
        shapes.add(f"avatar:{avatar_shape}")
        avatar = {"bytes": self.rng.randbytes(self.rng.randint(1, 64)), "null": None, "empty": b""}

        created = self.moment()
        row = {
            "id": self.uuid(),
            "name": name,
            "display_name": self.maybe(base_name),
            "slug": slug,
            "system_prompt_id": self.maybe(self.rng.choice(prompts)["id"]),
            "character_info": self.maybe(self.text(20, 120)),
            "personality_traits": self.maybe(self.text()),
            "personality_tone": self.maybe(self.text()),
            "personality_age": self.maybe(str(self.rng.randint(18, 900))),
            "personality_appearance": self.maybe(self.text()),
            "personality_likes": self.maybe(self.text()),
            "personality_dislikes": self.maybe(self.text()),
            "conversational_goals": self.maybe(self.text()),
            "conversational_examples": self.maybe(self.text(40, 160)),
            "custom_fields": custom,
            "voice_enabled": voice_enabled,
            "voice_settings": voice_settings,
            "image_enabled": index % 5 == 0,
            "image_settings": (
                {"size": "1024x1024", "style": ["vivid", 2]} if index % 5 == 0 else None
            ),
            "avatar_data": avatar[avatar_shape],
            "created_at": created,
            "updated_at": created + timedelta(hours=index),
        }
        expectation = PersonalityExpectation(
            id=row["id"],
            name=name,
            slug=slug,
            aliases=moved["aliases"],
            error_message=moved["error_message"],
            birthday=moved["birthday"],
            birthday_month=moved["birthday_month"],
            birthday_day=moved["birthday_day"],
            custom_fields=expected_custom,
            voice=voice,
            shapes=frozenset(shapes),
        )
        return row, expectation

    def custom_fields(
        self, index: int, object_index: int | None, slug: str, shapes: set[str]
    ) -> tuple[Any, Json | None, dict[str, Any]]:
        """The legacy custom_fields, what is left of it after 0002, and what moves out."""
        moved: dict[str, Any] = {
            "aliases": (),
            "error_message": None,
            "birthday": None,
            "birthday_month": None,
            "birthday_day": None,
        }
        if object_index is None:
            if index % 11 == 3:
                shapes.add("custom:sql-null")
                return None, None, moved
            if index % 11 == 7:
                shapes.add("custom:json-null")
                return JSON_NULL, Json(None), moved
            # not an object at all: nothing moves, nothing may be lost (not even the "")
            shapes.add("custom:array")
            value = ["", "aliases", {"birthday": "12-24"}]
            return value, Json(exact_json(value)), moved

        shapes.add("custom:object")
        k = object_index
        extra = self.extra_fields(EXTRA_SHAPES[k % len(EXTRA_SHAPES)], shapes)
        legacy: dict[str, Any] = dict(extra)
        remaining: dict[str, Any] = dict(extra)

        alias_shape = ALIAS_SHAPES[k % len(ALIAS_SHAPES)]
        shapes.add(f"aliases:{alias_shape}")
        aliases = self.aliases(alias_shape, index, slug)
        if alias_shape == "empty":
            # an empty list has nothing to move; it stays so that a rollback gives it back
            legacy["aliases"] = remaining["aliases"] = []
        elif alias_shape == "null":
            legacy["aliases"] = remaining["aliases"] = None
        elif aliases:
            legacy["aliases"] = list(aliases)
            moved["aliases"] = aliases

        error_shape = ERROR_SHAPES[k % len(ERROR_SHAPES)]
        shapes.add(f"error:{error_shape}")
        if error_shape == "present":
            message = f'*{slug} sighs* Something went wrong… "try again" ✨\n(code {index})'
            legacy["errorMessage"] = moved["error_message"] = message
        elif error_shape == "empty":
            legacy["errorMessage"] = moved["error_message"] = ""
        elif error_shape == "null":
            legacy["errorMessage"] = remaining["errorMessage"] = None

        birthday_shape = BIRTHDAY_SHAPES[k % len(BIRTHDAY_SHAPES)]
        shapes.add(f"birthday:{birthday_shape}")
        if birthday_shape in ("full", "leap-full"):
            if birthday_shape == "full":
                day = date(1900, 1, 1) + timedelta(days=self.rng.randrange(0, 110 * 365))
            else:
                day = date(self.rng.choice([1904, 1992, 2000, 2024]), 2, 29)
            legacy["birthday"] = day.isoformat()
            moved.update(birthday=day, birthday_month=day.month, birthday_day=day.day)
        elif birthday_shape in ("month-day", "02-29"):
            if birthday_shape == "02-29":
                month, day_of_month = 2, 29
            else:
                some_day = date(2001, 1, 1) + timedelta(days=self.rng.randrange(0, 365))
                month, day_of_month = some_day.month, some_day.day
            legacy["birthday"] = f"{month:02d}-{day_of_month:02d}"
            moved.update(birthday_month=month, birthday_day=day_of_month)
        elif birthday_shape == "null":
            legacy["birthday"] = remaining["birthday"] = None

        if legacy and not remaining:
            shapes.add("custom:emptied")
        return legacy, Json(exact_json(remaining)), moved

    def aliases(self, shape: str, index: int, slug: str) -> tuple[str, ...]:
        words = self.rng.sample(_ALIAS_WORDS, 4)
        if shape == "one":
            return (f"{words[0]}-{index}",)
        if shape == "many":
            return tuple(f"{w}-{index}-{n}" for n, w in enumerate(words[: self.rng.randint(2, 4)]))
        if shape == "mixed-case":
            return (f"LiL-{words[0].upper()}-{index}", f"{words[1].title()}{index}")
        if shape == "unicode":
            return (f"ñoña-{index}", f"星-{index}", f"Ünï {words[0]} {index}")
        if shape == "own-slug":
            # a personality may be called by its own slug in another case
            return (slug.upper(), f"{words[0]}{index}")
        return ()

    def extra_fields(self, shape: str, shapes: set[str]) -> dict[str, Any]:
        shapes.add(f"extra:{shape}")
        if shape == "nested":
            return {
                "traits": {"mood": "calm", "levels": {"a": 1, "b": [1, 2, {"c": None}]}},
                # only top-level keys move
                "meta": {"errorMessage": "nested stays", "aliases": ["nested"]},
            }
        if shape == "arrays":
            return {"tags": ["x", 1, None, True, {"k": "v"}], "empty": [], "matrix": [[1, 2], []]}
        if shape == "numbers":
            return {
                "score": self.rng.randint(-(10**12), 10**12),
                "ratio": 0.07,
                "negative": -3.5,
                "huge": 12345678901234567890,
                "zero": 0,
                "flag": False,
            }
        if shape == "unicode":
            return {
                "note": "Ünïcødé ✨ 北风 — “quotes” \\ backslash\ttab",
                "emoji": "🦊🌙",
                "ключ": "значение",
                # keys that look like the moved ones but are not them
                "Aliases": ["not", "moved"],
                "birthday_note": "1990-12-24",
            }
        return {}

    def voice(
        self, index: int, shapes: set[str]
    ) -> tuple[bool, dict[str, Any] | None, VoiceExpectation | None]:
        shape = VOICE_SHAPES[index % len(VOICE_SHAPES)]
        shapes.add(f"voice:{shape}")
        enabled = shape.startswith("on-")
        if shape.endswith("-none"):
            if not enabled:
                return False, None, None
            # switched on, no voice chosen: a row with the defaults and no voice id
            defaults = VoiceExpectation(
                True,
                None,
                DEFAULT_VOICE_MODEL,
                Decimal("0.50"),
                Decimal("0.75"),
                Decimal("0.00"),
                Decimal("0.00"),
            )
            return True, None, defaults
        settings = {
            "voiceId": "".join(self.rng.choices(string.ascii_letters + string.digits, k=20)),
            "model": self.rng.choice(_VOICE_MODELS),
            "stability": self.voice_number(),
            "similarity": self.voice_number(),
            "style": self.voice_number(),
            "frequency": self.voice_number(),
        }
        expected = VoiceExpectation(
            enabled,
            settings["voiceId"],
            settings["model"],
            *(
                Decimal(str(settings[k])).quantize(Decimal("0.01"))
                for k in ("stability", "similarity", "style", "frequency")
            ),
        )
        return enabled, settings, expected


def generate(seed: int = SEED) -> LegacyDataset:
    gen = _Generator(seed)
    users = gen.users(12)
    prompts = gen.system_prompts(4)
    configs = gen.llm_configs(users)

    personalities, expectations = [], []
    object_index = 0
    for index in range(PERSONALITY_COUNT):
        is_object = index % 11 not in (3, 7) and index != PERSONALITY_COUNT - 2
        row, expected = gen.personality(index, object_index if is_object else None, prompts)
        object_index += is_object
        personalities.append(row)
        expectations.append(expected)

    # Configs are shared: 16 configs for about three quarters of 66 personalities.
    defaults = [
        {
            "personality_id": p["id"],
            "llm_config_id": gen.rng.choice(configs)["id"],
            "updated_at": gen.moment(),
        }
        for p in personalities
        if gen.rng.random() < 0.75
    ]
    pairs = gen.rng.sample([(u["id"], p["id"]) for u in users for p in personalities], 30)
    overrides = []
    for user_id, personality_id in pairs:
        created = gen.moment()
        overrides.append(
            {
                "id": gen.uuid(),
                "user_id": user_id,
                "personality_id": personality_id,
                "llm_config_id": gen.rng.choice(configs)["id"],
                "created_at": created,
                "updated_at": created,
            }
        )

    advanced = {
        c["id"]: exact_json(
            {
                key: _json_number(c[col])
                for col, key in WIDE_LLM_COLUMNS.items()
                if c[col] is not None
            }
        )
        for c in configs
    }
    return LegacyDataset(
        rows={
            "users": users,
            "system_prompts": prompts,
            "personalities": personalities,
            "llm_configs": configs,
            "personality_default_configs": defaults,
            "user_personality_configs": overrides,
        },
        personalities=tuple(expectations),
        advanced_parameters=advanced,
    )


def _json_number(value: int | Decimal) -> int | float:
    return value if isinstance(value, int) else float(value)
