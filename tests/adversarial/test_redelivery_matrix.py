"""The redelivery matrix: each job kind's SQS message delivered 3 times, one after the other
(receive counts 1, 2, 3, as SQS numbers them) and all at once (a duplicate copy in flight):
exactly one reply, and for a paid job exactly one usage row."""

from __future__ import annotations

import json
import threading

import pytest

from tests.e2e.chat_stack import REGION, generate_app, interactions_app
from tests.e2e.imagine_stack import image_app
from tests.fakes.interactions import command, signed
from tzurot.dev.workers import sqs_event

KINDS = {
    # kind: (command arguments, queue, paid)
    "chat": (("chat", "personality=ada", "message=hello"), "generate", True),
    "imagine": (("imagine", "prompt=a boat", "personality=ada"), "image", True),
    "account": (("timezone", "set", "zone=Europe/Paris"), "generate", False),
    "help": (("help",), "generate", False),
}


def post(chat, args) -> dict:
    payload = command(*args)
    chat.sent_tokens.append(payload["token"])
    headers, body = signed(payload)
    response = interactions_app.handler(
        {
            "version": "2.0",
            "headers": {k.lower(): v for k, v in headers.items()},
            "requestContext": {"http": {"method": "POST"}},
            "body": body.decode(),
            "isBase64Encoded": False,
        },
        None,
    )
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["type"] == 5
    return payload


def queue_of(imagine, name: str) -> tuple[str, str, object]:
    if name == "image":
        return imagine.queue_url, imagine.queue_arn, image_app.handler
    return imagine.chat.queue_url, imagine.chat.queue_arn, generate_app.handler


def one_message(sqs, url: str) -> dict:
    reply = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"], VisibilityTimeout=0
    )
    (message,) = reply["Messages"]
    return message


def with_count(message: dict, count: int) -> dict:
    attributes = {**message["Attributes"], "ApproximateReceiveCount": str(count)}
    return {**message, "Attributes": attributes}


def replies(chat, payload) -> list:
    """Every Discord call that shows the user something (edits, followups; not the delete of a
    deferred message a private reply replaces)."""
    return [c for c in chat.calls(payload["token"]) if c.method in ("PATCH", "POST")]


@pytest.mark.parametrize("mode", ["sequential", "concurrent"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_three_deliveries_give_one_reply_and_one_usage_row(imagine, kind, mode):
    chat = imagine.chat
    chat.store_key("openai")
    args, queue, paid = KINDS[kind]
    for fake in chat.servers.providers.values():
        fake.queue_reply(delay=0.3)  # slow enough for the concurrent copies to overlap
    payload = post(chat, args)
    url, arn, handler = queue_of(imagine, queue)
    message = one_message(chat.sqs, url)
    if mode == "sequential":
        results = [
            handler(sqs_event([with_count(message, n)], arn, REGION), None) for n in (1, 2, 3)
        ]
    else:
        start = threading.Barrier(3)
        results = [None] * 3

        def deliver(index: int) -> None:
            start.wait()
            results[index] = handler(sqs_event([message], arn, REGION), None)

        threads = [threading.Thread(target=deliver, args=(i,)) for i in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)

    assert len(replies(chat, payload)) == 1, [c.line for c in chat.calls(payload["token"])]
    paid_calls = sum(len(fake.requests) for fake in chat.servers.providers.values())
    assert paid_calls == (1 if paid else 0)
    assert chat.status(payload["id"])[0] == "done"
    usage = chat.db.execute(
        "SELECT count(*) FROM usage_logs WHERE interaction_id = %s", (payload["id"],)
    ).fetchone()[0]
    assert usage == (1 if paid else 0)
    assert len(chat.db.execute("SELECT * FROM usage_logs").fetchall()) == (1 if paid else 0)
    if mode == "concurrent":  # the copies that found it busy were handed back, not answered
        failed = sum(len(r["batchItemFailures"]) for r in results)
        assert failed <= 2
