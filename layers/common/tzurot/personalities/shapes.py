"""Reading and validating shapes.inc personality exports (DATA.md, "shapes.inc export").

A file holds one JSON object or an array of them, as the shapes.inc API returned them. Each is
validated with pydantic; a problem is reported as `SOURCE: FIELD: what is wrong`, where SOURCE
is the file (`lilith.json`, or `all.json[3]` for an entry of an array file).

Blank strings in optional text fields count as unset (shapes.inc exports them for empty
inputs), and so does JSON null in any known field. Unknown fields are kept as they are.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError
from pydantic_core import PydanticCustomError

from tzurot.personalities.errors import ExportInvalid, raise_all
from tzurot.personalities.model import SLUG_MAX_LENGTH, Birthday
from tzurot.personalities.repository import ALIAS_MAX_LENGTH
from tzurot.storable import storable

_SLUG = re.compile(r"^\S+$")
_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)
_FULL_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")


def _fail(kind: str, message: str):
    raise PydanticCustomError(kind, message)


def _is_number(value: Any) -> bool:
    # JSON true/false are not numbers, even though Python's bool is an int.
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number(low: float, high: float, *, above_low: bool = False):
    """A JSON number in [low, high] (or (low, high] when `above_low`), kept as int or float."""
    interval = f"above {low} and at most {high}" if above_low else f"between {low} and {high}"

    def check(value: Any) -> Any:
        if value is None:
            return None
        if (
            not _is_number(value)
            or not math.isfinite(value)
            or not low <= value <= high
            or (above_low and value == low)
        ):
            _fail("number", f"must be a number {interval}")
        return value

    return Annotated[int | float | None, BeforeValidator(check)]


def _whole(low: int, high: int | None = None):
    interval = f"between {low} and {high}" if high is not None else f"of at least {low}"

    def check(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            _fail("whole", f"must be a whole number {interval}")
        if value < low or (high is not None and value > high):
            _fail("whole", f"must be a whole number {interval}")
        return value

    return Annotated[int | None, BeforeValidator(check)]


def _text(max_length: int | None = None, *, required: bool = False):
    limit = f" of at most {max_length} characters" if max_length else ""

    def check(value: Any) -> Any:
        if value is None:
            if required:
                _fail("missing", "is required")
            return None
        if not isinstance(value, str):
            _fail("text", f"must be a string{limit}")
        if not value.strip():
            if required:
                _fail("text", "must not be empty")
            return None
        if max_length is not None and len(value) > max_length:
            _fail("text", f"must be a string{limit}")
        return value

    return Annotated[str | None, BeforeValidator(check)]


def _flag(value: Any) -> Any:
    if value is not None and not isinstance(value, bool):
        _fail("flag", "must be true or false")
    return value


def _slug(value: Any) -> Any:
    if value is None:
        _fail("missing", "is required")
    if not isinstance(value, str) or not _SLUG.match(value) or len(value) > SLUG_MAX_LENGTH:
        _fail("slug", f"must be a slug without spaces, at most {SLUG_MAX_LENGTH} characters")
    return value


def _url(value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or not _URL.match(value):
        _fail("url", "must be an http(s) URL")
    return value


def parse_birthday(value: str) -> Birthday:
    """`YYYY-MM-DD` or `MM-DD` (a valid calendar day; 02-29 is fine without a year)."""
    full = _FULL_DATE.match(value)
    short = _MONTH_DAY.match(value)
    try:
        if full:
            born = date(int(full[1]), int(full[2]), int(full[3]))
            return Birthday(born.month, born.day, born.year)
        if short:
            day = date(2000, int(short[1]), int(short[2]))  # 2000 is a leap year
            return Birthday(day.month, day.day)
    except ValueError:
        pass
    raise ValueError(value)


def _birthday(value: Any) -> Any:
    if value is None or isinstance(value, Birthday):
        return value
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            return parse_birthday(value.strip())
        except ValueError:
            pass
    _fail("birthday", f"must be a date as YYYY-MM-DD or MM-DD, got {json.dumps(value)}")


def _aliases(value: Any) -> Any:
    if value is None:
        return ()
    if not isinstance(value, list):
        _fail("aliases", "must be an array of strings")
    cleaned: list[str] = []
    seen: set[str] = set()
    for index, alias in enumerate(value):
        if not isinstance(alias, str) or not alias.strip() or len(alias.strip()) > ALIAS_MAX_LENGTH:
            _fail(
                "aliases",
                f"item {index} must be a non-empty string of at most {ALIAS_MAX_LENGTH} characters",
            )
        alias = alias.strip()
        if alias.lower() in seen:
            _fail("aliases", f'lists "{alias}" more than once')
        seen.add(alias.lower())
        cleaned.append(alias)
    return tuple(cleaned)


# Field types (named, since pydantic resolves annotations by name).
Text = _text()
Name = _text(255, required=True)
Identifier = _text(255)
Prompt = _text(required=True)
ModelSlug = _text(255, required=True)
VoiceId = _text(100)
VoiceModel = _text(50)
Slug = Annotated[str, BeforeValidator(_slug)]
Url = Annotated[str | None, BeforeValidator(_url)]
Flag = Annotated[bool | None, BeforeValidator(_flag)]
Temperature = _number(0, 2)
Ratio = _number(0, 1)  # ElevenLabs voice settings, memory threshold, top_p, min_p, top_a
Penalty = _number(-2, 2)
RepetitionPenalty = _number(0, 2, above_low=True)
Count = _whole(0, 2_147_483_647)  # a PostgreSQL integer (memory_limit); topK alike
HistoryLength = _whole(0, 500)  # llm_configs.max_conversation_history is checked to 0..500
BirthdayField = Annotated[Birthday | None, BeforeValidator(_birthday)]
Aliases = Annotated[tuple[str, ...], BeforeValidator(_aliases)]


def _object(value: Any) -> Any:
    if value is not None and not isinstance(value, dict):
        _fail("object", "must be a JSON object")
    return value


JsonObject = Annotated[dict[str, Any] | None, BeforeValidator(_object)]
ReferencedCount = _whole(0, 100)  # llm_configs.max_referenced_messages is checked to 0..100
TokenCount = _whole(1, 2_147_483_647)
ImageModel = _text(100, required=True)


class ImageFields(BaseModel):
    """An image config (image_configs); checked per provider by tzurot.params.validate."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    provider: str
    model: ImageModel
    enabled: bool = False
    default_size: str = "1024x1024"
    advanced_parameters: JsonObject = None


