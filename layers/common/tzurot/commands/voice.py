"""Spoken replies: once /chat's text answer is on Discord, the personality says it aloud.

It speaks when the personality has a voice and the user wants it and holds an active
ElevenLabs key (tzurot.commands.voice_preference). After the text reply was sent:

1. one read: the user's choice, their ElevenLabs key, whether they had the no-key hint, and the
   voice characters they used today;
2. the text to speak: the answer up to `Settings.voice_max_chars` (cut at a word; the reply
   then says so in one short line), checked against the daily character limit
   (`Settings.voice_daily_char_limit`, tzurot.usage.voice_quota) before any call;
3. ElevenLabs text-to-speech with the user's key (tzurot.providers.elevenlabs);
4. one statement: the usage row (request_type 'voice', provider 'elevenlabs', the voice model,
   the characters billed as tokens_in and tokens_total, 0 tokens_out) and the job's voice
   progress 'synthesized';
5. the answer's first message (the deferred one, or the bot's reply in the channel) edited
   again with the audio attached (multipart `files[0]` +
   `payload_json`, the same upload as /imagine's), after checking its size against the
   interaction's upload limit; progress 'sent'.

Never losing the text: any failure here leaves the answer as it is and adds one short private
note (invalid key: switched off and its owner told, as for chat keys; quota; ElevenLabs down or
slow; too large; the daily limit). No ElevenLabs key: text only, and once per user a hint that
`/wallet set` with ElevenLabs adds voice.

Redelivery never synthesises or uploads twice: the progress lives in the job's
processed_interactions row (`voice_status`). When Discord fails the upload with a passing error
(and receives remain), the audio is kept in that row (`voice_audio`), every part of the answer is
recorded as sent, and the job goes back to SQS; the retry sends no text again and uploads the
kept audio. A retry that finds 'synthesized' without audio (the attempt died in between) says
the voice was lost rather than pay for it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from tzurot.commands import replies
from tzurot.commands.claimed import best_effort
from tzurot.commands.voice_preference import VoiceState, has_voice, load_state
from tzurot.db.compose import Statement, atomically
from tzurot.errors import TzurotError
from tzurot.logs import get_logger
from tzurot.usage import voice_quota
from tzurot.usage.ledger import UsageRecord, usage_statement

if TYPE_CHECKING:
    from tzurot.commands.chat import ChatTurn
    from tzurot.providers.elevenlabs import Speech

log = get_logger("tzurot.voice")

PROVIDER = "elevenlabs"
Progress = Literal["synthesized", "sent", "failed"]


class VoiceTooLarge(TzurotError):
    def __init__(self, size: int, limit: int):
        self.size = size
        self.limit = limit
        super().__init__(f"audio of {size} bytes over the upload limit of {limit}")


class VoiceLost(TzurotError):
    """A retry found the audio paid for but neither uploaded nor kept."""


# --- what to say ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spoken:
    text: str  # what is sent to ElevenLabs
    total: int  # characters of the whole answer

    @property
    def cut(self) -> bool:
        return len(self.text) < self.total

    def note(self) -> str | None:
        """The one line a shortened reply carries."""
        if not self.cut:
            return None
        return f"🔊 Spoken: the first {len(self.text):,} of {self.total:,} characters."


def speakable(answer: str, limit: int) -> Spoken:
    """The answer up to `limit` characters, cut at the last space when one is in the second
    half (no word cut in two)."""
    text = answer.strip()
    if len(text) <= limit:
        return Spoken(text, len(text))
    cut = text[:limit]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return Spoken(cut.rstrip(), len(text))


# --- progress in processed_interactions -----------------------------------------------------------


def progress_statement(interaction_id: str, status: Progress) -> Statement:
    """Set the job's voice progress; 'sent' and 'failed' drop any kept audio."""
    return Statement(
        "UPDATE processed_interactions SET voice_status = %(voice_status)s, voice_audio = "
        "CASE WHEN %(voice_keep_audio)s THEN voice_audio END "
        "WHERE interaction_id = %(interaction_id)s",
        {
            "interaction_id": interaction_id,
            "voice_status": status,
            "voice_keep_audio": status == "synthesized",
        },
    )


def read_progress(conn, interaction_id: str) -> tuple[str | None, bytes | None]:
    row = conn.execute(
        "SELECT voice_status, voice_audio FROM processed_interactions WHERE interaction_id = %s",
        (interaction_id,),
    ).fetchone()
    return (row[0], bytes(row[1]) if row[1] is not None else None) if row else (None, None)


