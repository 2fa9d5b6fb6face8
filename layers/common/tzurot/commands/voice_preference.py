"""Whether a reply will be spoken for a user, and `/config voice on|off [personality]`.

A personality speaks when it has a voice (voice_configs enabled, with a voice id). For one user
it then speaks when they did not turn it off (user_voice_settings: their choice for that
personality, else their default, else on) and they hold an active ElevenLabs key. One read
(`load_state`) answers all of that, for /chat's voice step (tzurot.commands.voice) and for
/personality info, which says what a user will get.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from tzurot.commands.account import AccountCall, Refusal, Reply
from tzurot.usage import voice_quota

if TYPE_CHECKING:
    from tzurot.personalities.model import Personality

STATES = {"on": True, "off": False}

_STATE = f"""SELECT u.id::text,
    (SELECT s.enabled FROM user_voice_settings s WHERE s.user_id = u.id
       AND (s.personality_id = %(voice_personality_id)s OR s.personality_id IS NULL)
     ORDER BY s.personality_id NULLS LAST LIMIT 1),
    (SELECT k.is_active FROM user_api_keys k
     WHERE k.user_id = u.id AND k.provider = 'elevenlabs'),
    u.voice_hint_shown_at IS NOT NULL,
    {voice_quota.chars_today_sql("u.id")}
FROM users u WHERE u.discord_id = %(discord_id)s"""


@dataclass(frozen=True)
class VoiceState:
    """One user's side of voice for one personality."""

    user_id: str  # users.id uuid
    choice: bool | None  # their setting for it (or their default); None: never chose
    key_active: bool | None  # their ElevenLabs key: None when they have none
    hinted: bool  # told once how to add voice
    chars_today: int

    @property
    def wanted(self) -> bool:
        return self.choice is not False


def has_voice(personality: Personality | None) -> bool:
    """The personality can speak: voice switched on and a voice chosen."""
    voice = personality.voice if personality is not None else None
    return voice is not None and voice.enabled and bool(voice.voice_id)


def load_state(conn, discord_id: str, personality: Personality, now: datetime) -> VoiceState | None:
    """One round trip; None for a user the bot has never stored anything for."""
    row = conn.execute(
        _STATE,
        {
            "discord_id": discord_id,
            "voice_personality_id": str(personality.id),
            **voice_quota.day_params(now),
        },
    ).fetchone()
    if row is None:
        return None
    user_id, choice, key_active, hinted, chars = row
    return VoiceState(user_id, choice, key_active, bool(hinted), int(chars))


def describe(personality: Personality, state: VoiceState | None) -> str:
    """The "Voice" line of /personality info, for the user asking."""
    if not has_voice(personality):
        return "off"
    if state is not None and not state.wanted:
        return "on, but you turned it off (`/config voice on` to hear it)"
    if state is None or state.key_active is None:
        return "on; add an ElevenLabs key with `/wallet set` to hear replies"
    if not state.key_active:
        return "on, but your ElevenLabs key is switched off (see `/wallet list`)"
    return "on: replies are spoken for you"


# --- /config voice on|off [personality] ------------------------------------------------------

_UPSERT = """INSERT INTO user_voice_settings (user_id, personality_id, enabled)
VALUES (%(user_id)s, %(personality_id)s, %(enabled)s)
ON CONFLICT (user_id, personality_id) DO UPDATE
    SET enabled = EXCLUDED.enabled, updated_at = now()"""


def set_voice(call: AccountCall) -> Reply:
    state = call.option("state")
    if state not in STATES:
        raise Refusal("Please pick `on` or `off`.")
    name = call.option("personality")
    personality = call.personality(name) if name else None
    enabled = STATES[state]
    call.conn.execute(
        _UPSERT,
        {
            "user_id": call.user.id,
            "personality_id": str(personality.id) if personality else None,
            "enabled": enabled,
        },
    )
    if personality is None:
        scope = "every personality (a setting for one personality still wins)"
        text = f"Saved: spoken replies {state} for {scope}."
    else:
        text = f"Saved: spoken replies {state} for {personality.label}."
        if enabled and not has_voice(personality):
            text += f" {personality.label} has no voice yet, so its replies stay text."
    if enabled and not _has_active_key(call):
        text += " Spoken replies need your ElevenLabs key: add it with `/wallet set`."
    return Reply(text)


def _has_active_key(call: AccountCall) -> bool:
    row = call.conn.execute(
        "SELECT is_active FROM user_api_keys WHERE user_id = %s AND provider = 'elevenlabs'",
        (call.user.id,),
    ).fetchone()
    return bool(row and row[0])
