"""/memory, /history clear and /privacy end to end: listing and forgetting (with autocomplete of
the user's own memories), clearing and erasing behind confirmation buttons (cancel, stale and
foreign buttons answered inline), memory off/on as /chat sees it, the export file."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from tests.e2e.conftest import private
from tests.fakes.interactions import GUILD, autocomplete
from tzurot.dev import simulator
from tzurot.discord import components

OTHER_USER = replace(GUILD, user_id="100000000000000077", username="someone-else")
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def add_memory(account, slug: str, content: str, *, user_id=None, minutes: int = 0) -> int:
    return account.db.execute(
        "INSERT INTO memories (user_id, personality_id, content, created_at) "
        "VALUES (%s, %s, %s, %s) RETURNING id",
        (
            user_id or account.user_id,
            account.personality_ids[slug],
            content,
            T0 + timedelta(minutes=minutes),
        ),
    ).fetchone()[0]


def other_user(account) -> str:
    return str(
        account.db.execute(
            "INSERT INTO users (discord_id, username) VALUES (%s, %s) RETURNING id",
            (OTHER_USER.user_id, OTHER_USER.username),
        ).fetchone()[0]
    )


def count(account, sql: str, *params) -> int:
    return account.db.execute(f"SELECT count(*) FROM {sql}", params).fetchone()[0]


def click(account, custom_id: str, who=GUILD):
    data = {"custom_id": custom_id, "component_type": 2}
    return account.send(simulator.interaction(3, who, data))


def buttons(body: dict) -> list[str]:
    return [c["custom_id"] for row in body["components"] for c in row["components"]]


def test_list_pages_newest_first_in_the_users_zone(account):
    assert account.reply(account.command("memory", "list")) == private(
        "Nothing is remembered about you with any personality yet."
    )
    account.db.execute("UPDATE users SET timezone = 'Asia/Tokyo' WHERE id = %s", (account.user_id,))
    for n in range(11):
        add_memory(account, "ada", f"fact number {n}", minutes=n)
    add_memory(account, "gemma", "a gemma fact", minutes=30)
    first = account.reply(account.command("memory", "list"))["content"].split("\n")
    assert first[0] == "**Memories with any personality** (12), newest first:"
    assert first[1] == "• Sun 1 Mar 2026, 21:30 · Gemma: a gemma fact"
    assert first[2] == "• Sun 1 Mar 2026, 21:10 · Ada: fact number 10"
    assert len(first) == 12
    assert first[-1] == (
        "Page 1 of 2. Next: `/memory list page:2`. Forget one with `/memory forget`."
    )
    second = account.reply(account.command("memory", "list", "page=2"))["content"]
    assert "fact number 0" in second and "Page 2 of 2." in second
    only_ada = account.reply(account.command("memory", "list", "personality=Ada"))["content"]
    assert only_ada.startswith("**Memories with Ada** (11)") and "gemma" not in only_ada


def test_forget_one_chosen_with_autocomplete_of_own_memories(account):
    mine = add_memory(account, "ada", "my cat is called Miso")
    add_memory(account, "ada", "I like rain")
    theirs = add_memory(account, "ada", "their cat is Tom", user_id=other_user(account))
    answer = account.send(autocomplete("memory", "forget", "memory=cat"))
    assert answer.response == {
        "type": 8,
        "data": {
            "choices": [{"name": "2026-03-01 Ada: my cat is called Miso", "value": str(mine)}]
        },
    }
    assert answer.queued == []

    exchange = account.command("memory", "forget", f"memory={mine}")
    assert account.reply(exchange) == private("Forgotten: “my cat is called Miso”")
    assert count(account, "memories WHERE id = %s", mine) == 0
    again = account.command("memory", "forget", f"memory={mine}")
    assert account.reply(again) == private("That memory is already gone.")
    foreign = account.command("memory", "forget", f"memory={theirs}")
    assert account.reply(foreign) == private("That memory is already gone.")
    assert count(account, "memories WHERE id = %s", theirs) == 1
    for typed in ("cats", "9" * 20):
        exchange = account.command("memory", "forget", f"memory={typed}")
        assert account.reply(exchange) == private(
            "Please pick a memory from the list (start typing words it contains)."
        )


def test_clear_asks_first_and_cancel_keeps_everything(account):
    add_memory(account, "ada", "one")
    add_memory(account, "ada", "two")
    add_memory(account, "gemma", "three")
    asked = account.reply(account.command("memory", "clear", "personality=ada"))
    assert asked["content"].startswith("Delete 2 memories with Ada? This cannot be undone.")
    confirm, cancel = buttons(asked)
    assert confirm.startswith(f"confirm:memory-clear:{account.personality_ids['ada']}:")
    assert count(account, "memories") == 3

    cancelled = click(account, cancel)
    assert cancelled.response == {
        "type": 7,
        "data": {
            "content": components.CANCELLED,
            "components": [],
            "allowed_mentions": {"parse": []},
        },
    }
    assert cancelled.queued == [] and count(account, "memories") == 3

    done = click(account, confirm)
    assert done.response == {"type": 6}
    assert account.reply(done) == {**private("Deleted 2 memories."), "components": []}
    assert count(account, "memories") == 1  # Gemma's stays
    twice = click(account, confirm)
    assert account.reply(twice) == {
        **private("There was nothing left to delete."),
        "components": [],
    }


def test_stale_unknown_and_foreign_buttons_are_answered_inline(account):
    add_memory(account, "ada", "one")
    old = int(time.time()) - components.CONFIRM_SECONDS - 5
    stale = components.custom_id(True, "memory-clear", "*", old, GUILD.user_id)
    expired = click(account, stale)
    assert expired.response["type"] == 7
    assert expired.response["data"]["content"] == components.EXPIRED
    assert expired.response["data"]["components"] == []
    assert click(account, "some-old-button:1").response["data"]["content"] == (
        "That button or form has expired. Please run the command again."
    )
    mine = components.custom_id(True, "memory-clear", "*", int(time.time()), GUILD.user_id)
    foreign = click(account, mine, who=OTHER_USER)
    assert foreign.response["type"] == 4
    assert foreign.response["data"]["content"] == components.NOT_YOURS
    assert [e.queued for e in (expired, foreign)] == [[], []]
    assert count(account, "memories") == 1


def test_memory_off_and_on_as_chat_sees_it(account):
    account.db.execute("UPDATE personalities SET ltm_enabled = true WHERE slug IN ('ada', 'gemma')")
    account.store_key("openai")
    account.store_key("google")
    off = account.command("memory", "off")
    assert account.reply(off)["content"].startswith("Memory is off with any personality:")
    account.chat.chat("ada", "remember this")
    assert count(account, "memories") == 0
    assert account.provider("openai").embeddings.requests == []

    account.command("memory", "on", "personality=ada")  # on for Ada only
    account.chat.chat("ada", "remember that")
    account.chat.chat("gemma", "and this")
    assert account.db.execute("SELECT content FROM memories").fetchall() == [
        (f"{GUILD.username}: remember that\nAda: Hello from the fake provider.",)
    ]
    rows = account.db.execute(
        "SELECT personality_id IS NULL, enabled FROM memory_settings ORDER BY 1"
    ).fetchall()
    assert rows == [(False, True), (True, False)]


def test_history_clear_resets_only_this_users_turns_here(account):
    account.store_key("openai")
    other = other_user(account)
    account.store_key("openai", user_id=other)
    account.chat.chat("ada", "first")
    account.chat.chat("ada", "from someone else", who=OTHER_USER)
    account.chat.chat("gemma", "not this one")  # no Gemini key: refused, nothing stored
    cleared = account.command("history", "clear", "personality=ada")
    assert account.reply(cleared) == private(
        "Cleared your recent conversation with Ada here (2 messages). Long-term memories are "
        "kept: see `/memory`."
    )
    assert [row[3] for row in account.history_rows()] == [
        "from someone else",
        "Hello from the fake provider.",
    ]
    nothing = account.command("history", "clear")
    assert account.reply(nothing) == private(
        "You have no recent conversation with any personality here."
    )


def test_privacy_export_is_a_file_of_everything_with_key_hints_only(account):
    account.db.execute("UPDATE personalities SET ltm_enabled = true WHERE slug = 'ada'")
    account.store_key("openai")
    account.chat.chat("ada", "my cat is Miso")
    account.command("memory", "off", "personality=gemma")
    exchange = account.command("privacy", "export")
    [(line, body)] = account.replies(exchange)
    assert line.endswith("/TOKEN/messages/@original")
    assert body["content"].startswith("Everything stored about you is in the attached file")
    [call] = account.chat.calls(exchange.payload["token"])
    [attached] = call.files
    assert attached.filename == f"tzurot-data-{GUILD.user_id}.json"
    data = json.loads(attached.content)
    assert data["user"]["discord_id"] == GUILD.user_id
    assert data["api_keys"][0]["provider"] == "openai"
    assert data["api_keys"][0]["key_hint"] == "ghij"
    assert set(data["api_keys"][0]) == {
        "provider", "key_hint", "is_active", "key_version", "last_used_at", "created_at",
    }  # fmt: skip
    assert [m["content"] for m in data["memories"]] == [
        f"{GUILD.username}: my cat is Miso\nAda: Hello from the fake provider."
    ]
    assert [m["role"] for m in data["conversation_messages"]] == ["user", "assistant"]
    assert sorted(u["request_type"] for u in data["usage"]) == ["embedding", "text"]
    assert data["characters"] == []
    assert data["memory_settings"] == [
        {
            "personality": "gemma",
            "enabled": False,
            "updated_at": data["memory_settings"][0]["updated_at"],
        }
    ]
    assert "sk-proj-" not in attached.content.decode()


def test_privacy_delete_erases_after_confirmation_and_leaves_others(account):
    account.db.execute("UPDATE personalities SET ltm_enabled = true WHERE slug = 'ada'")
    account.store_key("openai")
    other = other_user(account)
    account.store_key("openai", user_id=other)
    account.chat.chat("ada", "mine")
    account.chat.chat("ada", "theirs", who=OTHER_USER)
    asked = account.reply(account.command("privacy", "delete"))
    confirm, _ = buttons(asked)
    assert count(account, "users WHERE discord_id = %s", GUILD.user_id) == 1
    done = click(account, confirm)
    assert account.reply(done)["content"] == (
        "Erased everything stored about you (including 2 conversation messages). Using the "
        "app again starts a new record."
    )
    assert count(account, "users WHERE discord_id = %s", GUILD.user_id) == 0
    remaining = {"memories": 1, "conversation_messages": 2, "usage_logs": 2, "user_api_keys": 1}
    for table, rows in remaining.items():  # the other user's, all of them
        assert count(account, f"{table} WHERE user_id = %s", other) == rows, table
        assert count(account, table) == rows, table
    assert count(account, "conversation_messages WHERE user_id IS NULL") == 0
    twice = click(account, confirm)
    assert account.reply(twice)["content"] == "There was nothing left to erase."
    assert count(account, "users WHERE discord_id = %s", GUILD.user_id) == 0  # not recreated


def test_privacy_for_someone_never_seen_creates_nothing(account):
    newcomer = replace(GUILD, user_id="100000000000000555", username="newcomer")
    for sub in ("export", "delete"):
        exchange = account.command("privacy", sub, who=newcomer)
        assert account.reply(exchange) == private("Nothing is stored about you.")
    assert count(account, "users WHERE discord_id = %s", newcomer.user_id) == 0
