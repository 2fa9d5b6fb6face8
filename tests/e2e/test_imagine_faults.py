"""/imagine when it is refused or fails: the hourly image limit, disabled or unusable image
settings, missing keys (and no guest key for images), an invalid key switched off, transient
provider errors through SQS, content filters, oversized images, secrets kept out of logs."""

from __future__ import annotations

import json
from datetime import timedelta

from tests.e2e.chat_stack import ERROR_MESSAGE, GUEST_KEY, KEYS
from tests.e2e.imagine_stack import (
    FAKE_PNG,
    GUILD,
    NO_MENTIONS,
    ORIGINAL,
    imagine,  # noqa: F401  (fixture)
)
from tzurot.dev import simulator

LILITH_SAYS = ERROR_MESSAGE.format(name="Lilith")
WRONG_ROUTER_KEY = "sk-or-v1-revokedOpenRouterKey0123456789ab"
STORED = "It is stored encrypted and only used for your requests."


def log_usage(imagine, request_type: str, minutes_ago: int) -> None:  # noqa: F811
    imagine.db.execute(
        "INSERT INTO usage_logs (user_id, provider, model, tokens_in, tokens_out, tokens_total, "
        "request_type, \"timestamp\") VALUES (%s, 'openai', 'gpt-image-1', 0, 1000, 1000, %s, %s)",
        (imagine.user_id, request_type, imagine.now - timedelta(minutes=minutes_ago)),
    )


def public_reply(imagine, payload, name: str) -> str:  # noqa: F811
    """A public error: the deferred message edited into an embed under the personality."""
    assert imagine.lines(payload) == [f"PATCH {ORIGINAL}"]
    (call,) = imagine.calls(payload["token"])
    assert (call.json["allowed_mentions"], call.files) == (NO_MENTIONS, [])
    (embed,) = call.json["embeds"]
    assert embed["author"]["name"] == name
    return embed["description"]


def test_hourly_image_limit_refuses_before_the_call(imagine, monkeypatch):  # noqa: F811
    monkeypatch.setenv("TZUROT_IMAGE_HOURLY_LIMIT", "2")
    imagine.store_key("openai")
    log_usage(imagine, "image", 50)
    log_usage(imagine, "image", 20)
    log_usage(imagine, "image", 61)  # outside the hour
    log_usage(imagine, "text", 5)  # chat does not count

    payload, result = imagine.imagine("prompt=a boat", "personality=ada")

    assert result == {"batchItemFailures": []}
    frees_at = int((imagine.now - timedelta(minutes=50) + timedelta(hours=1)).timestamp())
    assert imagine.private_reply(payload) == (
        "You have created 2 images in the last hour, the most allowed. You can create another "
        f"<t:{frees_at}:R>.\n||ref: {imagine.reference(payload)}||"
    )
    assert imagine.provider("openai").requests == []
    assert len(imagine.image_usage()) == 3
    assert imagine.status(payload["id"]) == ("failed", 1)

    monkeypatch.setenv("TZUROT_IMAGE_HOURLY_LIMIT", "3")  # the hour holds 2: one more fits
    payload, result = imagine.imagine("prompt=a boat", "personality=ada")
    assert imagine.status(payload["id"]) == ("done", 1)
    assert len(imagine.provider("openai").requests) == 1


def test_daily_token_limit_also_counts_images(imagine, monkeypatch):  # noqa: F811
    monkeypatch.setenv("TZUROT_DAILY_TOKEN_LIMIT", "1000")
    imagine.store_key("openai")
    log_usage(imagine, "image", 1)
    payload, _ = imagine.imagine("prompt=a boat", "personality=ada")
    resets = int((imagine.now.replace(hour=0, minute=0) + timedelta(days=1)).timestamp())
    assert imagine.private_reply(payload) == (
        f"You have used your 1,000 tokens for today. The limit resets <t:{resets}:R>.\n"
        f"||ref: {imagine.reference(payload)}||"
    )
    assert imagine.provider("openai").requests == []


def test_personalities_without_images_say_so(imagine):  # noqa: F811
    imagine.store_key("openai")
    imagine.db.execute("UPDATE image_configs SET enabled = false")
    for slug, name in (("sonnet", "Sonnet"), ("ada", "Ada")):  # no config; a disabled one
        payload, result = imagine.imagine("prompt=a boat", f"personality={slug}")
        assert result == {"batchItemFailures": []}
        assert imagine.private_reply(payload) == (
            f"{name} doesn't create images. Use `/imagine` without a personality to draw with "
            f"your own key's default model.\n||ref: {imagine.reference(payload)}||"
        )
        assert imagine.status(payload["id"]) == ("failed", 1)
    assert imagine.provider("openai").requests == []
    assert imagine.image_usage() == []


