"""An operator's edits of a personality's voice (voice_configs): set (create or change, and
switch on) and disable (switch off, settings kept). Values arrive validated (the 0.00-1.00
ranges of the proposal, at most two decimals, as the numeric(3,2) columns hold them)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import psycopg

from tzurot.errors import TzurotError
from tzurot.personalities.model import Personality
from tzurot.personalities.writes import upsert_by_personality

RATIOS = ("stability", "similarity", "style", "frequency")


class VoiceNotSet(TzurotError):
    """A change to a personality that has no voice yet, without a voice id to create it."""


@dataclass(frozen=True)
class VoiceChange:
    """What to change; None leaves a value as it is (or at its default for a new voice)."""

    voice_id: str | None = None
    model: str | None = None
    stability: Decimal | None = None
    similarity: Decimal | None = None
    style: Decimal | None = None
    frequency: Decimal | None = None

    def columns(self) -> dict[str, object]:
        values = {"voice_id": self.voice_id, "voice_model": self.model}
        values.update({name: getattr(self, name) for name in RATIOS})
        return {column: value for column, value in values.items() if value is not None}


def set_voice(conn: psycopg.Connection, personality: Personality, change: VoiceChange) -> None:
    """Create the voice (a voice id is needed) or change it; either way it is switched on."""
    columns = change.columns()
    has_id = personality.voice is not None and personality.voice.voice_id is not None
    if not has_id and "voice_id" not in columns:
        raise VoiceNotSet(
            f"{personality.slug} has no voice yet: give --voice-id (ElevenLabs voice id)"
        )
    upsert_by_personality(conn, "voice_configs", personality.id, {"enabled": True, **columns})


def disable_voice(conn: psycopg.Connection, personality: Personality) -> bool:
    """Switch the voice off, keeping its settings; False when it had none or was off."""
    cursor = conn.execute(
        "UPDATE voice_configs SET enabled = false, updated_at = now() "
        "WHERE personality_id = %s AND enabled",
        (personality.id,),
    )
    return cursor.rowcount > 0
