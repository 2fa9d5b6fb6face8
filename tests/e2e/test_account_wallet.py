"""/wallet end to end: signed modal submit or command -> interactions handler (the key sealed with
KMS) -> moto SQS -> generate handler -> the provider fake's key check -> database and the exact
private reply sent to Discord. A key that fails its check leaves no row and no plaintext in the
database, the queue bodies or the logs."""

from __future__ import annotations

import logging
import socket
from datetime import datetime

import pytest

from tests.e2e.chat_stack import KEYS
from tests.e2e.conftest import ELEVENLABS_KEY, private
from tzurot.crypto.key_store import read_user_key

ALL_KEYS = {**KEYS, "elevenlabs": ELEVENLABS_KEY}
NAMES = {
    "openai": "OpenAI",
    "anthropic": "Anthropic",
    "google": "Google Gemini",
    "openrouter": "OpenRouter",
    "elevenlabs": "ElevenLabs",
}
# The request each provider's key check makes, and where the key travels in it.
CHECKS = {
    "openai": ("GET", "/v1/models", "authorization", f"Bearer {KEYS['openai']}"),
    "anthropic": ("GET", "/v1/models", "authorization", f"Bearer {KEYS['anthropic']}"),
    "google": ("GET", "/v1beta/models", "x-goog-api-key", KEYS["google"]),
    "openrouter": ("GET", "/api/v1/key", "authorization", f"Bearer {KEYS['openrouter']}"),
    # Text-to-speech itself, with no text: only a key allowed to speak passes, nothing is spoken.
    "elevenlabs": ("POST", "/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM", "xi-api-key", ELEVENLABS_KEY),
}
DEFERRED_PRIVATELY = {"type": 5, "data": {"flags": 64}}


def fake_for(account, provider: str):
    return account.elevenlabs if provider == "elevenlabs" else account.provider(provider)


def key_rows(account) -> list[tuple]:
    return account.db.execute(
        "SELECT u.discord_id, k.provider, k.key_hint, k.is_active, k.key_version "
        "FROM user_api_keys k JOIN users u ON u.id = k.user_id ORDER BY k.provider"
    ).fetchall()


def database_text(db) -> str:
    """Every row of every table, as text: where a leaked key would show up."""
    tables = [
        row[0]
        for row in db.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        )
    ]
    return "\n".join(
        db.execute(f"SELECT coalesce(string_agg(t::text, E'\\n'), '') FROM \"{t}\" t").fetchone()[0]
        for t in tables
    )


def unix(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp())


