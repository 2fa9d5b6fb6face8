"""/chat end to end, per provider: signed interaction -> SQS -> generate handler -> fake provider
-> fake Discord; the exact provider body, the exact Discord bodies, usage and history rows."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.e2e.chat_stack import (
    AVATAR,
    GUILD,
    KEYS,
    PERSONALITIES,
    context_text,
    system_prompt,
)
from tests.e2e.chat_stack import chat as _chat  # noqa: F401 (the `chat` fixture)
from tests.e2e.chat_stack import chat_servers as _servers  # noqa: F401 (its servers)
from tests.fakes.interactions import DM
from tzurot.dev import simulator

NO_MENTIONS = {"parse": []}


def expected_body(provider: str, model: str, system: str, messages: list[dict]) -> dict:
    """The wire body each provider gets for the seeded config (temperature 0.7, 500 tokens)."""
    if provider in ("openai", "openrouter"):
        # OpenAI deprecated max_tokens for max_completion_tokens; OpenRouter still takes it.
        limit = "max_completion_tokens" if provider == "openai" else "max_tokens"
        return {
            "model": model,
            "messages": [{"role": "system", "content": system}, *messages],
            "temperature": 0.7,
            limit: 500,
        }
    if provider == "anthropic":
        # API version 2026-10-21 takes no temperature: kept in the config, not sent.
        return {"model": model, "max_tokens": 500, "system": system, "messages": messages}
    return {
        "contents": [
            {
                "role": "model" if m["role"] == "assistant" else "user",
                "parts": [{"text": m["content"]}],
            }
            for m in messages
        ],
        "systemInstruction": {"parts": [{"text": system}]},
        "generationConfig": {"temperature": 0.7, "maxOutputTokens": 500},
    }


AUTH_HEADERS = {
    "openai": ("authorization", f"Bearer {KEYS['openai']}"),
    "openrouter": ("authorization", f"Bearer {KEYS['openrouter']}"),
    "anthropic": ("authorization", f"Bearer {KEYS['anthropic']}"),
    "google": ("x-goog-api-key", KEYS["google"]),
}


@pytest.mark.parametrize("slug", list(PERSONALITIES))
def test_chat_with_each_provider(chat, slug):
    name, provider, model = PERSONALITIES[slug]
    chat.store_key(provider)
    fake = chat.provider(provider)
    fake.queue_reply(text=f"Greetings from {name}.", tokens_in=321, tokens_out=12)

    payload, result = chat.chat(slug.upper(), "hi there")  # names resolve case-insensitively

    assert result == {"batchItemFailures": []}
    assert len(fake.requests) == 1
    request = fake.last_request
    header, value = AUTH_HEADERS[provider]
    assert request.headers[header] == value
    assert request.json == expected_body(
        provider,
        model,
        system_prompt(name),
        [{"role": "user", "content": context_text("hi there", chat.now)}],
    )
    calls = chat.calls(payload["token"])
    assert [call.line.replace(payload["token"], "TOKEN") for call in calls] == [
        f"PATCH /webhooks/{simulator.DEV_APPLICATION_ID}/TOKEN/messages/@original"
    ]
    assert calls[0].json == {
        "embeds": [
            {
                "author": {"name": name, "icon_url": AVATAR.format(slug=slug)},
                "description": f"Greetings from {name}.",
            }
        ],
        "allowed_mentions": NO_MENTIONS,
    }
    assert chat.usage_rows() == [
        (GUILD.user_id, slug, provider, model, 321, 12, 333, "text", "user")
    ]
    assert chat.history_rows() == [
        (GUILD.channel_id, slug, "user", "hi there", payload["id"]),
        (GUILD.channel_id, slug, "assistant", f"Greetings from {name}.", payload["id"]),
    ]
    assert chat.status(payload["id"]) == ("done", 1)
    assert chat.db.execute("SELECT last_used_at IS NOT NULL FROM user_api_keys").fetchone() == (
        True,
    )


def test_history_is_replayed_and_the_alias_resolves(chat):
    chat.store_key("openrouter")
    fake = chat.provider("openrouter")
    fake.queue_reply(text="First answer.")
    fake.queue_reply(text="Second answer.")
    chat.chat("lilith", "first question")
    _, result = chat.chat("LIL", "second question")

    assert result == {"batchItemFailures": []}
    assert fake.last_request.json["messages"][1:] == [
        {
            "role": "user",
            "content": "<context>\nSpeaking with: dev-user\n</context>\n\nfirst question",
        },
        {"role": "assistant", "content": "First answer."},
        {"role": "user", "content": context_text("second question", chat.now)},
    ]
    # The system message is byte-identical between the turns (provider prompt caches).
    first, second = (r.json["messages"][0]["content"] for r in fake.requests)
    assert first == second
    assert [row[2:4] for row in chat.history_rows()] == [
        ("user", "first question"),
        ("assistant", "First answer."),
        ("user", "second question"),
        ("assistant", "Second answer."),
    ]


SYSTEM_FIELD = {
    "openai": lambda body: body["messages"][0]["content"],
    "openrouter": lambda body: body["messages"][0]["content"],
    "anthropic": lambda body: body["system"],
    "google": lambda body: body["systemInstruction"]["parts"][0]["text"],
}


@pytest.mark.parametrize("slug", list(PERSONALITIES))
def test_system_prompt_is_byte_identical_between_turns(chat, slug):
    """Provider prompt caches key on the prompt's start: the date, time, zone and speaker of a
    turn never reach the system prompt, whoever speaks and whenever."""
    name, provider, model = PERSONALITIES[slug]
    bob = simulator.Identity(
        user_id="777000000000000004",
        username="bob",
        channel_id=GUILD.channel_id,
        guild_id=GUILD.guild_id,
    )
    bob_id = chat.db.execute(
        "INSERT INTO users (discord_id, username, timezone) VALUES (%s, 'bob', 'Asia/Tokyo') "
        "RETURNING id",
        (bob.user_id,),
    ).fetchone()[0]
    chat.store_key(provider)
    chat.store_key(provider, user_id=str(bob_id))
    fake = chat.provider(provider)
    fake.queue_reply(text="First answer.")
    # The first turn a day earlier in the worker's clock (the interaction itself is new: the
    # clock may only run behind the interaction ids, or the job would be dropped as expired).
    second_turn = chat.now
    first_turn = second_turn - timedelta(days=1, hours=3, minutes=7)
    chat.set_clock(first_turn)
    chat.chat(slug, "first question")
    chat.set_clock(second_turn)
    chat.chat(slug, "second question", who=bob)

    first, second = (request.json for request in fake.requests)
    system = SYSTEM_FIELD[provider]
    assert system(first) == system(second) == system_prompt(name)
    assert second == expected_body(
        provider,
        model,
        system_prompt(name),
        [
            {
                "role": "user",
                "content": "<context>\nSpeaking with: dev-user\n</context>\n\nfirst question",
            },
            {"role": "assistant", "content": "First answer."},
            {
                "role": "user",
                "content": context_text("second question", chat.now, "bob", tz="Asia/Tokyo"),
            },
        ],
    )
    assert first == expected_body(
        provider,
        model,
        system_prompt(name),
        [{"role": "user", "content": context_text("first question", first_turn)}],
    )


def test_past_turns_of_two_users_in_one_channel_carry_each_speakers_name(chat):
    """Several people talk to one personality in a channel: each replayed question names who
    asked it (their users.username), fetched in the same statement as the rest of the state."""
    bob = simulator.Identity(
        user_id="777000000000000005",
        username="bob",
        channel_id=GUILD.channel_id,
        guild_id=GUILD.guild_id,
    )
    chat.store_key("openai")
    fake = chat.provider("openai")
    for answer in ("Hello, dev-user.", "Hello, Bob.", "You are dev-user."):
        fake.queue_reply(text=answer)
    chat.chat("ada", "I'm the first one here.")
    bob_id = chat.db.execute(
        "INSERT INTO users (discord_id, username) VALUES (%s, 'bob') RETURNING id", (bob.user_id,)
    ).fetchone()[0]
    chat.store_key("openai", user_id=str(bob_id))
    chat.chat("ada", "And I'm Bob.", who=bob)
    chat.chat("ada", "Who am I?")

    assert fake.last_request.json["messages"][1:] == [
        {
            "role": "user",
            "content": "<context>\nSpeaking with: dev-user\n</context>\n\nI'm the first one here.",
        },
        {"role": "assistant", "content": "Hello, dev-user."},
        {"role": "user", "content": "<context>\nSpeaking with: bob\n</context>\n\nAnd I'm Bob."},
        {"role": "assistant", "content": "Hello, Bob."},
        {"role": "user", "content": context_text("Who am I?", chat.now)},
    ]
    # Stored as written: the names come from users, not from the history rows.
    assert [row[2:4] for row in chat.history_rows()][:4] == [
        ("user", "I'm the first one here."),
        ("assistant", "Hello, dev-user."),
        ("user", "And I'm Bob."),
        ("assistant", "Hello, Bob."),
    ]


def test_history_window_is_the_configured_number_of_messages(chat):
    chat.store_key("openai")
    pid = chat.personality_ids["ada"]
    for n in range(10):
        chat.db.execute(
            "INSERT INTO conversation_messages (channel_id, personality_id, role, content) "
            "VALUES (%s, %s, %s, %s)",
            (GUILD.channel_id, pid, "user" if n % 2 == 0 else "assistant", f"m{n}"),
        )
    chat.db.execute(
        "INSERT INTO conversation_messages (channel_id, personality_id, role, content) "
        "VALUES ('999', %s, 'user', 'another channel')",
        (pid,),
    )
    chat.chat("ada", "now")
    sent = chat.provider("openai").last_request.json["messages"]
    # max_conversation_history = 6: m4..m9, starting with a user message.
    assert [m["content"] for m in sent[1:-1]] == ["m4", "m5", "m6", "m7", "m8", "m9"]


def test_user_timezone_goes_into_the_last_turn(chat):
    chat.store_key("openai")
    chat.db.execute("UPDATE users SET timezone = 'Asia/Tokyo'")
    chat.chat("ada", "what time is it?")
    last = chat.provider("openai").last_request.json["messages"][-1]["content"]
    assert last == context_text("what time is it?", chat.now, tz="Asia/Tokyo")


def test_user_overrides_change_the_provider_call(chat):
    chat.store_key("openai")
    chat.db.execute(
        "INSERT INTO user_config_overrides (user_id, personality_id, provider, model, "
        "temperature, advanced_parameters) VALUES (%s, %s, 'openai', 'gpt-4o', 0.20, "
        "'{\"seed\": 42}')",
        (chat.user_id, chat.personality_ids["lilith"]),
    )
    chat.chat("lilith", "hello")
    assert chat.provider("openrouter").requests == []
    body = chat.provider("openai").last_request.json
    assert (body["model"], body["temperature"], body["max_completion_tokens"]) == (
        "gpt-4o",
        0.2,
        500,
    )
    assert "seed" not in body  # deprecated in chat completions: kept in the override only
    assert chat.usage_rows()[0][2:4] == ("openai", "gpt-4o")


def test_long_answer_continues_in_followups(chat):
    chat.store_key("openai")
    paragraph = " ".join(f"Sentence {n} of a long and thoughtful answer." for n in range(35))
    code = "```python\n" + "".join(f"print({n})\n" for n in range(60)) + "```"
    answer = f"{paragraph}\n\n{paragraph}\n\n{code}\n\nThat is all."
    chat.provider("openai").queue_reply(text=answer, tokens_in=50, tokens_out=1500)
    payload, result = chat.chat("ada", "tell me everything")

    assert result == {"batchItemFailures": []}
    calls = chat.calls(payload["token"])
    assert [call.method for call in calls] == ["PATCH", "POST", "POST"]
    pieces = [call.json["embeds"][0]["description"] for call in calls]
    assert pieces == [paragraph, paragraph, f"{code}\n\nThat is all."]
    assert calls[0].json["embeds"][0]["author"]["name"] == "Ada"
    for call in calls[1:]:
        assert call.json == {
            "embeds": [{"description": call.json["embeds"][0]["description"]}],
            "allowed_mentions": NO_MENTIONS,
        }
        assert call.status == 200
    # History keeps the whole answer as one message.
    assert chat.history_rows()[-1][3] == answer


def test_linked_messages_are_fetched_with_the_bot_token(chat):
    chat.store_key("openai")
    guilds = chat.discord.sink.guilds  # a server where everyone may read #general
    guilds.add_guild(GUILD.guild_id)
    guilds.add_member(GUILD.guild_id, {"id": GUILD.user_id, "username": GUILD.username})
    guilds.add_channel("300000000000000003", GUILD.guild_id)
    linked = chat.discord.sink.add_message(
        "300000000000000003",
        "the quarterly numbers are up",
        author={"id": "5", "username": "bob", "global_name": "Bob B."},
    )
    link = f"https://discord.com/channels/{GUILD.guild_id}/300000000000000003/{linked['id']}"
    chat.chat("ada", f"what do you think of {link} ? (again: {link})")
    last = chat.provider("openai").last_request.json["messages"][-1]["content"]
    assert f"[1] Bob B. at {linked['timestamp']}: the quarterly numbers are up" in last
    assert "[2]" not in last  # the same link twice is one message
    fetches = chat.discord.sink.calls_to("GET /(channels|guilds)/")
    assert [call.line for call in fetches] == [
        "GET /channels/300000000000000003",  # the user's permissions there, then the message
        f"GET /guilds/{GUILD.guild_id}",
        f"GET /guilds/{GUILD.guild_id}/members/{GUILD.user_id}",
        f"GET /channels/300000000000000003/messages/{linked['id']}",
    ]
    assert [call.bot_auth for call in fetches] == [True] * 4
    # The history keeps what the user wrote, not the context block.
    assert chat.history_rows()[0][3] == f"what do you think of {link} ? (again: {link})"


def test_links_the_user_may_not_see_are_not_fetched(chat):
    """The bot token reads any channel the bot is in; a user may only bring in messages from
    where they ran the command (the server, or in a DM, that DM)."""
    chat.store_key("openai")
    secret = chat.discord.sink.add_message("400000000000000004", "another server's secret")
    elsewhere = [
        f"https://discord.com/channels/999999999999999999/400000000000000004/{secret['id']}",
        f"https://discord.com/channels/@me/400000000000000004/{secret['id']}",
    ]
    payload, result = chat.chat("ada", "what does this say? " + " ".join(elsewhere))
    assert result == {"batchItemFailures": []}
    assert chat.discord.sink.calls_to("GET /channels/") == []
    last = chat.provider("openai").last_request.json["messages"][-1]
    assert last["content"] == context_text("what does this say? " + " ".join(elsewhere), chat.now)
    assert chat.status(payload["id"]) == ("done", 1)


def test_in_a_dm_only_links_into_that_dm_are_fetched(chat):
    chat.store_key("openai")
    mine = chat.discord.sink.add_message(DM.channel_id, "from our DM")
    other = chat.discord.sink.add_message("400000000000000005", "someone else's DM")
    text = (
        f"https://discord.com/channels/@me/{DM.channel_id}/{mine['id']} and "
        f"https://discord.com/channels/@me/400000000000000005/{other['id']}"
    )
    chat.chat("ada", text, who=DM)
    fetches = chat.discord.sink.calls_to("GET /channels/")
    assert [call.line for call in fetches] == [
        f"GET /channels/{DM.channel_id}/messages/{mine['id']}"
    ]
    last = chat.provider("openai").last_request.json["messages"][-1]["content"]
    assert "from our DM" in last and "someone else's DM" not in last


def test_linked_messages_are_skipped_quietly_without_a_bot_token(chat, monkeypatch):
    monkeypatch.delenv("DISCORD_BOT_TOKEN")
    chat.store_key("openai")
    link = "https://discord.com/channels/1/300000000000000003/300000000000000004"
    payload, result = chat.chat("ada", f"see {link}")
    assert result == {"batchItemFailures": []}
    assert chat.discord.sink.calls_to("GET /channels/") == []
    assert (
        "Messages they linked"
        not in chat.provider("openai").last_request.json["messages"][-1]["content"]
    )
    assert chat.status(payload["id"]) == ("done", 1)


def test_new_user_is_created_on_first_contact(chat):
    who = simulator.Identity(
        user_id="777000000000000001",
        username="newcomer",
        channel_id=GUILD.channel_id,
        guild_id=GUILD.guild_id,
    )
    chat.guest_mode()
    _, result = chat.chat("ada", "hello?", who=who)
    assert result == {"batchItemFailures": []}
    row = chat.db.execute(
        "SELECT username, timezone FROM users WHERE discord_id = '777000000000000001'"
    ).fetchone()
    assert row == ("newcomer", "UTC")


def test_nul_in_a_message_or_an_answer_is_dropped_and_the_turn_saved(chat):
    """A NUL used to reach the paid provider call and then fail the save: no history, no
    usage row, an error for the user. It is dropped where it arrives, and again on saving."""
    chat.store_key("openai")
    fake = chat.provider("openai")
    fake.queue_reply(text="Hel\x00lo back.", tokens_in=20, tokens_out=4)

    payload, result = chat.chat("ada", "hi\x00there")

    assert result == {"batchItemFailures": []}
    assert fake.last_request.json["messages"][-1]["content"].endswith("hithere")
    assert "\x00" not in json.dumps(fake.last_request.json)
    assert [(role, content) for _, _, role, content, _ in chat.history_rows()] == [
        ("user", "hithere"),
        ("assistant", "Hello back."),
    ]
    assert [row[4:6] for row in chat.usage_rows()] == [(20, 4)]
    assert chat.status(payload["id"]) == ("done", 1)
