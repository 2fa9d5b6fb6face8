"""Personalities as shapes.inc export JSON (docs/shapes-format.md), which `import` reads back
to the same rows: the shapes.inc fields, custom_fields back at the top level, and what shapes.inc
has no field for under `tzurot`.

A user character's owner and visibility are not exported: an import makes it an operator's
personality (public, ownerless).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tzurot.errors import TzurotError
from tzurot.personalities.importer import (
    ADVANCED_PARAMETERS,
    CHARACTER_COLUMNS,
    CUSTOM_FIELD_KEYS,
    PROVIDER,
    VOICE_COLUMNS,
)
from tzurot.personalities.model import Personality

# personalities column -> the attribute of CharacterSheet / Personality holding it
_SHEET_ATTRIBUTES = {
    "character_info": "character_info",
    "personality_traits": "traits",
    "personality_tone": "tone",
    "personality_age": "age",
    "personality_appearance": "appearance",
    "personality_likes": "likes",
    "personality_dislikes": "dislikes",
    "conversational_goals": "conversational_goals",
    "conversational_examples": "conversational_examples",
}
_VOICE_ATTRIBUTES = {"voice_model": "model"}  # voice_configs column -> VoiceConfig attribute


class ExportFailed(TzurotError):
    """A personality that cannot be written as an importable export (one line, names it)."""


def _plain(value: Any) -> Any:
    """JSON-ready: Decimals become ints or floats, exactly as written."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def export_personality(p: Personality) -> dict[str, Any]:
    if not p.system_prompt or not p.system_prompt.strip():
        raise ExportFailed(f"{p.slug}: has no system prompt, which an export requires")
    llm = p.llm
    if llm is None or not llm.model:
        raise ExportFailed(f"{p.slug}: has no model (set one with `tzurot personality edit`)")
    custom = dict(p.custom_fields)
    data: dict[str, Any] = {}
    for source, key in CUSTOM_FIELD_KEYS.items():
        if key in custom:
            data[source] = custom.pop(key)
    data.update(name=p.name, username=p.slug, jailbreak=p.system_prompt)
    if p.avatar_url:
        data["avatar"] = p.avatar_url
    for source, column in CHARACTER_COLUMNS.items():
        value = p.error_message if column == "error_message" else None
        if column in _SHEET_ATTRIBUTES:
            value = getattr(p.character, _SHEET_ATTRIBUTES[column])
        if value is not None:
            data[source] = value
    data["engine_model"] = llm.model
    advanced = dict(llm.advanced_parameters)
    if llm.provider == PROVIDER:
        for source, key in ADVANCED_PARAMETERS.items():
            if key in advanced:
                data[source] = advanced.pop(key)
    ltm = p.ltm  # the personality's own ltm columns (0009) first, then the config's
    for source, value in (
        ("engine_temperature", llm.temperature),
        ("engine_top_p", llm.top_p),
        ("stm_window", llm.max_conversation_history),
        ("ltm_enabled", ltm.enabled),
        ("ltm_threshold", _first(ltm.threshold, llm.memory_score_threshold)),
        ("ltm_max_retrieved_summaries", _first(ltm.max_retrieved, llm.memory_limit)),
    ):
        if value is not None:
            data[source] = _plain(value)
    if p.birthday is not None:
        data["birthday"] = str(p.birthday)
    if p.aliases:
        data["aliases"] = list(p.aliases)
    if p.voice is not None:
        for source, column in VOICE_COLUMNS.items():
            value = getattr(p.voice, _VOICE_ATTRIBUTES.get(column, column))
            if value is not None:
                data[source] = _plain(value)
    data["tzurot"] = _extension(p, advanced)
    for key, value in custom.items():
        data.setdefault(key, value)  # unknown fields ride along, as the import kept them
    return data


def _first(*values: Any) -> Any:
    return next((value for value in values if value is not None), None)


def _extension(p: Personality, advanced: dict[str, Any]) -> dict[str, Any]:
    llm = p.llm
    assert llm is not None
    extension: dict[str, Any] = {"provider": llm.provider}
    if p.display_name and p.display_name != p.name:
        extension["display_name"] = p.display_name
    for key, value in (
        ("vision_model", llm.vision_model),
        ("max_tokens", llm.max_tokens),
        ("max_referenced_messages", llm.max_referenced_messages),
        ("context_window_tokens", llm.context_window_tokens),
    ):
        if value is not None:
            extension[key] = value
    if advanced:
        extension["advanced_parameters"] = advanced
    if p.image is not None:
        extension["image"] = {
            "provider": p.image.provider,
            "model": p.image.model,
            "enabled": p.image.enabled,
            "default_size": p.image.default_size,
            "advanced_parameters": dict(p.image.advanced_parameters),
        }
    return extension
