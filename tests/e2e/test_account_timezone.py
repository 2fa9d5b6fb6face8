"""/timezone end to end: IANA names only (zoneinfo + tzdata), stored canonically; a polite
refusal that changes nothing; get shows the zone and the user's local time."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.e2e.conftest import private
from tests.fakes.interactions import GUILD
from tzurot.dev import simulator

NOW = datetime(2026, 7, 15, 13, 5, tzinfo=UTC)  # summer time in Europe


def stored_zone(account, discord_id: str = GUILD.user_id) -> str | None:
    row = account.db.execute(
        "SELECT timezone FROM users WHERE discord_id = %s", (discord_id,)
    ).fetchone()
    return row[0] if row else None


def test_set_stores_the_canonical_name(account):
    account.set_clock(NOW)
    exchange = account.command("timezone", "set", "zone=europe/london")
    assert exchange.response == {"type": 5, "data": {"flags": 64}}
    assert account.reply(exchange) == private(
        "Your timezone is now `Europe/London`. It's 14:05 on Wednesday 15 July 2026 there "
        "(UTC+01:00)."
    )
    assert stored_zone(account) == "Europe/London"


def test_an_unknown_zone_is_refused_politely_and_changes_nothing(account):
    account.command("timezone", "set", "zone=Asia/Tokyo")
    exchange = account.command("timezone", "set", "zone=Mars/Olympus")
    assert account.reply(exchange) == private(
        "`Mars/Olympus` isn't a timezone I know. Please use an IANA name such as "
        "`Europe/London` or `America/New_York` (start typing to see suggestions)."
    )
    assert stored_zone(account) == "Asia/Tokyo"
    assert account.status(exchange.payload["id"]) == ("done", 1)


def test_a_near_miss_gets_suggestions(account):
    exchange = account.command("timezone", "set", "zone=Europe/Londn")
    assert account.reply(exchange)["content"].endswith(
        " Did you mean `Europe/London`, `Europe/Lisbon`?"
    )
    assert stored_zone(account) == "UTC"


def test_get_shows_the_zone_and_the_local_time(account):
    account.set_clock(NOW)
    default = account.command("timezone", "get")
    assert account.reply(default) == private(
        "Your timezone is `UTC`. It's 13:05 on Wednesday 15 July 2026 there (UTC+00:00). "
        "Set your own with `/timezone set`."
    )
    account.command("timezone", "set", "zone=America/Los_Angeles")
    exchange = account.command("timezone", "get")
    assert account.reply(exchange) == private(
        "Your timezone is `America/Los_Angeles`. It's 06:05 on Wednesday 15 July 2026 there "
        "(UTC−07:00)."
    )


def test_a_new_user_is_created_by_their_first_command(account):
    newcomer = simulator.Identity(
        user_id="100000000000000555", username="newcomer", guild_id=GUILD.guild_id
    )
    account.command("timezone", "set", "zone=Asia/Kolkata", who=newcomer)
    row = account.db.execute(
        "SELECT username, timezone FROM users WHERE discord_id = %s", (newcomer.user_id,)
    ).fetchone()
    assert row == ("newcomer", "Asia/Kolkata")


def test_the_zone_reaches_chat_prompts(account):
    account.set_clock(NOW)
    account.command("timezone", "set", "zone=Asia/Kolkata")
    account.store_key("openai")
    account.chat.chat("ada", "what time is it?")
    from tests.e2e.chat_stack import context_text

    messages = account.provider("openai").last_request.json["messages"]
    assert messages[-1]["content"] == context_text("what time is it?", NOW, tz="Asia/Kolkata")