def closed_port_url() -> str:
    """A loopback URL nothing listens on (connection refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.mark.parametrize("provider", list(NAMES))
def test_set_checks_the_key_then_stores_it_encrypted(account, provider):
    key = ALL_KEYS[provider]
    exchange = account.modal(f"wallet-set:{provider}", api_key=key)

    assert exchange.response == DEFERRED_PRIVATELY
    assert exchange.result == {"batchItemFailures": []}
    method, path, header, value = CHECKS[provider]
    fake = fake_for(account, provider)
    assert [(r.method, r.path, r.headers[header]) for r in fake.requests] == [(method, path, value)]
    assert key_rows(account) == [("100000000000000001", provider, key[-4:], True, 1)]
    assert read_user_key(account.db, account.keyring, account.user_id, provider) == (key, True)
    assert key not in database_text(account.db)
    assert all(key not in body for body in exchange.queued)
    assert account.reply(exchange) == private(
        f"Your {NAMES[provider]} key (ending in `{key[-4:]}`) works and is saved, encrypted. "
        "It is used only for your own requests; see `/wallet list`."
    )


def test_a_text_to_speech_only_elevenlabs_key_is_accepted(account):
    key = "sk_ttsOnlyElevenLabsKey0123456789abcdef012345"
    account.elevenlabs.add_key(key, {"text_to_speech"})
    exchange = account.modal("wallet-set:elevenlabs", api_key=key)
    assert account.reply(exchange)["content"].startswith("Your ElevenLabs key (ending in `2345`)")
    assert key_rows(account) == [("100000000000000001", "elevenlabs", "2345", True, 1)]
    assert [r.json for r in account.elevenlabs.requests] == [{}]  # no text: nothing spoken


@pytest.mark.parametrize(
    "permissions",
    [set(), {"speech_to_text"}, {"models_read", "voices_read", "user_read"}],
    ids=["no-permissions", "speech-to-text-only", "everything-but-text-to-speech"],
)
def test_an_elevenlabs_key_that_cannot_speak_is_refused(account, permissions):
    key = "sk_mutedElevenLabsKey0123456789abcdef0123456"
    account.elevenlabs.add_key(key, permissions)
    exchange = account.modal("wallet-set:elevenlabs", api_key=key)
    assert account.reply(exchange) == private(
        "This key lacks a permission it needs, so nothing was saved. Please give the key "
        "that permission at ElevenLabs, or use an unrestricted key, then run `/wallet set` again."
    )
    assert key_rows(account) == []
    assert key not in database_text(account.db)


REJECTIONS = {
    "invalid": (
        "OpenAI rejected this key (invalid, revoked or expired), so nothing was saved. Please "
        "check that you copied the whole key, then run `/wallet set` again."
    ),
    "quota": (
        "OpenAI says the account behind this key is out of credits or quota, so nothing was "
        "saved. Please add credits or check your plan with OpenAI, then run `/wallet set` again."
    ),
    "permissions": (
        "This key lacks a permission it needs, so nothing was saved. "
        "Please give the key that permission at OpenAI, or use an unrestricted key, then run "
        "`/wallet set` again."
    ),
    "unreachable": (
        "I couldn't reach OpenAI to check this key, so nothing was saved. Please try again in "
        "a few minutes, then run `/wallet set` again."
    ),
}


@pytest.mark.parametrize("case", list(REJECTIONS))
def test_a_rejected_key_leaves_nothing_behind(account, case, caplog, capsys, monkeypatch):
    caplog.set_level(logging.DEBUG)
    key = "sk-proj-rejectedKey0123456789abcdefghijklmnop"
    fake = account.provider("openai")
    if case == "unreachable":
        monkeypatch.setenv("OPENAI_BASE_URL", closed_port_url())
    else:
        fake.valid_keys.add(key)
        if case != "invalid":
            fake.queue_error(case)
        else:
            fake.valid_keys.discard(key)

    exchange = account.modal("wallet-set:openai", api_key=key)

    assert exchange.result == {"batchItemFailures": []}
    assert account.reply(exchange) == private(REJECTIONS[case])
    assert key_rows(account) == []
    assert account.status(exchange.payload["id"]) == ("done", 1)
    # The plaintext (or any 12 characters of it) is nowhere.
    output = capsys.readouterr()
    places = {
        "database": database_text(account.db),
        "queue": "\n".join(account.sqs_bodies),
        "captured logs": caplog.text,
        "stdout": output.out,
        "stderr": output.err,
    }
    assert account.sqs_bodies, "the key went through SQS (sealed)"
    for where, text in places.items():
        for start in range(len(key) - 11):
            assert key[start : start + 12] not in text, f"key material in {where}"
    assert "key check failed" in caplog.text  # the logs were captured at all


def test_an_openrouter_key_without_credit_is_refused(account):
    account.provider("openrouter").key_info["limit_remaining"] = 0
    try:
        exchange = account.modal("wallet-set:openrouter", api_key=KEYS["openrouter"])
    finally:
        account.provider("openrouter").key_info["limit_remaining"] = 7.5
    assert account.reply(exchange) == private(
        "OpenRouter says the account behind this key is out of credits or quota, so nothing was "
        "saved. Please add credits or check your plan with OpenRouter, then run `/wallet set` "
        "again."
    )
    assert key_rows(account) == []


def test_set_replaces_an_earlier_key(account):
    account.store_key("openai", "sk-proj-oldKey0123456789abcdefghijklmnopWXYZ")
    account.db.execute("UPDATE user_api_keys SET is_active = false")
    account.modal("wallet-set:openai", api_key=KEYS["openai"])
    assert key_rows(account) == [("100000000000000001", "openai", KEYS["openai"][-4:], True, 1)]
    assert read_user_key(account.db, account.keyring, account.user_id, "openai") == (
        KEYS["openai"],
        True,
    )


def test_list_shows_state_and_at_most_the_last_four_characters(account):
    keys = {
        "anthropic": "sk-ant-api03-Zq8vXw2LmN4pR7tY1uK9eJ3hG6fD0sA5cB",
        "openai": "sk-proj-Hy6TgB3nMq9WzX2cV7pL4kJ8rF1dS5aE0uQo",
    }
    for provider, key in keys.items():
        account.store_key(provider, key)
    account.db.execute(
        "UPDATE user_api_keys SET is_active = false, "
        "created_at = '2026-11-01T10:00:00Z', updated_at = now() WHERE provider = 'openai'"
    )
    account.db.execute(
        "UPDATE user_api_keys SET created_at = '2026-10-05T08:00:00Z', "
        "last_used_at = '2026-11-20T12:00:00Z' WHERE provider = 'anthropic'"
    )

    exchange = account.command("wallet", "list")

    assert exchange.response == DEFERRED_PRIVATELY
    content = account.reply(exchange)["content"]
    assert content == (
        "**Your API keys**\n"
        "• **Anthropic**: active · key ending in `A5cB` · added "
        f"<t:{unix('2026-10-05T08:00:00Z')}:D> · last used "
        f"<t:{unix('2026-11-20T12:00:00Z')}:R>\n"
        "• **OpenAI**: switched off (failed a check; see `/wallet test`) · key ending in "
        f"`0uQo` · added <t:{unix('2026-11-01T10:00:00Z')}:D> · not used yet\n"
        "No key for Google Gemini, OpenRouter, ElevenLabs. Add one with `/wallet set`."
    )
    for key in keys.values():
        for start in range(len(key) - 4):
            assert key[start : start + 5] not in content


def test_list_without_keys(account):
    exchange = account.command("wallet", "list")
    assert account.reply(exchange) == private(
        "You have no API keys saved. Add one with `/wallet set`: it is checked with the "
        "provider, stored encrypted, and used only for your own requests."
    )


def test_remove_deletes_the_row(account):
    account.store_key("google")
    account.store_key("openai")
    first = account.command("wallet", "remove", "provider=google")
    assert account.reply(first) == private(
        "Your Google Gemini key was deleted. Nothing of it is kept."
    )
    assert key_rows(account) == [("100000000000000001", "openai", KEYS["openai"][-4:], True, 1)]
    again = account.command("wallet", "remove", "provider=google")
    assert account.reply(again) == private(
        "You have no Google Gemini key saved, so nothing changed."
    )


def test_test_switches_a_key_off_and_back_on(account):
    account.store_key("anthropic")
    fake = account.provider("anthropic")
    fake.valid_keys.discard(KEYS["anthropic"])  # revoked at Anthropic
    try:
        off = account.command("wallet", "test", "provider=anthropic")
    finally:
        fake.valid_keys.add(KEYS["anthropic"])
    assert account.reply(off) == private(
        "Anthropic rejected your saved key (invalid, revoked or expired), so it has been "
        "switched off. Please check that you copied the whole key, then add it with "
        "`/wallet set`."
    )
    assert account.key_active("anthropic") is False

    on = account.command("wallet", "test", "provider=anthropic")
    assert account.reply(on) == private(
        "Your Anthropic key works again, so it has been switched back on."
    )
    assert account.key_active("anthropic") is True

    again = account.command("wallet", "test", "provider=anthropic")
    assert account.reply(again) == private("Your Anthropic key works.")
    assert [r.path for r in fake.requests] == ["/v1/models"] * 3


def test_test_keeps_a_key_whose_account_is_out_of_credit(account):
    account.store_key("google")
    account.provider("google").queue_error("quota")
    exchange = account.command("wallet", "test", "provider=google")
    assert account.reply(exchange) == private(
        "Google Gemini says the account behind your saved key is out of credits or quota. The "
        "key stays as it was; please add credits or check your plan with Google Gemini."
    )
    assert account.key_active("google") is True


def test_test_without_a_key(account):
    exchange = account.command("wallet", "test", "provider=elevenlabs")
    assert account.reply(exchange) == private(
        "You have no ElevenLabs key saved. Add one with `/wallet set`."
    )
    assert account.elevenlabs.requests == []


def test_a_redelivered_job_is_not_answered_twice(account):
    exchange = account.modal("wallet-set:openai", api_key=KEYS["openai"])
    # SQS delivers the same message again after it was handled.
    again = account.deliver(
        [
            {
                "MessageId": "redelivered",
                "ReceiptHandle": "r",
                "Body": exchange.queued[0],
                "Attributes": {"ApproximateReceiveCount": "2"},
            }
        ]
    )
    assert again == {"batchItemFailures": []}
    assert len(account.replies(exchange)) == 1
    assert len(account.provider("openai").requests) == 1


@pytest.mark.parametrize("provider", ["anthropic", "google", "openrouter", "elevenlabs"])
@pytest.mark.parametrize("kind", ["invalid_key", "quota", "permissions", "rate_limit"])
def test_each_provider_says_why_a_key_was_refused(account, provider, kind):
    fake = fake_for(account, provider)
    key = ALL_KEYS[provider]
    if kind == "invalid_key":
        fake.valid_keys.discard(key)
    else:
        fake.queue_error(kind)
    try:
        exchange = account.modal(f"wallet-set:{provider}", api_key=key)
    finally:
        fake.valid_keys.add(key)
    name = NAMES[provider]
    text = account.reply(exchange)["content"]
    if kind == "invalid_key":
        assert text == (
            f"{name} rejected this key (invalid, revoked or expired), so nothing was saved. "
            "Please check that you copied the whole key, then run `/wallet set` again."
        )
    elif kind == "quota":
        assert text == (
            f"{name} says the account behind this key is out of credits or quota, so nothing "
            f"was saved. Please add credits or check your plan with {name}, then run "
            "`/wallet set` again."
        )
    elif kind == "permissions":
        assert text == (
            "This key lacks a permission it needs, so nothing was saved. Please give the key "
            f"that permission at {name}, or use an unrestricted key, then run `/wallet set` "
            "again."
        )
    else:
        assert text == (
            f"{name} is rate limiting requests and couldn't check this key, so nothing was "
            "saved. Please try again in a few minutes, then run `/wallet set` again."
        )
    assert key_rows(account) == []


def test_test_leaves_the_key_as_it_was_when_the_provider_is_unreachable(account, monkeypatch):
    account.store_key("openai")
    account.db.execute("UPDATE user_api_keys SET is_active = false")
    monkeypatch.setenv("OPENAI_BASE_URL", closed_port_url())
    exchange = account.command("wallet", "test", "provider=openai")
    assert account.reply(exchange) == private(
        "I couldn't reach OpenAI to check your saved key. The key stays as it was; please try "
        "again in a few minutes."
    )
    assert account.key_active("openai") is False