def keep_for_retry(conn, interaction_id: str, audio: bytes, parts: int) -> None:
    """Before handing the job back: the audio, and every part of the answer as sent."""
    conn.execute(
        "UPDATE processed_interactions SET voice_audio = %s, "
        "replies_sent = greatest(replies_sent, %s) WHERE interaction_id = %s",
        (audio, parts, interaction_id),
    )


# --- the step ------------------------------------------------------------------------------------


def speak(turn: ChatTurn, answer: str, *, retry: bool) -> None:
    """Speak `answer` for `turn` when the personality and the user want it. Raises only a
    passing Discord failure of the upload while receives remain (the caller hands the job back
    to SQS); every other failure becomes a note and the text stays as it is."""
    if not has_voice(turn.personality) or turn.ctx.settings.voice_max_chars < 1:
        return
    SpokenReply(turn, answer).run(retry)


class SpokenReply:
    def __init__(self, turn: ChatTurn, answer: str):
        self.turn = turn
        self.job = turn.job
        self.ctx = turn.ctx
        self.personality = turn.personality
        self.answer = answer
        self.spoken = speakable(answer, self.ctx.settings.voice_max_chars)
        self._audio: bytes | None = None  # set while an upload is under way

    def run(self, retry: bool) -> None:
        try:
            self._run(retry)
        except Exception as exc:
            if self._passing_upload_failure(exc):
                raise
            self._give_up(exc)

    def _run(self, retry: bool) -> None:
        conn = self.ctx.conn()
        if retry:
            status, audio = read_progress(conn, self.job.interaction_id)
            if status in ("sent", "failed"):
                return
            if status == "synthesized":
                if audio is None:
                    raise VoiceLost("the audio of an earlier attempt was not kept")
                log.info("uploading the voice an earlier attempt made")
                self._upload(audio, "audio/mpeg")
                return
        now = self.ctx.now()
        state = load_state(conn, self.job.user_id, self.personality, now)
        if state is None or not state.wanted:
            return
        if state.key_active is None:
            self._hint_once(conn, state)
            return
        if not state.key_active:
            return  # switched off: they were told then, and /wallet shows it
        voice_quota.check(state.chars_today, len(self.spoken.text), self.ctx.settings, now)
        self.turn.user_id = self.turn.user_id or state.user_id
        speech = self._synthesize(conn, state)
        if speech is None:
            return
        atomically(
            usage_statement(
                UsageRecord(
                    user_id=state.user_id,
                    personality_id=str(self.personality.id),
                    provider=PROVIDER,
                    model=self.personality.voice.model,
                    tokens_in=speech.characters,
                    tokens_out=0,
                    request_type="voice",
                )
            ),
            progress_statement(self.job.interaction_id, "synthesized"),
        ).execute(conn)
        log.info(
            "voice synthesized",
            extra={"reference": self.turn.reference, "characters": speech.characters},
        )
        self._upload(speech.audio, speech.mime_type)

    def _synthesize(self, conn, state: VoiceState) -> Speech | None:
        from tzurot.crypto.key_store import use_user_key
        from tzurot.observability import provider_timer
        from tzurot.providers.elevenlabs import SpeechRequest
        from tzurot.providers.registry import get_voice_provider

        api_key = use_user_key(conn, self.ctx.keyring, state.user_id, PROVIDER)
        if api_key is None:  # switched off or removed since the read
            return None
        voice = self.personality.voice
        options = self.ctx.provider_options.get(PROVIDER, {})
        client = get_voice_provider(PROVIDER, self.ctx.settings, **options)
        request = SpeechRequest(
            voice_id=voice.voice_id,
            model=voice.model,
            text=self.spoken.text,
            stability=voice.stability,
            similarity=voice.similarity,
            style=voice.style,
            frequency=voice.frequency,
        )
        with provider_timer(PROVIDER):
            return client.speak(api_key, request)

    def _upload(self, audio: bytes, mime_type: str) -> None:
        from tzurot.commands.imagine import DISCORD_UPLOAD_LIMIT
        from tzurot.discord.rest import DiscordFile

        limit = self.job.attachment_size_limit or DISCORD_UPLOAD_LIMIT
        if len(audio) > limit:
            raise VoiceTooLarge(len(audio), limit)
        payload = replies.answer_payloads(self.personality, self.answer)[0]
        note = self.spoken.note()
        if note:
            payload = {"content": note, **payload}
        name = f"{self.personality.slug}.mp3"[:100] if mime_type == "audio/mpeg" else "voice.bin"
        file = DiscordFile(name, audio, mime_type, description=f"{self.personality.label} speaking")
        self._audio = audio
        self.turn.surface.first(payload, files=[file])
        self._audio = None
        best_effort(
            lambda: progress_statement(self.job.interaction_id, "sent").execute(self.ctx.conn())
        )
        log.info("voice sent", extra={"reference": self.turn.reference, "bytes": len(audio)})

    # --- failures --------------------------------------------------------------------------------

    def _passing_upload_failure(self, exc: Exception) -> bool:
        """A Discord failure of the upload that may pass, with receives left: keep the audio
        and every text part as sent, so that the redelivery only uploads (module docstring)."""
        from tzurot.commands.errors import is_retryable
        from tzurot.discord.rest import DiscordError

        audio = self._audio
        if audio is None or not isinstance(exc, DiscordError) or not is_retryable(exc):
            return False
        if self.ctx.last_attempt:
            return False
        parts = len(replies.answer_payloads(self.personality, self.answer))
        try:
            keep_for_retry(self.ctx.conn(), self.job.interaction_id, audio, parts)
        except Exception as db_exc:
            log.warning(
                "could not keep the voice for a retry", extra={"error": type(db_exc).__name__}
            )
            return False
        return True

    def _give_up(self, exc: Exception) -> None:
        from tzurot.providers.errors import InvalidKey, QuotaExhausted

        note = failure_note(exc)
        (log.exception if note is None else log.warning)(
            "voice failed; the text answer stands",
            extra={"reference": self.turn.reference, "error": type(exc).__name__},
        )
        if isinstance(exc, InvalidKey | QuotaExhausted):
            self.turn.tell_owner_of_key(exc, PROVIDER)
        best_effort(
            lambda: progress_statement(self.job.interaction_id, "failed").execute(self.ctx.conn())
        )
        self._note(note or "🔇 The spoken reply failed this time; the text above is complete.")

    def _hint_once(self, conn, state: VoiceState) -> None:
        if state.hinted:
            return
        marked = conn.execute(
            "UPDATE users SET voice_hint_shown_at = now() "
            "WHERE id = %s AND voice_hint_shown_at IS NULL",
            (state.user_id,),
        ).rowcount
        if marked:
            self._note(
                f"🔊 {self.personality.label} can speak its replies. Add your ElevenLabs key "
                "with `/wallet set` (provider ElevenLabs) to hear them."
            )

    def _note(self, text: str) -> None:
        """One short private line under the answer."""
        payload = {
            "content": text,
            "flags": replies.EPHEMERAL,
            "allowed_mentions": replies.NO_MENTIONS,
        }
        best_effort(lambda: self.ctx.discord.create_followup(self.job.interaction_token, payload))


