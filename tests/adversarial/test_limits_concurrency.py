"""Finding 12: 20 simultaneous jobs of one user exceed a limit by at most one job's cost.

Before the fix, 20 /chat jobs 1 token under the daily limit made 10 paid calls (1,099 tokens
over), and 20 /imagine jobs made 11 images where the hourly limit allowed 1 more. Each job here
runs in its own thread with its own database connection, as 20 Lambda containers would, all
released at once; the provider answers slowly so the calls overlap.
"""

from __future__ import annotations

import threading
from datetime import timedelta

from tests.e2e.chat_stack import REGION, generate_app
from tests.e2e.imagine_stack import image_app
from tzurot.dev.workers import sqs_event

JOBS = 20
# What each answer costs: the prompt (about 250 characters: fewer tokens than that) and the
# personality's max_tokens (500) of output. A job reserves prompt characters + max_tokens.
JOB_IN, JOB_OUT = 200, 500
JOB_COST = JOB_IN + JOB_OUT


def gather(sqs, queue_url: str, count: int) -> list[dict]:
    """`count` distinct messages, each received once (hidden while we gather)."""
    found: dict[str, dict] = {}
    while len(found) < count:
        reply = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"], VisibilityTimeout=60
        )
        for message in reply.get("Messages") or []:
            found[message["MessageId"]] = message
    return list(found.values())


def run_at_once(handler, messages: list[dict], queue_arn: str) -> list[dict]:
    start = threading.Barrier(len(messages))
    results: list[dict] = [{}] * len(messages)

    def one(index: int, message: dict) -> None:
        start.wait()
        results[index] = handler(sqs_event([message], queue_arn, REGION), None)

    threads = [threading.Thread(target=one, args=pair) for pair in enumerate(messages)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def tokens_today(chat) -> int:
    return chat.db.execute("SELECT coalesce(sum(tokens), 0) FROM usage_daily").fetchone()[0]


def settle_usage(chat, tokens: int) -> None:
    chat.db.execute(
        "INSERT INTO usage_logs (user_id, provider, model, tokens_in, tokens_out, tokens_total, "
        "request_type, \"timestamp\") VALUES (%s, 'openai', 'gpt-4o-mini', %s, 0, %s, 'text', %s)",
        (chat.user_id, tokens, tokens, chat.now),
    )


def test_daily_token_limit_holds_under_20_simultaneous_chats(chat, monkeypatch):
    limit = 100_000
    monkeypatch.setenv("TZUROT_DAILY_TOKEN_LIMIT", str(limit))
    chat.store_key("openai")
    settle_usage(chat, limit - 1)  # one token under the limit
    fake = chat.provider("openai")
    for _ in range(JOBS):
        fake.queue_reply(text="paid", tokens_in=JOB_IN, tokens_out=JOB_OUT, delay=0.3)
    payloads = [chat.interact("ada", f"message {n}") for n in range(JOBS)]
    messages = gather(chat.sqs, chat.queue_url, JOBS)

    results = run_at_once(generate_app.handler, messages, chat.queue_arn)

    assert results == [{"batchItemFailures": []}] * JOBS
    paid = len(fake.requests)
    assert paid == 1  # one job fits, the 19 others are refused before any call
    assert 0 < tokens_today(chat) - limit <= JOB_COST  # over by at most that one job's cost
    refused = [p for p in payloads if chat.status(p["id"]) == ("failed", 1)]
    assert len(refused) == JOBS - 1
    assert chat.db.execute("SELECT count(*) FROM usage_reservations").fetchone()[0] == 0


def test_daily_token_limit_with_room_for_a_few_is_exceeded_by_one_job_at_most(chat, monkeypatch):
    limit = 100_000
    monkeypatch.setenv("TZUROT_DAILY_TOKEN_LIMIT", str(limit))
    chat.store_key("openai")
    settle_usage(chat, limit - 3_000)  # room for a couple of answers
    fake = chat.provider("openai")
    for _ in range(JOBS):
        fake.queue_reply(text="paid", tokens_in=JOB_IN, tokens_out=JOB_OUT, delay=0.3)
    for n in range(JOBS):
        chat.interact("ada", f"message {n}")
    messages = gather(chat.sqs, chat.queue_url, JOBS)

    run_at_once(generate_app.handler, messages, chat.queue_arn)

    assert len(fake.requests) >= 1
    assert tokens_today(chat) - limit <= JOB_COST


def test_hourly_image_limit_holds_under_20_simultaneous_images(imagine, monkeypatch):
    monkeypatch.setenv("TZUROT_IMAGE_HOURLY_LIMIT", "3")
    imagine.store_key("openai")
    for minutes in (10, 20):  # two made this hour: the limit allows one more
        imagine.db.execute(
            "INSERT INTO usage_logs (user_id, provider, model, tokens_in, tokens_out, "
            'tokens_total, request_type, "timestamp") '
            "VALUES (%s, 'openai', 'dall-e-3', 0, 1000, 1000, 'image', %s)",
            (imagine.user_id, imagine.now - timedelta(minutes=minutes)),
        )
    fake = imagine.provider("openai")
    for _ in range(JOBS):
        fake.queue_reply(delay=0.3)
    for n in range(JOBS):
        imagine.interact(f"prompt=a boat {n}", "personality=ada")
    messages = gather(imagine.sqs, imagine.queue_url, JOBS)

    results = run_at_once(image_app.handler, messages, imagine.queue_arn)

    assert results == [{"batchItemFailures": []}] * JOBS
    assert len(fake.requests) == 1
    assert len(imagine.image_usage()) == 3  # the 2 before and the one allowed