class TzurotFields(BaseModel):
    """What this system stores and shapes.inc has no field for, under the `tzurot` key of an
    export (`tzurot personality export` writes it; shapes.inc files have none). When present,
    the LLM config is the file's whole config: provider, and every advanced parameter."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    display_name: Identifier = None
    provider: str = "openrouter"
    vision_model: Identifier = None
    max_tokens: TokenCount = None
    max_referenced_messages: ReferencedCount = None
    context_window_tokens: TokenCount = None
    # every advanced parameter beyond the engine_* fields (camelCase, as stored)
    advanced_parameters: JsonObject = None
    image: ImageFields | None = None


class ShapesExport(BaseModel):
    """One shapes.inc personality; unknown fields land in `model_extra` (kept, not checked)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    # identity
    id: Identifier = None
    name: Name
    username: Slug
    avatar: Url = None
    # the system prompt
    jailbreak: Prompt
    # character sheet
    user_prompt: Text = None
    personality_traits: Text = None
    personality_tone: Text = None
    personality_age: Text = None
    personality_appearance: Text = None
    personality_likes: Text = None
    personality_dislikes: Text = None
    personality_conversational_goals: Text = None
    personality_conversational_examples: Text = None
    personality_history: Text = None
    # LLM settings (OpenRouter model slugs and parameter ranges)
    engine_model: ModelSlug
    engine_temperature: Temperature = None
    engine_top_p: Ratio = None
    engine_top_k: Count = None
    engine_frequency_penalty: Penalty = None
    engine_presence_penalty: Penalty = None
    engine_repetition_penalty: RepetitionPenalty = None
    engine_min_p: Ratio = None
    engine_top_a: Ratio = None
    # memory
    stm_window: HistoryLength = None
    ltm_enabled: Flag = None
    ltm_threshold: Ratio = None
    ltm_max_retrieved_summaries: Count = None
    # extras
    error_message: Text = None
    birthday: BirthdayField = None
    aliases: Aliases = ()
    # ElevenLabs voice
    voice_enabled: Flag = None
    voice_id: VoiceId = None
    voice_model: VoiceModel = None
    voice_stability: Ratio = None
    voice_similarity: Ratio = None
    voice_style: Ratio = None
    voice_frequency: Ratio = None
    # this system's own fields (absent from shapes.inc's files)
    tzurot: TzurotFields | None = None

    @property
    def extra_fields(self) -> dict[str, Any]:
        return dict(self.model_extra or {})

    def advanced_parameters(self) -> dict[str, Any]:
        """The LLM config's advanced parameters this export sets (engine_* and tzurot's)."""
        from tzurot.personalities.importer import ADVANCED_PARAMETERS

        found = {
            key: getattr(self, source)
            for source, key in ADVANCED_PARAMETERS.items()
            if getattr(self, source) is not None
        }
        if self.tzurot is not None:
            found.update(self.tzurot.advanced_parameters or {})
        return found


@dataclass(frozen=True)
class SourcedExport:
    """A validated export and where it came from (for messages)."""

    source: str
    export: ShapesExport


def _field_of(loc: tuple) -> str:
    return ".".join(str(part) for part in loc) if loc else "(object)"


