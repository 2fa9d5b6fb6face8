"""Long-term memory through the real handlers: /chat turns are remembered and recalled in later
conversations (other channels), by vector similarity with the user's own embedding key, or by
full text where the provider has no embeddings; never across users or personalities; an
embedding failure never costs the reply; a redelivered job writes one memory."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from tests.fakes.interactions import GUILD
from tzurot_fakes.embeddings import bag_of_words

OTHER_CHANNEL = replace(GUILD, channel_id="200000000000000099")
OTHER_USER = replace(GUILD, user_id="100000000000000077", username="someone-else")
REMEMBERED = "My cat is called Miso and she hates thunderstorms"
QUESTION = "What is my cat called again?"


def enable_memory(stack, slug: str, threshold: str = "0.3", limit: int = 3) -> None:
    stack.db.execute(
        "UPDATE personalities SET ltm_enabled = true, ltm_threshold = %s, "
        "ltm_max_retrieved_summaries = %s WHERE slug = %s",
        (threshold, limit, slug),
    )


def memories(stack) -> list[tuple]:
    return stack.db.execute(
        "SELECT u.discord_id, p.slug, m.content, m.source_interaction_id, m.source_channel_id, "
        "m.embedding_model, m.dims FROM memories m JOIN users u ON u.id = m.user_id "
        "JOIN personalities p ON p.id = m.personality_id ORDER BY m.id"
    ).fetchall()


def last_user_message(fake) -> str:
    body = fake.last_request.json
    if "contents" in body:  # Gemini
        return body["contents"][-1]["parts"][0]["text"]
    return body["messages"][-1]["content"]


def memory_block(stack, speaker: str, day: datetime, lines: list[str], personality: str) -> str:
    entries = "\n".join(
        f"[{day:%A, %d %B %Y}]\n{speaker}: {question}\n{personality}: {answer}"
        for question, answer in lines
    )
    return (
        "<memories>\n"
        f"From your earlier conversations with {speaker} (dates in their time zone):\n"
        f"{entries}\n</memories>"
    )


def test_a_turn_is_remembered_and_recalled_in_another_channel(chat):
    enable_memory(chat, "ada")
    chat.store_key("openai")
    chat.db.execute("UPDATE users SET timezone = 'Pacific/Auckland' WHERE id = %s", (chat.user_id,))
    chat.set_clock(datetime(2026, 3, 1, 11, 30, tzinfo=UTC))  # already 2 March in Auckland
    openai = chat.provider("openai")
    openai.queue_reply(text="Miso! What a lovely name.", tokens_in=20, tokens_out=6)
    first, _ = chat.chat("ada", REMEMBERED)

    [row] = memories(chat)
    assert row == (
        GUILD.user_id,
        "ada",
        f"{GUILD.username}: {REMEMBERED}\nAda: Miso! What a lovely name.",
        first["id"],
        GUILD.channel_id,
        "text-embedding-3-small",
        1536,
    )
    [embedded] = openai.embeddings.requests
    assert embedded.json == {
        "model": "text-embedding-3-small",
        "input": REMEMBERED,
        "encoding_format": "base64",
        "dimensions": 1536,
    }
    stored = chat.db.execute("SELECT embedding::text FROM memories").fetchone()[0]
    vector = [float(x) for x in stored.strip("[]").split(",")]
    assert vector == pytest.approx(bag_of_words(REMEMBERED, 1536), abs=1e-6)
    usage = sorted(chat.usage_rows(), key=lambda row: row[7])  # one statement: any order
    assert usage == [
        (GUILD.user_id, "ada", "openai", "text-embedding-3-small", 9, 0, 9, "embedding", "user"),
        (GUILD.user_id, "ada", "openai", "gpt-4o-mini", 20, 6, 26, "text", "user"),
    ]
    # Both count toward the daily limit.
    assert chat.db.execute("SELECT sum(tokens) FROM usage_daily").fetchone()[0] == 35

    chat.set_clock(datetime(2026, 3, 5, 9, 0, tzinfo=UTC))
    openai.queue_reply(text="Her name is Miso.")
    chat.chat("ada", QUESTION, who=OTHER_CHANNEL)
    block = memory_block(
        chat,
        GUILD.username,
        datetime(2026, 3, 2),
        [(REMEMBERED, "Miso! What a lovely name.")],
        "Ada",
    )
    sent = last_user_message(openai)
    assert sent.startswith(block + "\n<context>\n"), sent
    assert sent.endswith("\n\n" + QUESTION)
    assert len(memories(chat)) == 2


def test_the_threshold_decides_and_the_recent_history_is_not_repeated(chat):
    enable_memory(chat, "ada", threshold="0.9")
    chat.store_key("openai")
    openai = chat.provider("openai")
    chat.chat("ada", REMEMBERED)
    # Same channel: the turn is in the replayed history, so it is not recalled as well.
    chat.chat("ada", REMEMBERED + " really")
    assert "<memories>" not in last_user_message(openai)
    # Another channel, similarity about 0.5 (shared words), threshold 0.9: not recalled, and
    # full text does not speak for memories the vector search judged.
    chat.chat("ada", QUESTION, who=OTHER_CHANNEL)
    assert "<memories>" not in last_user_message(openai)

    chat.db.execute("UPDATE personalities SET ltm_threshold = 0.3 WHERE slug = 'ada'")
    chat.chat("ada", QUESTION + "?", who=OTHER_CHANNEL)
    sent = last_user_message(openai)
    # Only the two Miso turns pass 0.3; the last question was in this channel's history.
    assert sent.count(f"{GUILD.username}: {REMEMBERED}") == 2


def test_full_text_recall_for_an_anthropic_only_user(chat):
    enable_memory(chat, "sonnet")
    chat.store_key("anthropic")
    anthropic = chat.provider("anthropic")
    anthropic.queue_reply(text="Noted: Miso.")
    chat.chat("sonnet", REMEMBERED)
    assert memories(chat)[0][5:] == (None, None)  # no vector, no model

    anthropic.queue_reply(text="Miso.")
    chat.chat("sonnet", QUESTION, who=OTHER_CHANNEL)
    sent = anthropic.last_request.json["messages"][-1]["content"]
    text = sent if isinstance(sent, str) else sent[-1]["text"]
    assert f"{GUILD.username}: {REMEMBERED}\nSonnet: Noted: Miso." in text
    assert text.startswith("<memories>\n")
    assert [row[7] for row in chat.usage_rows()] == ["text", "text"]  # no embedding anywhere
    for fake in chat.servers.providers.values():
        assert fake.embeddings.requests == []


def test_nothing_is_recalled_across_users_or_personalities(chat):
    for slug in ("ada", "gemma"):
        enable_memory(chat, slug)
    chat.store_key("openai")
    chat.store_key("google")
    chat.chat("ada", REMEMBERED)

    other = chat.db.execute(
        "INSERT INTO users (discord_id, username) VALUES (%s, %s) RETURNING id",
        (OTHER_USER.user_id, OTHER_USER.username),
    ).fetchone()[0]
    chat.store_key("openai", user_id=str(other))
    chat.chat("ada", QUESTION, who=replace(OTHER_USER, channel_id="300"))
    assert "<memories>" not in last_user_message(chat.provider("openai"))

    gemini = chat.provider("google")
    chat.chat("gemma", QUESTION, who=OTHER_CHANNEL)
    assert "<memories>" not in last_user_message(gemini)
    # Gemini's own embedding request, with its key in the header and 1536 dimensions.
    [request] = gemini.embeddings.requests
    assert request.path == "/v1/models/gemini-embedding-001:batchEmbedContents"
    assert request.json["requests"][0]["outputDimensionality"] == 1536
    assert [(r[0], r[1]) for r in memories(chat)] == [
        (GUILD.user_id, "ada"),
        (OTHER_USER.user_id, "ada"),
        (GUILD.user_id, "gemma"),
    ]


def test_memory_off_costs_nothing(chat):
    chat.store_key("openai")
    chat.chat("ada", REMEMBERED)  # ltm_enabled is NULL: off
    assert memories(chat) == []
    assert chat.provider("openai").embeddings.requests == []
    assert [row[7] for row in chat.usage_rows()] == ["text"]


def test_an_embedding_failure_leaves_the_reply_intact(chat):
    enable_memory(chat, "ada")
    chat.store_key("openai")
    openai = chat.provider("openai")
    openai.embeddings.queue_error("server_error")
    openai.queue_reply(text="Still here.")
    payload, result = chat.chat("ada", REMEMBERED)
    assert result == {"batchItemFailures": []}
    [edit] = chat.calls(payload["token"])
    assert "Still here." in str(edit.json)
    assert memories(chat)[0][5:] == (None, None)  # stored, found by full text later
    assert [row[7] for row in chat.usage_rows()] == ["text"]
    assert chat.key_active("openai")

    openai.embeddings.queue_error("invalid_key")  # an embedding 401 does not switch the key off
    chat.chat("ada", QUESTION, who=OTHER_CHANNEL)
    assert f"{GUILD.username}: {REMEMBERED}" in last_user_message(openai)  # by full text
    assert chat.key_active("openai")


def test_a_redelivered_job_writes_one_memory(chat):
    enable_memory(chat, "ada")
    chat.store_key("openai")
    chat.provider("openai").queue_reply(text="The answer.")
    chat.discord.fail_next(r"PATCH /webhooks/", status=503)
    payload = chat.interact("ada", REMEMBERED)
    first = chat.receive()
    assert chat.deliver(first)["batchItemFailures"]
    assert chat.deliver() == {"batchItemFailures": []}
    assert chat.deliver(first) == {"batchItemFailures": []}  # a late duplicate
    assert len(memories(chat)) == 1
    assert sorted(row[7] for row in chat.usage_rows()) == ["embedding", "text"]
    assert chat.status(payload["id"])[0] == "done"
