"""/usage and /admin usage end to end, over usage rows around the period boundaries: the exact
chart, totals and daily limit; owners only for /admin."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.e2e.conftest import OWNER_ID, private
from tests.fakes.interactions import GUILD
from tzurot.dev import simulator

# A Wednesday. The week began on Monday the 16th, the month on the 1st (all UTC).
NOW = datetime(2026, 11, 18, 14, 5, tzinfo=UTC)
OWNER = simulator.Identity(user_id=OWNER_ID, username="owner", guild_id=GUILD.guild_id)
OTHER = simulator.Identity(
    user_id="100000000000000222", username="other-user", guild_id=GUILD.guild_id
)
# (when, provider, model, tokens in, tokens out, request type, personality slug)
ROWS = [
    ("2026-11-18T10:00:00Z", "openai", "gpt-4o-mini", 1000, 234, "text", "ada"),
    ("2026-11-18T11:00:00Z", "openai", "gpt-4o-mini", 100, 100, "text", "ada"),
    ("2026-11-17T09:00:00Z", "anthropic", "claude-sonnet-4-5", 4000, 1000, "text", "sonnet"),
    ("2026-11-16T00:00:00Z", "elevenlabs", "eleven_flash_v2_5", 40, 0, "voice", "lilith"),
    ("2026-11-15T23:59:59Z", "openrouter", "x/y", 9000, 1000, "text", "lilith"),  # last week
    ("2026-10-31T23:59:59Z", "google", "gemini-2.5-flash", 99_000, 999, "text", "gemma"),
]
OTHER_ROWS = [("2026-11-17T12:00:00Z", "openai", "gpt-4o", 700, 77, "text", "ada")]


def add_usage(account, user_id: str, rows) -> None:
    for when, provider, model, tokens_in, tokens_out, kind, slug in rows:
        account.db.execute(
            "INSERT INTO usage_logs (user_id, personality_id, provider, model, tokens_in, "
            'tokens_out, tokens_total, request_type, "timestamp") '
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                user_id,
                account.personality_ids[slug],
                provider,
                model,
                tokens_in,
                tokens_out,
                tokens_in + tokens_out,
                kind,
                when,
            ),
        )


@pytest.fixture
def usage(account):
    account.set_clock(NOW)
    add_usage(account, account.user_id, ROWS)
    other = account.db.execute(
        "INSERT INTO users (discord_id, username) VALUES (%s, %s) RETURNING id",
        (OTHER.user_id, OTHER.username),
    ).fetchone()[0]
    add_usage(account, other, OTHER_ROWS)
    return account


def chart(*lines: str) -> str:
    return "```text\n" + "\n".join(lines) + "\n```"


RESETS = f"<t:{int(datetime(2026, 11, 19, tzinfo=UTC).timestamp())}:R>"
TODAY = f"Today: 1,434 of 2,000,000 tokens with your own keys; the limit resets {RESETS}."


def test_usage_today(usage):
    exchange = usage.command("usage")
    assert exchange.response == {"type": 5, "data": {"flags": 64}}
    assert usage.reply(exchange) == private(
        "**Your usage today**\n"
        "Since Wed 18 Nov 2026, 00:00 (UTC)\n"
        + chart("OpenAI · text  ████████████████████  1,434")
        + "\nTotal: 1,434 tokens (1,100 in, 334 out) in 2 requests.\n"
        + TODAY
    )


def test_usage_this_week_is_shown_from_the_users_timezone(usage):
    usage.db.execute("UPDATE users SET timezone = 'Europe/Paris' WHERE id = %s", (usage.user_id,))
    exchange = usage.command("usage", "period=week")
    assert usage.reply(exchange) == private(
        "**Your usage this week**\n"
        "Since Mon 16 Nov 2026, 01:00 (Europe/Paris)\n"
        + chart(
            "Anthropic · text    ████████████████████  5,000",
            "OpenAI · text       █████▊                1,434",
            "ElevenLabs · voice  ▏                        40",
        )
        + "\nTotal: 6,474 tokens (5,140 in, 1,334 out) in 4 requests.\n"
        + "Voice: 40 characters in 1 request.\n"
        + TODAY
    )


def test_usage_this_month(usage):
    exchange = usage.command("usage", "period=month")
    assert usage.reply(exchange)["content"].split("\n")[1:8] == [
        "Since Sun 1 Nov 2026, 00:00 (UTC)",
        "```text",
        "OpenRouter · text   ████████████████████  10,000",
        "Anthropic · text    ██████████             5,000",
        "OpenAI · text       ██▉                    1,434",
        "ElevenLabs · voice  ▏                         40",
        "```",
    ]


def test_usage_with_nothing_used(usage):
    exchange = usage.command("usage", who=OWNER)
    assert usage.reply(exchange) == private(
        "**Your usage today**\nSince Wed 18 Nov 2026, 00:00 (UTC)\nNo tokens used in this "
        f"period.\nToday: 0 of 2,000,000 tokens with your own keys; the limit resets {RESETS}."
    )


def test_admin_usage_for_an_owner(usage):
    exchange = usage.command("admin", "usage", "period=week", who=OWNER)
    assert exchange.response == {"type": 5, "data": {"flags": 64}}
    assert usage.reply(exchange) == private(
        "**Usage of all users this week**\n"
        "Since Mon 16 Nov 2026, 00:00 (UTC)\n"
        "Total: 7,251 tokens (5,840 in, 1,411 out) in 5 requests by 2 users.\n"
        "Voice: 40 characters in 1 request.\n"
        + chart(
            "Anthropic · text    ████████████████████  5,000",
            "OpenAI · text       ████████▉             2,211",
            "ElevenLabs · voice  ▏                        40",
        )
        + "\n**Top users**\n"
        f"1. <@{GUILD.user_id}> (`dev-user`): 6,474 tokens, 4 requests\n"
        f"2. <@{OTHER.user_id}> (`other-user`): 777 tokens, 1 request\n"
        "**Top personalities**\n"
        "1. Sonnet: 5,000 tokens, 1 request\n"
        "2. Ada: 2,211 tokens, 3 requests\n"
        "3. Lilith: 40 tokens, 1 request"
    )


def test_admin_usage_is_refused_to_everyone_else(usage):
    exchange = usage.command("admin", "usage")
    assert usage.reply(exchange) == private("Sorry, `/admin` is only for the bot's owners.")
    assert usage.status(exchange.payload["id"]) == ("done", 1)


def test_admin_usage_with_nothing_used(usage):
    usage.db.execute("DELETE FROM usage_logs")
    exchange = usage.command("admin", "usage", who=OWNER)
    assert usage.reply(exchange) == private(
        "**Usage of all users today**\nSince Wed 18 Nov 2026, 00:00 (UTC)\n"
        "No tokens used in this period."
    )


def test_chat_usage_shows_up(account):
    account.store_key("openai")
    account.provider("openai").queue_reply(text="Hi!", tokens_in=321, tokens_out=12)
    account.chat.chat("ada", "hello")
    account.set_clock(datetime.now(UTC))  # the rig's clock is rounded down to the minute
    lines = account.reply(account.command("usage"))["content"].split("\n")
    assert lines[3] == "OpenAI · text  ████████████████████  333"
    assert lines[5] == "Total: 333 tokens (321 in, 12 out) in 1 request."
