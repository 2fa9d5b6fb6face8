"""A long /chat answer goes out in parts (the deferred message, then followups). When Discord
fails part-way, the redelivered job sends only the parts still missing: each part reaches the
channel exactly once, in order, and the provider is not paid twice."""

from __future__ import annotations

from tests.e2e.chat_stack import ChatStack
from tests.e2e.chat_stack import chat as _chat  # noqa: F401 (the `chat` fixture)
from tests.e2e.chat_stack import chat_servers as _servers  # noqa: F401 (its servers)
from tzurot.dev.simulator import DEV_APPLICATION_ID
from tzurot.discord.chunking import split_message

ORIGINAL = f"PATCH /webhooks/{DEV_APPLICATION_ID}/TOKEN/messages/@original"
FOLLOWUP = f"POST /webhooks/{DEV_APPLICATION_ID}/TOKEN"
# Four paragraphs of about 1,400 characters: four messages (two do not fit in one of 2,000).
ANSWER = "\n\n".join(f"Part {n} begins here. " + "and so the story goes on " * 55 for n in range(4))


def delivered(chat: ChatStack, payload: dict) -> list[tuple[str, int, str]]:
    """(METHOD /path, status, embed text) of every Discord call for the interaction."""
    token = payload["token"]
    return [
        (call.line.replace(token, "TOKEN"), call.status, call.json["embeds"][0]["description"])
        for call in chat.calls(token)
    ]


def replies_sent(chat: ChatStack, payload: dict) -> int:
    return chat.db.execute(
        "SELECT replies_sent FROM processed_interactions WHERE interaction_id = %s",
        (payload["id"],),
    ).fetchone()[0]


def test_discord_failing_on_the_second_followup_resends_only_the_missing_parts(chat):
    parts = split_message(ANSWER)
    assert len(parts) == 4
    chat.store_key("openai")
    chat.provider("openai").queue_reply(text=ANSWER, tokens_in=30, tokens_out=900)
    chat.discord.fail_next(r"^POST /webhooks/", status=503, after=1)  # the 2nd followup, once
    payload = chat.interact("ada", "tell me a long story")

    first = chat.receive()
    assert chat.deliver(first) == {"batchItemFailures": [{"itemIdentifier": first[0]["MessageId"]}]}
    assert replies_sent(chat, payload) == 2  # the deferred message and the 1st followup arrived
    assert chat.status(payload["id"]) == ("processing", 1)  # released for the retry

    assert chat.deliver() == {"batchItemFailures": []}

    assert delivered(chat, payload) == [
        (ORIGINAL, 200, parts[0]),
        (FOLLOWUP, 200, parts[1]),
        (FOLLOWUP, 503, parts[2]),
        (FOLLOWUP, 200, parts[2]),  # the retry: only the missing parts
        (FOLLOWUP, 200, parts[3]),
    ]
    arrived = [text for _, status, text in delivered(chat, payload) if status == 200]
    assert arrived == parts  # each part exactly once, in order
    assert len(chat.provider("openai").requests) == 1
    assert [row[4:7] for row in chat.usage_rows()] == [(30, 900, 930)]
    assert len(chat.history_rows()) == 2
    assert chat.status(payload["id"]) == ("done", 2)


def test_discord_failing_on_the_edit_resends_every_part(chat):
    """Nothing arrived: the retry sends the whole answer (and records its progress again)."""
    parts = split_message(ANSWER)
    chat.store_key("openai")
    chat.provider("openai").queue_reply(text=ANSWER)
    chat.discord.fail_next(r"^PATCH /webhooks/", status=503)
    payload = chat.interact("ada", "tell me a long story")

    chat.deliver()
    assert replies_sent(chat, payload) == 0
    assert chat.deliver() == {"batchItemFailures": []}

    arrived = [text for _, status, text in delivered(chat, payload) if status == 200]
    assert arrived == parts
    assert replies_sent(chat, payload) == 3  # recorded after each part but the last
    assert chat.status(payload["id"]) == ("done", 2)
