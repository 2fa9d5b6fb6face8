"""Finding 14: every paid call ends in a usage row and a visible answer, whatever the counts
or the shape of the answer, and through a PostgreSQL outage during the provider call."""

from __future__ import annotations

import os

import pytest

from tzurot.commands import paid
from tzurot.commands.chat import ChatTurn
from tzurot.jobs import worker


def answer_text(chat, payload) -> str:
    calls = chat.calls(payload["token"])
    assert calls, "no reply"
    return calls[0].json.get("content") or calls[0].json["embeds"][0]["description"]


def usage(chat) -> list[tuple]:
    return chat.db.execute(
        "SELECT tokens_in, tokens_out, tokens_total, counts_note FROM usage_logs ORDER BY id"
    ).fetchall()


COUNTS = {
    "negative": ({"prompt_tokens": -5, "completion_tokens": 7}, (0, 7, 7, "negative")),
    "2^31 and more": (
        {"prompt_tokens": 2**31, "completion_tokens": 2**31 + 1},
        (2**31, 2**31 + 1, 2**32 + 1, None),
    ),
    "absurd": (
        {"prompt_tokens": 10**18, "completion_tokens": 1},
        (10**12, 1, 10**12 + 1, "too_large"),
    ),
    "not numbers": ({"prompt_tokens": "many", "completion_tokens": [3]}, (0, 0, 0, "unexpected")),
}


def completion(usage_block) -> dict:
    return {
        "id": "chatcmpl-odd",
        "object": "chat.completion",
        "created": 1767225600,
        "model": "gpt-4o-mini",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "Odd but paid."},
             "finish_reason": "stop"}
        ],
        "usage": usage_block,
    }  # fmt: skip


@pytest.mark.parametrize("case", list(COUNTS))
def test_odd_token_counts_still_answer_and_leave_a_flagged_usage_row(chat, case):
    block, stored = COUNTS[case]
    chat.store_key("openai")
    chat.provider("openai").queue_raw(200, completion(block))
    payload, result = chat.chat("ada", "hello")
    assert result == {"batchItemFailures": []}
    assert answer_text(chat, payload) == "Odd but paid."
    assert usage(chat) == [stored]
    assert chat.status(payload["id"]) == ("done", 1)


@pytest.mark.parametrize(
    "body",
    [
        {"choices": [{"message": "not an object"}], "usage": {"prompt_tokens": 3}},
        {"choices": [{"message": {"content": "hi"}}], "usage": "lots"},
    ],
    ids=["message-not-an-object", "usage-not-an-object"],
)
def test_an_unreadable_answer_is_recorded_and_the_user_told(chat, body):
    chat.store_key("openai")
    chat.provider("openai").queue_raw(200, body)
    payload, result = chat.chat("ada", "hello")
    assert result == {"batchItemFailures": []}
    text = answer_text(chat, payload)
    assert text.startswith("OpenAI sent an answer I couldn't read. Please try again.\n||ref: ")
    assert usage(chat) == [(0, 0, 0, "unreadable")]
    assert len(chat.provider("openai").requests) == 1  # not retried: it would be paid again
    assert chat.status(payload["id"]) == ("failed", 1)


def test_a_database_outage_during_the_call_spools_the_usage_and_still_answers(chat, monkeypatch):
    chat.store_key("openai")
    database_url = os.environ["DATABASE_URL"]
    monkeypatch.setattr(paid, "RETRY_DELAYS", (0.0, 0.0))
    monkeypatch.setattr(paid, "SPOOL_DELAY", 0)
    real_call = ChatTurn._call

    def call_then_lose_the_database(self, *args):
        result = real_call(self, *args)
        monkeypatch.setenv("DATABASE_URL", "postgresql://tzurot@127.0.0.1:9/down?connect_timeout=1")
        worker._local.conn.close()  # the job's open connection dies with the server
        return result

    monkeypatch.setattr(ChatTurn, "_call", call_then_lose_the_database)
    payload, result = chat.chat("ada", "hello")
    assert result == {"batchItemFailures": []}
    assert answer_text(chat, payload) == "Hello from the fake provider."  # answered anyway
    assert usage(chat) == []  # not yet: spooled

    monkeypatch.setattr(ChatTurn, "_call", real_call)
    # the rig never deletes what it delivers: the spool job is the new message beside the job
    spooled = [m for m in chat.receive() if '"source":"spool"' in m["Body"]]
    assert len(spooled) == 1
    assert "hello" in spooled[0]["Body"]  # the turn travels with it; no key, no token
    assert chat.keyring is not None and "sk-" not in spooled[0]["Body"]

    # still down: handed back to SQS, to come again
    assert chat.deliver(spooled) == {
        "batchItemFailures": [{"itemIdentifier": spooled[0]["MessageId"]}]
    }
    monkeypatch.setenv("DATABASE_URL", database_url)
    again = [m for m in chat.receive() if '"source":"spool"' in m["Body"]]
    assert chat.deliver(again) == {"batchItemFailures": []}
    assert usage(chat) == [(10, 5, 15, None)]
    rows = chat.history_rows()
    assert [row[2] for row in rows] == ["user", "assistant"]
    assert rows[1][3] == "Hello from the fake provider."
    assert chat.status(payload["id"]) == ("done", 1)
    # delivered once more (SQS is at least once): written once
    assert chat.deliver(again) == {"batchItemFailures": []}
    assert len(usage(chat)) == 1 and len(chat.history_rows()) == 2
