"""A passing failure brings the job back after a short backoff (tzurot.jobs.backoff), through the
real handlers and moto's SQS: the ChangeMessageVisibility call itself, the message invisible
until the backoff runs out and visible after it, the retry answering end to end, the same with
the local stack's poller, and what is left alone (Busy claims, the last receive, a failing
call)."""

from __future__ import annotations

import time

from tests.e2e.chat_stack import ChatStack, generate_app
from tests.e2e.chat_stack import chat as _chat  # noqa: F401 (the `chat` fixture)
from tests.e2e.chat_stack import chat_servers as _servers  # noqa: F401 (its servers)
from tzurot.dev.simulator import DEV_APPLICATION_ID
from tzurot.dev.workers import QueuePoller, sqs_event
from tzurot.jobs import queue

ORIGINAL = f"PATCH /webhooks/{DEV_APPLICATION_ID}/TOKEN/messages/@original"


def record_visibility_changes(chat: ChatStack) -> list[dict]:
    """The ChangeMessageVisibility calls the workers make (on their container's SQS client)."""
    calls: list[dict] = []
    queue.sqs_client().meta.events.register(
        "before-parameter-build.sqs.ChangeMessageVisibility",
        lambda params, **_: calls.append(dict(params)),
    )
    return calls


def wait_until_visible(chat: ChatStack, since: float, limit: float = 10.0) -> tuple[list, float]:
    """Receive until the message is back; (messages, seconds since `since`)."""
    while time.monotonic() - since < limit:
        messages = chat.receive()
        if messages:
            return messages, time.monotonic() - since
        time.sleep(0.1)
    raise AssertionError("the message did not come back")


def lines(chat: ChatStack, payload: dict) -> list[str]:
    token = payload["token"]
    return [call.line.replace(token, "TOKEN") for call in chat.calls(token)]


def test_rate_limited_job_comes_back_after_the_providers_retry_after(chat):
    calls = record_visibility_changes(chat)
    chat.store_key("openai")
    fake = chat.provider("openai")
    fake.queue_error("rate_limit", retry_after=1)
    fake.queue_reply(text="Here I am.")
    payload = chat.interact("ada", "hello")
    first = chat.receive()
    started = time.monotonic()  # before the worker sets the backoff: it cannot end sooner

    result = chat.deliver(first, skip_backoff=False)

    assert result == {"batchItemFailures": [{"itemIdentifier": first[0]["MessageId"]}]}
    assert calls == [
        {
            "QueueUrl": chat.queue_url,
            "ReceiptHandle": first[0]["ReceiptHandle"],
            "VisibilityTimeout": 1,
        }
    ]
    assert chat.receive() == []  # invisible for the backoff
    again, waited = wait_until_visible(chat, since=started)
    assert 1 <= waited < 10  # after about 1 s, not the queue's 30 s default
    assert again[0]["Attributes"]["ApproximateReceiveCount"] == "2"
    assert chat.deliver(again, skip_backoff=False) == {"batchItemFailures": []}
    assert lines(chat, payload) == [ORIGINAL]
    assert chat.calls(payload["token"])[0].json["embeds"][0]["description"] == "Here I am."
    assert chat.status(payload["id"]) == ("done", 2)
    assert len(calls) == 1


def test_unavailable_provider_backs_off_10_then_20_seconds_and_not_on_the_last(chat, caplog):
    calls = record_visibility_changes(chat)
    chat.store_key("openai")
    fake = chat.provider("openai")
    for _ in range(3):
        fake.queue_error("unavailable")
    payload = chat.interact("ada", "hello")

    first = chat.receive()
    result = chat.deliver(first, skip_backoff=False)
    assert [c["VisibilityTimeout"] for c in calls] == [10]
    assert chat.receive() == []  # 10 s away: the test moves its clock on instead of waiting
    chat.end_backoff(chat.queue_url, first, result)
    second = chat.receive()
    assert second[0]["Attributes"]["ApproximateReceiveCount"] == "2"
    chat.deliver(second)
    assert [c["VisibilityTimeout"] for c in calls] == [10, 20]
    # The last receive answers the user (an error reply) and sets no backoff.
    assert chat.deliver() == {"batchItemFailures": []}
    assert [c["VisibilityTimeout"] for c in calls] == [10, 20]
    assert lines(chat, payload) == [ORIGINAL]
    assert chat.status(payload["id"]) == ("failed", 3)
    sooner = [r for r in caplog.records if r.getMessage() == "the job comes back sooner"]
    assert [r.retry_in_seconds for r in sooner] == [10, 20]


def test_a_busy_claim_keeps_the_queues_timeout(chat):
    """Another attempt holds the claim: retrying sooner would only find it busy again."""
    calls = record_visibility_changes(chat)
    chat.store_key("openai")
    payload = chat.interact("ada", "hello")
    chat.db.execute(
        "INSERT INTO processed_interactions (interaction_id, job_kind, status, reference) "
        "VALUES (%s, 'chat', 'processing', 'abcd1234')",
        (payload["id"],),
    )
    messages = chat.receive()
    assert chat.deliver(messages, skip_backoff=False) == {
        "batchItemFailures": [{"itemIdentifier": messages[0]["MessageId"]}]
    }
    assert calls == []
    assert chat.calls(payload["token"]) == []


def test_a_failing_visibility_call_is_logged_and_the_failure_still_reported(chat, caplog):
    chat.store_key("openai")
    chat.provider("openai").queue_error("unavailable")
    chat.interact("ada", "hello")
    (message,) = chat.receive()
    forged = {**message, "ReceiptHandle": "not-a-receipt-handle"}

    result = generate_app.handler(sqs_event([forged], chat.queue_arn, "us-east-1"), None)

    assert result == {"batchItemFailures": [{"itemIdentifier": message["MessageId"]}]}
    (line,) = [r for r in caplog.records if "sooner" in r.getMessage()]
    assert line.getMessage() == (
        "could not bring the job back sooner; the queue's visibility timeout applies"
    )
    assert line.error == "ReceiptHandleIsInvalid"


def test_the_local_poller_redelivers_after_the_backoff(chat):
    """`tzurot dev`'s poller receives with the queue's own visibility timeout (30 s in moto);
    the worker's backoff brings the job back after 1 s, and the poller answers it then."""
    chat.store_key("openai")
    fake = chat.provider("openai")
    fake.queue_error("rate_limit", retry_after=1)
    fake.queue_reply(text="Second time lucky.")
    payload = chat.interact("ada", "hello")
    poller = QueuePoller(chat.sqs, chat.queue_url, generate_app.handler, wait_seconds=0)
    started = time.monotonic()  # before the worker sets the backoff: it cannot end sooner

    assert poller.poll_once() == (0, 1)
    assert poller.poll_once() == (0, 0)
    while (handled := poller.poll_once()) == (0, 0) and time.monotonic() - started < 10:
        time.sleep(0.1)

    assert handled == (1, 0)
    assert 1 <= time.monotonic() - started < 10  # not the queue's 30 s
    assert lines(chat, payload) == [ORIGINAL]
    assert chat.calls(payload["token"])[0].json["embeds"][0]["description"] == (
        "Second time lucky."
    )
    assert chat.status(payload["id"]) == ("done", 2)
    assert chat.receive() == []  # the poller deleted it