def test_unusable_image_settings_are_explained(imagine):  # noqa: F811
    imagine.store_key("openai")
    imagine.db.execute(
        'UPDATE image_configs SET advanced_parameters = \'{"steps": 20, "style": "loud"}\' '
        "WHERE provider = 'openai'"
    )
    payload, _ = imagine.imagine("prompt=a boat", "personality=ada")
    text = imagine.private_reply(payload)
    assert text == (
        "Ada's image settings can't be used (advanced_parameters.style: must be one of "
        "'vivid' or 'natural'; advanced_parameters.steps: unknown key 'steps' for openai "
        "images; "
        "allowed: promptPrefix, quality, style). Please tell the bot's operator."
        f"\n||ref: {imagine.reference(payload)}||"
    )
    assert imagine.provider("openai").requests == []


def test_unknown_personality_gets_suggestions(imagine):  # noqa: F811
    payload, _ = imagine.imagine("prompt=a boat", "personality=lilit")
    assert imagine.private_reply(payload) == (
        "I don't know a personality called “lilit”. Did you mean “Lilith”?"
        f"\n||ref: {imagine.reference(payload)}||"
    )


def test_no_key_never_falls_back_to_the_operators_key(imagine):  # noqa: F811
    imagine.guest_mode()  # chat's guest key: never used for images
    payload, _ = imagine.imagine("prompt=a boat")
    assert imagine.private_reply(payload) == (
        "To create images, add your own API key for one of OpenRouter, OpenAI, Google Gemini "
        f"with `/wallet set`. {STORED}\n||ref: {imagine.reference(payload)}||"
    )
    imagine.store_key("openai")  # a key, but not the personality's provider
    payload, _ = imagine.imagine("prompt=a boat", "personality=gemma")
    assert imagine.private_reply(payload) == (
        "To create images with Gemma, add your own Google Gemini API key with `/wallet set`. "
        f"{STORED}\n||ref: {imagine.reference(payload)}||"
    )
    stranger = simulator.Identity(user_id="777000000000000002", username="stranger")
    payload, _ = imagine.imagine("prompt=a boat", "personality=lilith", who=stranger)
    assert imagine.private_reply(payload).startswith(
        "To create images with Lilith, add your own OpenRouter API key"
    )
    for fake in ("openai", "google", "openrouter"):
        assert imagine.provider(fake).requests == []
    assert imagine.db.execute(
        "SELECT count(*) FROM users WHERE discord_id = '777000000000000002'"
    ).fetchone() == (0,)
    assert imagine.image_usage() == []


def test_invalid_key_is_switched_off_and_the_user_told_in_reply_and_dm(imagine):  # noqa: F811
    imagine.store_key("openrouter", WRONG_ROUTER_KEY)
    payload, result = imagine.imagine("prompt=a boat", "personality=lilith")

    assert result == {"batchItemFailures": []}
    assert imagine.key_active("openrouter") is False
    assert imagine.private_reply(payload) == (
        f"{LILITH_SAYS}\nYour OpenRouter API key was rejected, so it has been switched off. "
        f"Add a working key with `/wallet set`.\n||ref: {imagine.reference(payload)}||"
    )
    opened = imagine.discord.sink.calls_to("POST /users/@me/channels")
    dms = imagine.discord.sink.calls_to(r"POST /channels/\d+/messages")
    assert [call.json for call in opened] == [{"recipient_id": GUILD.user_id}]
    assert [call.json for call in dms] == [
        {
            "content": "Your OpenRouter API key was rejected (invalid, revoked or expired), so it "
            "has been switched off. Add a working key with `/wallet set`.",
            "allowed_mentions": NO_MENTIONS,
        }
    ]
    assert all(call.bot_auth for call in opened + dms)
    assert len(imagine.provider("openrouter").requests) == 1
    assert imagine.image_usage() == []
    assert imagine.status(payload["id"]) == ("failed", 1)

    payload, _ = imagine.imagine("prompt=a boat", "personality=lilith")  # the next one
    assert imagine.private_reply(payload).startswith(
        "To create images with Lilith, add your own OpenRouter API key with `/wallet set`."
    )
    assert len(imagine.provider("openrouter").requests) == 1