def _nul_at(value: Any, path: str = "") -> str | None:
    """Where a string (or key) holds text PostgreSQL text and jsonb cannot store: U+0000 or a
    lone surrogate (tzurot.storable; JSON's "\\ud800" decodes to one)."""
    if isinstance(value, str):
        return (path or "(object)") if storable(value) != value else None
    if isinstance(value, dict):
        for key, item in value.items():
            # The message shows the key readably: the escape, not the byte or the surrogate.
            name = storable(str(key).replace("\x00", "\\u0000"))
            where = f"{path}.{name}" if path else name
            if storable(str(key)) != str(key):
                return where
            found = _nul_at(item, where)
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _nul_at(item, f"{path}.{index}" if path else str(index))
            if found:
                return found
    return None


def check(data: Any, source: str) -> tuple[ShapesExport | None, list[ExportInvalid]]:
    """Validate one decoded JSON value: the export, or None and every problem found (each
    naming the source and field)."""
    if not isinstance(data, dict):
        return None, [ExportInvalid(source, "must be a JSON object (a shapes.inc personality)")]
    nul = _nul_at(data)
    if nul:
        problem = "contains a NUL character (\\u0000) or a lone surrogate, which cannot be stored"
        return None, [ExportInvalid(source, problem, nul)]
    try:
        export = ShapesExport.model_validate(data)
    except ValidationError as exc:
        return None, [
            ExportInvalid(
                source,
                "is required" if error["type"] == "missing" else error["msg"],
                _field_of(error["loc"]),
            )
            for error in exc.errors()
        ]
    if export.voice_enabled and not export.voice_id:
        return None, [ExportInvalid(source, "is required when voice_enabled is true", "voice_id")]
    problems = _check_tzurot(export, source)
    return (None if problems else export), problems


# validate_llm_config's names -> the export's fields
_LLM_FIELDS = {
    "model": "engine_model",
    "temperature": "engine_temperature",
    "top_p": "engine_top_p",
}


def _export_field(path: str) -> str:
    return _LLM_FIELDS.get(path) or f"tzurot.{path}"


def _check_tzurot(export: ShapesExport, source: str) -> list[ExportInvalid]:
    """The provider rules /config applies, for an export that names its provider."""
    if export.tzurot is None:
        return []
    from tzurot.params.validate import validate_image_params, validate_llm_config

    extension = export.tzurot
    llm = validate_llm_config(
        extension.provider,
        model=export.engine_model,
        temperature=export.engine_temperature,
        top_p=export.engine_top_p,
        max_tokens=extension.max_tokens,
        advanced_parameters=export.advanced_parameters(),
    )
    problems = [ExportInvalid(source, e.reason, _export_field(e.path)) for e in llm.errors]
    if extension.image is not None:
        image = extension.image
        result = validate_image_params(
            image.provider, image.advanced_parameters, size=image.default_size
        )
        problems += [
            ExportInvalid(source, e.reason, f"tzurot.image.{e.path}") for e in result.errors
        ]
    return problems


def validate(data: Any, source: str) -> ShapesExport:
    """Validate one decoded JSON value; raise its problem(s) (see `raise_all`)."""
    export, problems = check(data, source)
    raise_all(problems)
    assert export is not None
    return export


def read_file(path: Path) -> tuple[list[SourcedExport], list[ExportInvalid]]:
    """The valid exports in one file (an object, or an array of objects: `file[i]` in
    messages) and the problems of the others."""
    source = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return [], [ExportInvalid(source, "file not found")]
    except OSError as exc:
        return [], [ExportInvalid(source, f"cannot read the file ({exc.strerror})")]
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        return [], [ExportInvalid(source, "not UTF-8 text")]
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        return [], [ExportInvalid(source, f"not valid JSON ({exc.msg} at {where})")]
    if isinstance(data, list):
        if not data:
            return [], [ExportInvalid(source, "the array holds no personalities")]
        entries = [(f"{source}[{index}]", item) for index, item in enumerate(data)]
    else:
        entries = [(source, data)]
    exports: list[SourcedExport] = []
    problems: list[ExportInvalid] = []
    for label, item in entries:
        export, found = check(item, label)
        problems += found
        if export is not None:
            exports.append(SourcedExport(label, export))
    return exports, problems


def expand(paths: Iterable[str | Path]) -> tuple[list[Path], list[ExportInvalid]]:
    """Files as given; a directory stands for the `*.json` files in it, sorted by name."""
    files: list[Path] = []
    problems: list[ExportInvalid] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = sorted(p for p in path.glob("*.json") if p.is_file())
            if not found:
                problems.append(ExportInvalid(str(path), "folder holds no .json files"))
            files.extend(found)
        else:
            files.append(path)
    return files, problems


def read_all(paths: Iterable[str | Path]) -> tuple[list[SourcedExport], list[ExportInvalid]]:
    """Every valid export in every file (directories expanded), and every problem found."""
    files, problems = expand(paths)
    exports: list[SourcedExport] = []
    for path in files:
        found, bad = read_file(path)
        exports += found
        problems += bad
    return exports, problems


def read_exports(paths: Iterable[str | Path]) -> list[SourcedExport]:
    """Every export in every file, validated; raises every problem of every file at once."""
    exports, problems = read_all(paths)
    raise_all(problems)
    return exports
