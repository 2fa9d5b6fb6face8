"""/chat when things go wrong: each provider error class, timeouts, Discord 404/429/401/5xx, the
database down, redelivery, old jobs, keys missing or failing, guest mode, limits."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import httpx
import pytest

from tests.e2e.chat_stack import (
    ERROR_MESSAGE,
    GUEST_KEY,
    GUILD,
    KEYS,
    PERSONALITIES,
)
from tests.e2e.chat_stack import chat as _chat  # noqa: F401 (the `chat` fixture)
from tests.e2e.chat_stack import chat_servers as _servers  # noqa: F401 (its servers)
from tests.fakes.discord import BOT_TOKEN
from tzurot.dev import simulator

NO_MENTIONS = {"parse": []}
LILITH_SAYS = ERROR_MESSAGE.format(name="Lilith")
WRONG = {
    "openai": "sk-proj-revokedOpenAIkey0123456789abcdefgh",
    "anthropic": "sk-ant-api03-revokedAnthropicKey0123456789ab",
    "google": "AIzaSyRevokedGeminiKey0123456789abcdefgh",
    "openrouter": "sk-or-v1-revokedOpenRouterKey0123456789ab",
}


def emitted(caplog) -> list[dict]:
    """The log lines as the redacting formatter writes them (JSON), for every captured record."""
    from tzurot.logs import RedactingFormatter

    formatter = RedactingFormatter()
    return [json.loads(formatter.format(record)) for record in caplog.records]


def reference(chat, payload) -> str:
    return chat.db.execute(
        "SELECT reference FROM processed_interactions WHERE interaction_id = %s", (payload["id"],)
    ).fetchone()[0]


def lines(chat, payload) -> list[str]:
    token = payload["token"]
    return [call.line.replace(token, "TOKEN") for call in chat.calls(token)]


LABELS = {
    "openai": "OpenAI",
    "anthropic": "Anthropic",
    "google": "Google Gemini",
    "openrouter": "OpenRouter",
}
ORIGINAL = f"/webhooks/{simulator.DEV_APPLICATION_ID}/TOKEN/messages/@original"
FOLLOWUP = f"/webhooks/{simulator.DEV_APPLICATION_ID}/TOKEN"


def private_reply(chat, payload) -> str:
    """The text of an ephemeral reply: the deferred message deleted, a flag-64 followup."""
    assert lines(chat, payload) == [f"DELETE {ORIGINAL}", f"POST {FOLLOWUP}"]
    followup = chat.calls(payload["token"])[1]
    assert followup.json["flags"] == 64
    assert followup.json["allowed_mentions"] == NO_MENTIONS
    assert set(followup.json) == {"content", "flags", "allowed_mentions"}
    return followup.json["content"]


def public_reply(chat, payload, slug="lilith") -> str:
    assert lines(chat, payload) == [f"PATCH {ORIGINAL}"]
    body = chat.calls(payload["token"])[0].json
    name = PERSONALITIES[slug][0]
    assert body["allowed_mentions"] == NO_MENTIONS
    assert body["embeds"][0]["author"]["name"] == name
    return body["embeds"][0]["description"]


def assert_nothing_recorded(chat):
    assert chat.usage_rows() == []
    assert chat.history_rows() == []


# --- keys -------------------------------------------------------------------------------------


def test_no_key_and_no_guest_mode_gets_the_wallet_message(chat):
    payload, result = chat.chat("lilith", "hello")
    assert result == {"batchItemFailures": []}
    ref = reference(chat, payload)
    assert private_reply(chat, payload) == (
        "To chat with Lilith, add your own OpenRouter API key with `/wallet set`. It is stored "
        f"encrypted and only used for your requests.\n||ref: {ref}||"
    )
    assert chat.provider("openrouter").requests == []
    assert chat.status(payload["id"]) == ("failed", 1)
    assert_nothing_recorded(chat)


@pytest.mark.parametrize("provider", ["openai", "anthropic", "google", "openrouter"])
def test_invalid_key_is_switched_off_and_the_user_told_in_reply_and_dm(chat, provider):
    slug = next(s for s, (_, p, _) in PERSONALITIES.items() if p == provider)
    chat.store_key(provider, WRONG[provider])
    chat.guest_mode()  # configured, yet never used for a user whose own key failed
    payload, result = chat.chat(slug, "hello", who=GUILD)

    assert result == {"batchItemFailures": []}
    assert chat.key_active(provider) is False
    ref = reference(chat, payload)
    label = LABELS[provider]
    if slug == "lilith":
        expected = (
            f"{LILITH_SAYS}\nYour OpenRouter API key was rejected, so it has been switched off. "
            f"Add a working key with `/wallet set`.\n||ref: {ref}||"
        )
    else:
        expected = (
            f"Your {label} API key was rejected (invalid, revoked or expired), so it has been "
            f"switched off. Add a working key with `/wallet set`.\n||ref: {ref}||"
        )
    assert private_reply(chat, payload) == expected
    dm_channel = chat.discord.sink.calls_to("POST /users/@me/channels")
    assert [call.json for call in dm_channel] == [{"recipient_id": GUILD.user_id}]
    dms = chat.discord.sink.calls_to(r"POST /channels/\d+/messages")
    assert [call.json for call in dms] == [
        {
            "content": f"Your {label} API key was rejected (invalid, revoked or expired), so it "
            "has been switched off. Add a working key with `/wallet set`.",
            "allowed_mentions": NO_MENTIONS,
        }
    ]
    assert all(call.bot_auth for call in dm_channel + dms)
    # One call with the user's key; the guest key (OpenRouter) was not tried after it.
    assert len(chat.provider(provider).requests) == 1
    assert all(
        r.headers.get("authorization") != f"Bearer {GUEST_KEY}"
        for r in chat.provider("openrouter").requests
    )
    assert chat.status(payload["id"]) == ("failed", 1)
    assert_nothing_recorded(chat)


def test_after_an_invalid_key_the_next_chat_says_it_is_off_and_never_uses_the_guest_key(chat):
    chat.store_key("openai", WRONG["openai"])
    chat.guest_mode()
    chat.chat("ada", "one")
    chat.discord.reset()
    payload, result = chat.chat("ada", "two")

    assert result == {"batchItemFailures": []}
    assert private_reply(chat, payload) == (
        "Your OpenAI API key is switched off because OpenAI rejected it. Add a working key with "
        "`/wallet set`, or check this one again with `/wallet test`."
        f"\n||ref: {reference(chat, payload)}||"
    )
    assert len(chat.provider("openai").requests) == 1  # the first chat's, none since
    assert chat.provider("openrouter").requests == []  # the guest key stayed unused
    assert chat.status(payload["id"]) == ("failed", 1)
    assert_nothing_recorded(chat)


def test_a_removed_key_lets_guest_mode_answer_again(chat):
    """Guest mode is for users without a key: one who removes theirs is such a user."""
    chat.store_key("openai", WRONG["openai"])
    chat.guest_mode()
    chat.chat("ada", "one")
    chat.db.execute("DELETE FROM user_api_keys")
    chat.provider("openrouter").queue_reply(text="Hello, guest.", tokens_in=4, tokens_out=2)
    payload, result = chat.chat("ada", "two")
    assert result == {"batchItemFailures": []}
    assert public_reply(chat, payload, "ada") == "Hello, guest."
    assert chat.provider("openrouter").last_request.headers["authorization"] == (
        f"Bearer {GUEST_KEY}"
    )


def test_a_message_of_only_spaces_is_refused_before_any_call(chat):
    chat.store_key("openai")
    payload, result = chat.chat("ada", "   ")
    assert result == {"batchItemFailures": []}
    assert private_reply(chat, payload) == (
        "Your message to Ada is empty. Write something for them to answer."
        f"\n||ref: {reference(chat, payload)}||"
    )
    assert chat.provider("openai").requests == []
    assert chat.status(payload["id"]) == ("failed", 1)
    assert_nothing_recorded(chat)


# --- provider error classes -------------------------------------------------------------------

FINAL_ERRORS = {
    # kind: (private?, the line under the personality's own error message, DM?)
    "quota": (True, "Your OpenRouter account is out of credits or quota: check it with OpenRouter.",
              True),
    "permissions": (True, "Your OpenRouter API key lacks a permission this needs.", False),
    "blocked": (False, "OpenRouter's content filter blocked this; try rephrasing.", False),
    "bad_request": (
        False,
        "OpenRouter rejected the request; see `/config show`.",
        False,
    ),
}  # fmt: skip


@pytest.mark.parametrize("kind", list(FINAL_ERRORS))
def test_final_provider_errors_reply_at_once_in_the_personalitys_voice(chat, kind):
    chat.store_key("openrouter")
    chat.provider("openrouter").queue_error(kind)
    payload, result = chat.chat("lilith", "hello")

    assert result == {"batchItemFailures": []}
    private, action, dm = FINAL_ERRORS[kind]
    text = private_reply(chat, payload) if private else public_reply(chat, payload)
    assert text == f"{LILITH_SAYS}\n{action}\n||ref: {reference(chat, payload)}||"
    dms = chat.discord.sink.calls_to(r"POST /channels/\d+/messages")
    if dm:
        assert [call.json["content"] for call in dms] == [
            "Your OpenRouter account is out of credits or quota. Check your plan and billing "
            "with OpenRouter; your key stays saved."
        ]
    else:
        assert dms == []
    assert chat.key_active("openrouter") is True
    assert chat.status(payload["id"]) == ("failed", 1)
    assert_nothing_recorded(chat)


@pytest.mark.parametrize("kind", ["rate_limit", "server_error", "unavailable"])
def test_transient_errors_retry_through_sqs_then_answer_on_the_last_receive(chat, kind):
    chat.store_key("openai")
    fake = chat.provider("openai")
    for _ in range(3):
        fake.queue_error(kind, retry_after=1 if kind == "rate_limit" else None)
    payload = chat.interact("ada", "hello")

    for receive in (1, 2):
        messages = chat.receive()
        assert messages[0]["Attributes"]["ApproximateReceiveCount"] == str(receive)
        result = chat.deliver(messages)
        assert result == {"batchItemFailures": [{"itemIdentifier": messages[0]["MessageId"]}]}
        assert chat.calls(payload["token"]) == []  # nothing shown while a retry is coming
        assert chat.status(payload["id"]) == ("processing", receive)

    last = chat.receive()
    assert last[0]["Attributes"]["ApproximateReceiveCount"] == "3"
    assert chat.deliver(last) == {"batchItemFailures": []}
    ref = reference(chat, payload)
    expected = {
        "rate_limit": "OpenAI is rate limiting requests right now. Please try again in a minute.",
        "server_error": "OpenAI is not answering right now. Please try again in a little while.",
        "unavailable": "OpenAI is not answering right now. Please try again in a little while.",
    }[kind]
    assert public_reply(chat, payload, "ada") == f"{expected}\n||ref: {ref}||"
    assert len(fake.requests) == 3
    assert chat.status(payload["id"]) == ("failed", 3)
    assert_nothing_recorded(chat)


def test_provider_timeout_is_transient(chat, monkeypatch):
    from tzurot.providers import openai

    monkeypatch.setattr(openai, "CHAT_TIMEOUT", httpx.Timeout(0.3, connect=1.0))
    monkeypatch.setenv("TZUROT_JOB_MAX_RECEIVES", "2")
    chat.store_key("openai")
    fake = chat.provider("openai")
    fake.queue_reply(text="too late", delay=1.0)
    fake.queue_reply(text="too late again", delay=1.0)
    payload = chat.interact("ada", "hello")
    first = chat.receive()
    assert chat.deliver(first)["batchItemFailures"] == [{"itemIdentifier": first[0]["MessageId"]}]
    assert chat.deliver() == {"batchItemFailures": []}
    assert public_reply(chat, payload, "ada") == (
        "OpenAI is not answering right now. Please try again in a little while.\n"
        f"||ref: {reference(chat, payload)}||"
    )


# --- Discord ----------------------------------------------------------------------------------


def test_discord_404_before_the_defer_lands_is_retried(chat):
    chat.store_key("openai")
    chat.discord.fail_next(r"PATCH /webhooks/", status=404, times=2)
    payload, result = chat.chat("ada", "hello")
    assert result == {"batchItemFailures": []}
    assert [call.status for call in chat.calls(payload["token"])] == [404, 404, 200]
    assert chat.status(payload["id"]) == ("done", 1)


def test_discord_429_is_honoured(chat):
    chat.store_key("openai")
    chat.discord.rate_limit_next(retry_after=0.2, pattern=r"PATCH /webhooks/")
    started = time.monotonic()
    payload, result = chat.chat("ada", "hello")
    assert result == {"batchItemFailures": []}
    assert [call.status for call in chat.calls(payload["token"])] == [429, 200]
    assert time.monotonic() - started >= 0.2


def test_discord_401_expired_token_stops_without_retry(chat):
    chat.store_key("openai")
    payload = chat.interact("ada", "hello")
    chat.discord.expire_token(payload["token"])
    assert chat.deliver() == {"batchItemFailures": []}
    # The answer was generated and recorded, but nothing can reach the user any more.
    assert [call.status for call in chat.calls(payload["token"])] == [401, 401]
    assert len(chat.usage_rows()) == 1 and len(chat.history_rows()) == 2
    assert chat.status(payload["id"]) == ("failed", 1)


def test_discord_down_while_replying_resends_the_committed_answer(chat):
    chat.store_key("openai")
    chat.provider("openai").queue_reply(text="The answer.", tokens_in=7, tokens_out=3)
    chat.discord.fail_next(r"PATCH /webhooks/", status=503)
    payload = chat.interact("ada", "hello")
    first = chat.receive()
    assert chat.deliver(first) == {"batchItemFailures": [{"itemIdentifier": first[0]["MessageId"]}]}
    assert chat.status(payload["id"]) == ("processing", 1)
    assert chat.deliver() == {"batchItemFailures": []}
    assert [call.status for call in chat.calls(payload["token"])] == [503, 200]
    assert chat.calls(payload["token"])[1].json["embeds"][0]["description"] == "The answer."
    assert len(chat.provider("openai").requests) == 1  # not paid twice
    assert [row[4:7] for row in chat.usage_rows()] == [(7, 3, 10)]
    assert len(chat.history_rows()) == 2
    assert chat.status(payload["id"]) == ("done", 2)


# --- database, redelivery, age, concurrency ---------------------------------------------------


def test_database_unavailable_retries_then_tells_the_user(chat, monkeypatch):
    chat.store_key("openai")
    # A worker that has served a job has its transit key: it opens the token and answers
    # without the database (a cold one cannot: see the next test).
    chat.provider("openai").queue_reply(text="Warm.")
    chat.interact("ada", "warm up")
    (warm_up,) = chat.receive()
    assert chat.deliver([warm_up]) == {"batchItemFailures": []}
    chat.sqs.delete_message(QueueUrl=chat.queue_url, ReceiptHandle=warm_up["ReceiptHandle"])
    payload = chat.interact("ada", "hello")
    monkeypatch.setenv("DATABASE_URL", "postgresql://tzurot@127.0.0.1:9/unreachable")
    first = chat.receive()
    assert chat.deliver(first) == {"batchItemFailures": [{"itemIdentifier": first[0]["MessageId"]}]}
    assert chat.calls(payload["token"]) == []
    chat.deliver()
    assert chat.deliver() == {"batchItemFailures": []}
    calls = chat.calls(payload["token"])
    assert [call.line.replace(payload["token"], "TOKEN") for call in calls] == [f"PATCH {ORIGINAL}"]
    text = calls[0].json["content"]
    assert text.startswith(
        "I can't answer right now: a service I depend on is having trouble. Please try again "
        "in a little while.\n||ref: "
    )
    assert len(chat.provider("openai").requests) == 1  # the warm-up's only


def test_a_cold_worker_cannot_answer_without_the_database(chat, monkeypatch, caplog):
    """The transit private keys live in the database: a worker container that has not loaded
    them yet cannot open the token while the database is down, so the job is retried and, if
    the outage lasts, ends in the DLQ unanswered (docs/security.md, "Failures at a worker")."""
    from tzurot.crypto import transit_keys

    transit_keys.forget_unwrapped_keys()  # a fresh container
    payload = chat.interact("ada", "hello")
    monkeypatch.setenv("DATABASE_URL", "postgresql://tzurot@127.0.0.1:9/unreachable")
    for _ in range(3):
        assert len(chat.deliver()["batchItemFailures"]) == 1
    assert chat.calls(payload["token"]) == []
    messages = [r.getMessage() for r in caplog.records if "interaction token" in r.getMessage()]
    assert messages[-1] == "could not open the job's interaction token; the user cannot be answered"


def test_redelivered_three_times_answers_once(chat):
    chat.store_key("openai")
    payload = chat.interact("ada", "hello")
    results = [chat.deliver() for _ in range(3)]
    assert results == [{"batchItemFailures": []}] * 3
    assert len(chat.provider("openai").requests) == 1
    assert lines(chat, payload) == [f"PATCH {ORIGINAL}"]
    assert len(chat.usage_rows()) == 1
    assert len(chat.history_rows()) == 2
    assert chat.status(payload["id"]) == ("done", 1)


def test_job_older_than_the_token_is_dropped_with_a_log_line(chat, caplog):
    chat.store_key("openai")
    payload = chat.interact("ada", "hello")
    chat.set_clock(chat.now + timedelta(minutes=16))
    assert chat.deliver() == {"batchItemFailures": []}
    assert chat.provider("openai").requests == []
    assert chat.calls(payload["token"]) == []
    assert chat.status(payload["id"]) is None
    logged = emitted(caplog)
    dropped = [entry for entry in logged if entry["message"].startswith("job dropped")]
    assert len(dropped) == 1
    assert dropped[0]["message"] == "job dropped: older than the 15-minute interaction token"
    assert dropped[0]["correlation_id"] == payload["id"]
    assert dropped[0]["age_seconds"] >= 15 * 60


def test_jobs_of_a_batch_run_side_by_side(chat):
    other = simulator.Identity(
        user_id="777000000000000002",
        username="bob",
        channel_id="700000000000000009",
        guild_id=GUILD.guild_id,
    )
    chat.store_key("openai")
    bob = chat.db.execute(
        "INSERT INTO users (discord_id, username) VALUES (%s, 'bob') RETURNING id",
        (other.user_id,),
    ).fetchone()[0]
    chat.store_key("openai", user_id=str(bob))
    fake = chat.provider("openai")
    fake.queue_reply(text="slow one", delay=0.8)
    fake.queue_reply(text="slow two", delay=0.8)
    first = chat.interact("ada", "one")
    second = chat.interact("ada", "two", who=other)
    messages = chat.receive()
    assert len(messages) == 2
    started = time.monotonic()
    assert chat.deliver(messages) == {"batchItemFailures": []}
    assert time.monotonic() - started < 1.5  # not 2 x 0.8 s one after the other
    for payload in (first, second):
        assert chat.status(payload["id"]) == ("done", 1)
    assert len(chat.usage_rows()) == 2


def test_a_message_that_is_not_a_job_fails_towards_the_dlq(chat):
    chat.sqs.send_message(QueueUrl=chat.queue_url, MessageBody='{"not": "a job"}')
    messages = chat.receive()
    assert chat.deliver(messages) == {
        "batchItemFailures": [{"itemIdentifier": messages[0]["MessageId"]}]
    }


# --- guest mode and limits --------------------------------------------------------------------


def test_guest_mode_answers_with_the_operators_key_and_its_own_quota(chat, monkeypatch):
    chat.guest_mode(provider="openrouter", model="meta-llama/llama-3.1-8b-instruct")
    monkeypatch.setenv("TZUROT_GUEST_DAILY_TOKEN_LIMIT", "100")
    fake = chat.provider("openrouter")
    fake.queue_reply(text="Hello, guest.", tokens_in=60, tokens_out=45)
    payload, result = chat.chat("ada", "hello")  # Ada is an OpenAI personality

    assert result == {"batchItemFailures": []}
    assert chat.provider("openai").requests == []
    request = fake.last_request
    assert request.headers["authorization"] == f"Bearer {GUEST_KEY}"
    assert request.json["model"] == "meta-llama/llama-3.1-8b-instruct"
    assert (request.json["temperature"], request.json["max_tokens"]) == (0.7, 500)
    assert chat.usage_rows() == [
        (GUILD.user_id, "ada", "openrouter", "meta-llama/llama-3.1-8b-instruct", 60, 45, 105,
         "text", "guest")
    ]  # fmt: skip
    assert public_reply(chat, payload, "ada") == "Hello, guest."

    # 105 of 100 guest tokens used today: the next guest chat is refused before any call.
    chat.discord.reset()
    payload, _ = chat.chat("ada", "again")
    text = private_reply(chat, payload)
    assert text.startswith(
        "You have used today's 100 free guest tokens. Add your own API key with `/wallet set` "
        "to keep chatting, or come back <t:"
    )
    resets = int(chat.now.replace(hour=0, minute=0).timestamp()) + 86400
    assert f"<t:{resets}:R>." in text
    assert len(fake.requests) == 1


def test_daily_limit_is_checked_before_the_call(chat, monkeypatch):
    monkeypatch.setenv("TZUROT_DAILY_TOKEN_LIMIT", "1000")
    chat.store_key("openai")
    chat.db.execute(
        "INSERT INTO usage_logs (user_id, provider, model, tokens_in, tokens_out, tokens_total, "
        "request_type, \"timestamp\") VALUES (%s, 'openai', 'gpt-4o-mini', 900, 100, 1000, "
        "'text', %s)",
        (chat.user_id, chat.now),
    )
    payload, result = chat.chat("ada", "hello")
    assert result == {"batchItemFailures": []}
    resets = int(chat.now.replace(hour=0, minute=0).timestamp()) + 86400
    assert private_reply(chat, payload) == (
        f"You have used your 1,000 tokens for today. The limit resets <t:{resets}:R>.\n"
        f"||ref: {reference(chat, payload)}||"
    )
    assert chat.provider("openai").requests == []


def test_unknown_personality_gets_suggestions(chat):
    payload, result = chat.chat("lilit", "hello")
    assert result == {"batchItemFailures": []}
    text = private_reply(chat, payload)
    assert text.startswith("I don't know a personality called “lilit”. Did you mean “Lilith”")
    assert text.endswith(f"\n||ref: {reference(chat, payload)}||")


def test_bad_user_settings_are_explained(chat):
    chat.store_key("openai")
    chat.db.execute(
        "INSERT INTO user_config_overrides (user_id, personality_id, advanced_parameters) "
        'VALUES (%s, %s, \'{"reasoningEfort": "high"}\')',
        (chat.user_id, chat.personality_ids["ada"]),
    )
    payload, _ = chat.chat("ada", "hello")
    text = private_reply(chat, payload)
    assert text.startswith(
        "Your settings for Ada can't be used: advanced_parameters.reasoningEfort: unknown key "
        "'reasoningEfort' for openai (did you mean 'reasoningEffort'?)"
    )
    assert chat.provider("openai").requests == []


def test_no_secret_reaches_a_log_line(chat, caplog):
    chat.store_key("openai", WRONG["openai"])
    chat.store_key("openrouter")
    chat.provider("openrouter").queue_error("unavailable")
    first, _ = chat.chat("ada", "hello")
    second, _ = chat.chat("lilith", "hello")
    text = "\n".join(json.dumps(entry) for entry in emitted(caplog))
    assert "chat failed" in text and "retryable failure" in text
    for secret in (WRONG["openai"], KEYS["openrouter"], BOT_TOKEN, first["token"],
                   second["token"]):  # fmt: skip
        assert secret not in text


def test_concurrent_first_contact_of_one_user(chat):
    """Two jobs of a brand-new user in one batch: both create-or-find the same user row."""
    who = simulator.Identity(
        user_id="777000000000000003",
        username="twin",
        channel_id="700000000000000010",
        guild_id=GUILD.guild_id,
    )
    chat.guest_mode()
    chat.interact("ada", "one", who=who)
    chat.interact("ada", "two", who=who)
    messages = chat.receive()
    assert len(messages) == 2
    assert chat.deliver(messages) == {"batchItemFailures": []}
    assert chat.db.execute(
        "SELECT count(*) FROM users WHERE discord_id = %s", (who.user_id,)
    ).fetchone() == (1,)
    assert len(chat.usage_rows()) == 2


def test_a_stored_key_that_no_longer_decrypts_asks_to_add_it_again(chat):
    chat.store_key("openai")
    chat.db.execute("UPDATE user_api_keys SET tag = repeat('0', 32)")
    payload, result = chat.chat("ada", "hello")
    assert result == {"batchItemFailures": []}
    assert private_reply(chat, payload) == (
        "Your saved OpenAI API key could not be read. Please add it again with `/wallet set`."
        f"\n||ref: {reference(chat, payload)}||"
    )
    assert chat.provider("openai").requests == []
    assert chat.status(payload["id"]) == ("failed", 1)