def test_a_stored_key_that_no_longer_decrypts_asks_to_add_it_again(imagine):  # noqa: F811
    imagine.store_key("openai")
    imagine.db.execute("UPDATE user_api_keys SET tag = repeat('0', 32)")
    payload, result = imagine.imagine("prompt=a boat", "personality=ada")
    assert result == {"batchItemFailures": []}
    assert imagine.private_reply(payload) == (
        "Your saved OpenAI API key could not be read. Please add it again with `/wallet set`."
        f"\n||ref: {imagine.reference(payload)}||"
    )
    assert imagine.provider("openai").requests == []
    assert imagine.status(payload["id"]) == ("failed", 1)


def test_transient_errors_retry_through_sqs_then_answer_on_the_last_receive(imagine):  # noqa: F811
    imagine.store_key("openai")
    fake = imagine.provider("openai")
    for kind in ("unavailable", "rate_limit", "server_error"):
        fake.queue_error(kind, retry_after=1 if kind == "rate_limit" else None)
    payload = imagine.interact("prompt=a boat", "personality=ada")

    for receive in (1, 2):
        messages = imagine.receive()
        assert messages[0]["Attributes"]["ApproximateReceiveCount"] == str(receive)
        assert imagine.deliver(messages) == {
            "batchItemFailures": [{"itemIdentifier": messages[0]["MessageId"]}]
        }
        assert imagine.calls(payload["token"]) == []  # nothing shown while a retry is coming
        assert imagine.status(payload["id"]) == ("processing", receive)

    last = imagine.receive()
    assert last[0]["Attributes"]["ApproximateReceiveCount"] == "3"
    assert imagine.deliver(last) == {"batchItemFailures": []}
    assert public_reply(imagine, payload, "Ada") == (
        "OpenAI is not answering right now. Please try again in a little while."
        f"\n||ref: {imagine.reference(payload)}||"
    )
    assert len(fake.requests) == 3
    assert imagine.image_usage() == []
    assert imagine.status(payload["id"]) == ("failed", 3)


def test_content_filter_answers_publicly_in_character(imagine):  # noqa: F811
    imagine.store_key("openrouter")
    imagine.provider("openrouter").queue_error("blocked")
    payload, _ = imagine.imagine("prompt=a boat", "personality=lilith")
    assert public_reply(imagine, payload, "Lilith") == (
        f"{LILITH_SAYS}\nOpenRouter's content filter blocked this; try rephrasing."
        f"\n||ref: {imagine.reference(payload)}||"
    )
    assert imagine.key_active("openrouter") is True
    assert imagine.image_usage() == []


def test_an_image_over_the_upload_limit_is_explained_not_sent(imagine):  # noqa: F811
    imagine.store_key("google")
    big = FAKE_PNG + bytes(1_572_864 - len(FAKE_PNG))
    imagine.provider("google").queue_reply(image=big)

    def small_uploads(payload: dict) -> None:
        payload["attachment_size_limit"] = 1_048_576

    payload, _ = imagine.imagine("prompt=a boat", "personality=gemma", tweak=small_uploads)
    assert imagine.private_reply(payload) == (
        "The image came out at 1.5 MB, more than the 1.0 MB Discord accepts here. Try a "
        f"smaller size.\n||ref: {imagine.reference(payload)}||"
    )
    assert len(imagine.image_usage()) == 1  # it was made, and paid for
    assert imagine.status(payload["id"]) == ("failed", 1)


def test_no_secret_reaches_a_log_line_or_the_queue(imagine, caplog):  # noqa: F811
    from tzurot.logs import RedactingFormatter

    caplog.set_level("DEBUG")
    imagine.store_key("openai")
    imagine.store_key("openrouter", WRONG_ROUTER_KEY)
    ok = imagine.interact("prompt=a boat", "personality=ada")
    bodies = [message["Body"] for message in imagine.receive()]
    imagine.deliver()
    failed, _ = imagine.imagine("prompt=a boat", "personality=lilith")

    assert imagine.status(ok["id"]) == ("done", 1)
    assert imagine.status(failed["id"]) == ("failed", 1)
    formatter = RedactingFormatter()
    text = "\n".join(json.dumps(formatter.format(record)) for record in caplog.records)
    assert "image sent" in text and "imagine failed" in text
    for secret in (KEYS["openai"], WRONG_ROUTER_KEY, GUEST_KEY, ok["token"], failed["token"]):
        assert secret not in text
    assert all(KEYS["openai"] not in body for body in bodies)