def _size(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB" if size >= 1_048_576 else f"{size / 1024:.1f} KB"


def failure_note(exc: Exception) -> str | None:
    """The note for a failure the step knows; None for a bug (a generic note is sent)."""
    from tzurot.discord.rest import DiscordError
    from tzurot.providers.errors import (
        InvalidKey,
        MissingPermissions,
        ProviderError,
        QuotaExhausted,
    )

    prefix = "🔇 No voice this time"
    if isinstance(exc, InvalidKey):
        return (
            f"{prefix}: ElevenLabs rejected your API key, so it has been switched off. Add a "
            "working one with `/wallet set`."
        )
    if isinstance(exc, QuotaExhausted):
        return f"{prefix}: your ElevenLabs account is out of credits or quota."
    if isinstance(exc, MissingPermissions):
        return f"{prefix}: your ElevenLabs key may not use text-to-speech."
    if isinstance(exc, ProviderError) and exc.retryable:
        return f"{prefix}: ElevenLabs is busy or unreachable right now."
    if isinstance(exc, ProviderError):
        return f"{prefix}: {exc}"
    if isinstance(exc, voice_quota.VoiceLimitReached):
        return (
            f"{prefix}: you have used your {exc.limit:,} characters of speech for today; more "
            f"<t:{int(exc.resets_at.timestamp())}:R>."
        )
    if isinstance(exc, VoiceTooLarge):
        return (
            f"{prefix}: the audio came out at {_size(exc.size)}, more than the "
            f"{_size(exc.limit)} Discord accepts here."
        )
    if isinstance(exc, VoiceLost):
        return f"{prefix}: the spoken reply was lost on the way to Discord."
    if isinstance(exc, DiscordError):
        return f"{prefix}: Discord did not take the audio."
    return None
