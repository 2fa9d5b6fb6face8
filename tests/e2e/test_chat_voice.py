"""Spoken replies end to end: signed /chat -> SQS -> generate handler -> fake OpenRouter (text)
-> fake Discord (the answer) -> fake ElevenLabs (speech) -> fake Discord (the audio attached).

The exact text-to-speech request, the multipart edit Discord receives (parts, payload_json,
attachment ids, content type, the audio byte for byte), the usage row, every failure class
leaving the text answer intact, the redelivery case (one synthesis, one upload), the per-user
setting, the one-time hint and the daily character limit at its boundary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.e2e.conftest import ELEVENLABS_KEY
from tests.fakes.interactions import GUILD, command
from tzurot.dev import simulator
from tzurot.dev.audio import FAKE_MP3, frames

APP = simulator.DEV_APPLICATION_ID
VOICE_ID = "JBFqnCBsd6RMkjVDRZzb"
ANSWER = "The night is long, traveller, and the stars are listening."
PATCH = f"PATCH /webhooks/{APP}/TOKEN/messages/@original"
FOLLOWUP = f"POST /webhooks/{APP}/TOKEN"
NO_MENTIONS = {"parse": []}
TEXT_ANSWER = {
    "embeds": [
        {
            "author": {
                "name": "Lilith",
                "icon_url": "https://files.example.com/avatars/lilith.png",
            },
            "description": ANSWER,
        }
    ],
    "allowed_mentions": NO_MENTIONS,
}
ATTACHMENT = {"id": "0", "filename": "lilith.mp3", "description": "Lilith speaking"}


@pytest.fixture
def voiced(account):
    """Lilith has a voice; the user holds OpenRouter and ElevenLabs keys."""
    account.db.execute(
        "INSERT INTO voice_configs (personality_id, enabled, voice_id, voice_model, stability, "
        "similarity, style, frequency) VALUES (%s, true, %s, 'eleven_multilingual_v2', 0.55, "
        "0.60, 0.00, 0.00)",
        (account.personality_ids["lilith"], VOICE_ID),
    )
    account.store_key("openrouter")
    account.store_key("elevenlabs", ELEVENLABS_KEY)
    return account


def chat(stack, message: str = "hello", answer: str = ANSWER, payload: dict | None = None):
    stack.provider("openrouter").queue_reply(text=answer)
    return stack.send(payload or command("chat", "personality=lilith", f"message={message}"))


def voice_rows(stack) -> list[tuple]:
    return [row for row in stack.usage_rows() if row[7] == "voice"]


def progress(stack, exchange) -> tuple:
    return stack.db.execute(
        "SELECT voice_status, voice_audio FROM processed_interactions WHERE interaction_id = %s",
        (exchange.payload["id"],),
    ).fetchone()


def uploads(stack, exchange) -> list:
    return [call for call in stack.calls(exchange.payload["token"]) if call.files]


def notes(stack, exchange) -> list[str]:
    """The private followups (flag 64) of the interaction."""
    return [
        body["content"]
        for line, body in stack.replies(exchange)
        if line == FOLLOWUP and body.get("flags") == 64
    ]


def assert_text_intact(stack, exchange) -> None:
    """The answer was edited in first, whole, and nothing replaced it afterwards."""
    replies = stack.replies(exchange)
    assert replies[0] == (PATCH, TEXT_ANSWER)
    assert all(
        line != PATCH or body.get("embeds") == TEXT_ANSWER["embeds"] for line, body in replies
    )
    (message,) = [
        answer["message"]
        for answer in stack.discord.sink._answers[exchange.payload["token"]]
        if answer["kind"] == "original"
    ][-1:]
    assert message["embeds"][0]["description"] == ANSWER


def test_reply_is_spoken_and_attached(voiced):
    exchange = chat(voiced)

    tts = voiced.elevenlabs.last_request
    assert (tts.method, tts.path) == ("POST", f"/v1/text-to-speech/{VOICE_ID}")
    assert tts.query == {"output_format": "mp3_44100_64"}
    assert tts.headers["xi-api-key"] == ELEVENLABS_KEY
    assert tts.json == {
        "text": ANSWER,
        "model_id": "eleven_multilingual_v2",
        "voice_settings": {  # frequency 0.00: no speaker boost
            "stability": 0.55,
            "similarity_boost": 0.6,
            "style": 0.0,
            "use_speaker_boost": False,
        },
    }
    assert len(voiced.elevenlabs.requests) == 1

    lines = [line for line, _ in voiced.replies(exchange)]
    assert lines == [PATCH, PATCH]  # the text, then the same message with the audio
    (upload,) = uploads(voiced, exchange)
    assert upload.content_type == "multipart/form-data"
    assert upload.json == {**TEXT_ANSWER, "attachments": [ATTACHMENT]}
    (part,) = upload.files
    assert (part.field, part.filename, part.content_type) == (
        "files[0]",
        "lilith.mp3",
        "audio/mpeg",
    )
    assert part.content == FAKE_MP3 and len(frames(part.content)) == 20
    assert upload.status == 200
    (attachment,) = upload.response["attachments"]
    assert (attachment["filename"], attachment["size"]) == ("lilith.mp3", len(FAKE_MP3))
    assert upload.response["embeds"][0]["description"] == ANSWER

    # One usage row per synthesis: the characters billed in tokens_in and tokens_total.
    assert voice_rows(voiced) == [
        (
            GUILD.user_id,
            "lilith",
            "elevenlabs",
            "eleven_multilingual_v2",
            len(ANSWER),
            0,
            len(ANSWER),
            "voice",
            "user",
        )
    ]
    assert progress(voiced, exchange) == ("sent", None)
    assert notes(voiced, exchange) == []


def test_a_long_answer_is_spoken_up_to_the_cap_and_says_so(voiced, monkeypatch):
    monkeypatch.setenv("TZUROT_VOICE_MAX_CHARS", "30")
    exchange = chat(voiced)
    spoken = "The night is long, traveller,"  # cut at the last space within 30 characters
    assert voiced.elevenlabs.last_request.json["text"] == spoken
    (upload,) = uploads(voiced, exchange)
    assert (
        upload.json["content"] == f"🔊 Spoken: the first {len(spoken)} of {len(ANSWER)} characters."
    )
    assert upload.json["embeds"] == TEXT_ANSWER["embeds"]
    assert voice_rows(voiced)[0][4] == len(spoken)


@pytest.mark.parametrize(
    ("kind", "note", "key_stays_active", "direct_message"),
    [
        (
            "invalid_key",
            "🔇 No voice this time: ElevenLabs rejected your API key, so it has been switched "
            "off. Add a working one with `/wallet set`.",
            False,
            "Your ElevenLabs API key was rejected (invalid, revoked or expired), so it has been "
            "switched off. Add a working key with `/wallet set`.",
        ),
        (
            "quota",
            "🔇 No voice this time: your ElevenLabs account is out of credits or quota.",
            True,
            "Your ElevenLabs account is out of credits or quota. Check your plan and billing "
            "with ElevenLabs; your key stays saved.",
        ),
        (
            "server_error",
            "🔇 No voice this time: ElevenLabs is busy or unreachable right now.",
            True,
            None,
        ),
        (
            "unavailable",
            "🔇 No voice this time: ElevenLabs is busy or unreachable right now.",
            True,
            None,
        ),
        (
            "rate_limit",
            "🔇 No voice this time: ElevenLabs is busy or unreachable right now.",
            True,
            None,
        ),
    ],
)
def test_a_voice_failure_keeps_the_text_and_adds_one_note(
    voiced, kind, note, key_stays_active, direct_message
):
    voiced.elevenlabs.queue_error(kind)
    exchange = chat(voiced)
    assert exchange.result == {"batchItemFailures": []}  # not retried: the text is there
    assert_text_intact(voiced, exchange)
    assert uploads(voiced, exchange) == []
    assert notes(voiced, exchange) == [note]
    assert voiced.key_active("elevenlabs") is key_stays_active
    dms = [call.json["content"] for call in voiced.discord.calls if "/channels/" in call.path]
    assert dms == ([direct_message] if direct_message else [])
    assert voice_rows(voiced) == []  # nothing was billed
    assert progress(voiced, exchange) == ("failed", None)
    assert voiced.status(exchange.payload["id"])[0] == "done"


def test_a_timeout_keeps_the_text(voiced, monkeypatch):
    from tzurot.providers import elevenlabs

    monkeypatch.setattr(elevenlabs, "SPEECH_TIMEOUT", httpx.Timeout(0.3))
    voiced.elevenlabs.queue_reply(delay=1.5)
    exchange = chat(voiced)
    assert_text_intact(voiced, exchange)
    assert notes(voiced, exchange) == [
        "🔇 No voice this time: ElevenLabs is busy or unreachable right now."
    ]
    assert voice_rows(voiced) == []


def test_audio_over_the_upload_limit_keeps_the_text(voiced):
    payload = command("chat", "personality=lilith", "message=hello")
    payload["attachment_size_limit"] = 2_000  # the fake's MP3 is 4160 bytes
    exchange = chat(voiced, payload=payload)
    assert_text_intact(voiced, exchange)
    assert uploads(voiced, exchange) == []
    assert notes(voiced, exchange) == [
        "🔇 No voice this time: the audio came out at 4.1 KB, more than the 2.0 KB Discord "
        "accepts here."
    ]
    assert len(voice_rows(voiced)) == 1  # synthesised, so billed and counted
    assert progress(voiced, exchange) == ("failed", None)


def test_redelivery_after_discord_failed_the_upload_synthesises_and_uploads_once(voiced):
    # The text edit goes through; the edit carrying the audio gets a 503 once.
    voiced.discord.fail_next(r"^PATCH /webhooks/.*/messages/@original$", status=503, after=1)
    exchange = chat(voiced)
    assert len(exchange.result["batchItemFailures"]) == 1  # back to SQS
    status, audio = progress(voiced, exchange)
    assert (status, audio) == ("synthesized", FAKE_MP3)  # kept for the retry

    voiced.deliver()  # the redelivery

    assert len(voiced.elevenlabs.requests) == 1  # one synthesis
    done = [call for call in uploads(voiced, exchange) if call.status == 200]
    assert len(done) == 1 and done[0].files[0].content == FAKE_MP3  # one upload that landed
    text_edits = [
        call for call in voiced.calls(exchange.payload["token"]) if call.line.startswith("PATCH")
    ]
    assert [bool(call.files) for call in text_edits] == [False, True, True]  # text sent once
    assert len(voice_rows(voiced)) == 1
    assert progress(voiced, exchange) == ("sent", None)
    assert voiced.status(exchange.payload["id"]) == ("done", 2)
    assert notes(voiced, exchange) == []


def test_redelivery_after_the_text_failed_speaks_once(voiced):
    voiced.discord.fail_next(r"^PATCH /webhooks/.*/messages/@original$", status=503)
    exchange = chat(voiced)
    assert len(exchange.result["batchItemFailures"]) == 1
    assert voiced.elevenlabs.requests == []  # no voice before the text is on Discord
    voiced.deliver()
    assert len(voiced.elevenlabs.requests) == 1
    assert len([c for c in uploads(voiced, exchange) if c.status == 200]) == 1
    assert len(voice_rows(voiced)) == 1


def test_a_lost_synthesis_is_not_paid_again(voiced):
    """An attempt died after paying for the audio and before keeping or sending it: the
    redelivery says so instead of synthesising again."""
    voiced.discord.fail_next(r"^PATCH /webhooks/.*/messages/@original$", status=503)
    exchange = chat(voiced)  # the text failed: the job comes back
    voiced.db.execute(
        "UPDATE processed_interactions SET voice_status = 'synthesized' WHERE interaction_id = %s",
        (exchange.payload["id"],),
    )
    voiced.deliver()
    assert voiced.elevenlabs.requests == []
    assert notes(voiced, exchange) == [
        "🔇 No voice this time: the spoken reply was lost on the way to Discord."
    ]
    assert progress(voiced, exchange) == ("failed", None)


def test_no_key_gives_text_and_a_hint_once(account):
    account.db.execute(
        "INSERT INTO voice_configs (personality_id, enabled, voice_id) VALUES (%s, true, %s)",
        (account.personality_ids["lilith"], VOICE_ID),
    )
    account.store_key("openrouter")
    first = chat(account)
    second = chat(account)
    assert account.elevenlabs.requests == []
    assert notes(account, first) == [
        "🔊 Lilith can speak its replies. Add your ElevenLabs key with `/wallet set` (provider "
        "ElevenLabs) to hear them."
    ]
    assert notes(account, second) == []
    assert [line for line, _ in account.replies(second)] == [PATCH]
    assert account.db.execute(
        "SELECT voice_hint_shown_at IS NOT NULL FROM users WHERE id = %s", (account.user_id,)
    ).fetchone() == (True,)


def test_a_switched_off_key_gives_text_only(voiced):
    voiced.db.execute("UPDATE user_api_keys SET is_active = false WHERE provider = 'elevenlabs'")
    exchange = chat(voiced)
    assert voiced.elevenlabs.requests == []
    assert [line for line, _ in voiced.replies(exchange)] == [PATCH]


def test_a_personality_without_a_voice_stays_text(voiced):
    voiced.provider("openai").queue_reply(text="Hi.")
    voiced.store_key("openai")
    exchange = voiced.command("chat", "personality=ada", "message=hi")
    assert voiced.elevenlabs.requests == []
    assert len(voiced.replies(exchange)) == 1


def test_voice_setting_per_personality_and_default(voiced):
    def spoken() -> bool:
        before = len(voiced.elevenlabs.requests)
        chat(voiced)
        return len(voiced.elevenlabs.requests) > before

    def info_voice() -> str:
        (embed,) = voiced.reply(voiced.command("personality", "info", "name=lilith"))["embeds"]
        return next(f["value"] for f in embed["fields"] if f["name"] == "Voice")

    assert info_voice() == "on: replies are spoken for you"
    off = voiced.reply(voiced.command("config", "voice", "state=off", "personality=lil"))
    assert off["content"] == "Saved: spoken replies off for Lilith."
    assert not spoken()
    assert info_voice() == "on, but you turned it off (`/config voice on` to hear it)"

    # Off by default, on for Lilith: the personality's own setting wins.
    everywhere = voiced.reply(voiced.command("config", "voice", "state=off"))["content"]
    assert everywhere == (
        "Saved: spoken replies off for every personality (a setting for one personality still "
        "wins)."
    )
    on = voiced.reply(voiced.command("config", "voice", "state=on", "personality=lilith"))
    assert on["content"] == "Saved: spoken replies on for Lilith."  # the key is there
    assert spoken()
    assert voiced.db.execute(
        "SELECT p.slug, s.enabled FROM user_voice_settings s "
        "LEFT JOIN personalities p ON p.id = s.personality_id ORDER BY p.slug NULLS FIRST"
    ).fetchall() == [(None, False), ("lilith", True)]

    # Removing the key shows in the card, and turning voice on says what is missing.
    voiced.db.execute("DELETE FROM user_api_keys WHERE provider = 'elevenlabs'")
    assert info_voice() == "on; add an ElevenLabs key with `/wallet set` to hear replies"
    ada = voiced.reply(voiced.command("config", "voice", "state=on", "personality=ada"))
    assert ada["content"] == (
        "Saved: spoken replies on for Ada. Ada has no voice yet, so its replies stay text. "
        "Spoken replies need your ElevenLabs key: add it with `/wallet set`."
    )


def test_config_voice_refuses_an_unknown_personality(voiced):
    body = voiced.reply(voiced.command("config", "voice", "state=on", "personality=nobody"))
    assert body["content"].startswith("I don't know a personality called “nobody”.")
    assert voiced.db.execute("SELECT count(*) FROM user_voice_settings").fetchone() == (0,)


def test_daily_character_limit_at_the_boundary(voiced, monkeypatch):
    monkeypatch.setenv("TZUROT_VOICE_DAILY_CHAR_LIMIT", str(2 * len(ANSWER)))
    chat(voiced)
    chat(voiced)  # reaches the limit exactly: still spoken
    assert len(voiced.elevenlabs.requests) == 2
    third = chat(voiced)
    assert len(voiced.elevenlabs.requests) == 2  # refused before any call
    assert_text_intact(voiced, third)
    (note,) = notes(voiced, third)
    assert note.startswith(
        f"🔇 No voice this time: you have used your {2 * len(ANSWER)} characters of speech "
        "for today; more <t:"
    )
    short = chat(voiced, answer="Hi.")  # 3 more characters still go over: refused too
    assert len(voiced.elevenlabs.requests) == 2 and len(notes(voiced, short)) == 1


def test_usage_and_admin_usage_show_voice(voiced):
    from tests.e2e.conftest import OWNER_ID

    chat(voiced)
    voiced.set_clock(datetime.now(UTC) + timedelta(seconds=1))  # the report ends at "now"
    body = voiced.reply(voiced.command("usage"))["content"]
    assert "ElevenLabs · voice" in body
    # Characters count as tokens one for one (tokens_in), and are shown besides.
    chars = len(ANSWER)
    assert f"Total: {15 + chars} tokens ({10 + chars} in, 5 out) in 2 requests." in body
    assert f"Voice: {len(ANSWER)} characters in 1 request." in body
    assert f"Today: {len(ANSWER)} of 20,000 characters of speech" in body
    owner = simulator.Identity(
        user_id=OWNER_ID, guild_id="200000000000000001", channel_id="200000000000000002"
    )
    admin = voiced.reply(voiced.command("admin", "usage", who=owner))["content"]
    assert "ElevenLabs · voice" in admin
    assert f"Voice: {len(ANSWER)} characters in 1 request." in admin
