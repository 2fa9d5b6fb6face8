"""`tzurot dev --discord-sink` and `tzurot simulate chat`: the whole /chat flow on one machine.

The local stack serves the interactions endpoint, moto's server mode holds the queues, the
worker poller calls the generate handler with SQS-shaped events, the provider is a loopback fake
(guest mode), and the worker's Discord calls land in the sink, where simulate waits for them.
"""

from __future__ import annotations

import os

import boto3

from tests.e2e.local_stack import full_stack
from tests.fakes.providers import FakeOpenRouter
from tzurot.cli.main import main
from tzurot.commands.streamed_answer import CURSOR
from tzurot.dev.stack import (
    AwsEmulator,
    InteractionsServer,
)
from tzurot.dev.workers import DiscordSinkServer, QueuePoller, sqs_event

GUEST_KEY = "sk-or-v1-localStackGuestKey0123456789abcd"


def test_simulate_chat_prints_the_answer_the_worker_sent_to_the_sink(local_env, db, capsys):
    db.execute(
        "INSERT INTO personalities (name, slug, personality_traits) "
        "VALUES ('Lilith', 'lilith', 'curious')"
    )
    fake = FakeOpenRouter(valid_keys=[GUEST_KEY])
    echoed: list[str] = []
    with fake.serve() as base_url:
        os.environ.update(
            OPENROUTER_BASE_URL=base_url,
            TZUROT_GUEST_PROVIDER="openrouter",
            TZUROT_GUEST_MODEL="meta-llama/llama-3.1-8b-instruct",
            TZUROT_GUEST_API_KEY=GUEST_KEY,
        )
        fake.queue_reply(text="Hello from the local stack.", tokens_in=20, tokens_out=6)
        sink = DiscordSinkServer(0, echo=echoed.append)
        stack = full_stack(local_env, sink)
        with stack.running():
            assert any(line.startswith("worker generate: polling ") for line in stack.lines)
            assert (
                f"discord sink: {sink.base_url} (prints every message it receives; saves files "
                f"to {local_env / 'sink-files'})"
            ) in stack.lines
            url = stack.get(InteractionsServer).url
            capsys.readouterr()
            code = main(
                ["simulate", "--url", url, "--sink-url", sink.base_url, "--wait", "20",
                 "chat", "lilith", "hi there"]
            )  # fmt: skip
            captured = capsys.readouterr()
            generate_url = stack.get(AwsEmulator).queue_urls["generate"]
            left = boto3.client("sqs").get_queue_attributes(
                QueueUrl=generate_url, AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]["ApproximateNumberOfMessages"]

    assert code == 0
    # (the worker runs in this process too: its JSON log lines share stdout)
    assert [line for line in captured.out.splitlines() if not line.startswith('{"')] == [
        "HTTP 200",
        "{",
        '  "type": 5',
        "}",
        "--- original",
        "[Lilith]",
        "Hello from the local stack.",
    ]
    assert "waiting up to 20s for the answer" in captured.err
    assert fake.last_request.json["model"] == "meta-llama/llama-3.1-8b-instruct"
    # The answer streamed: edits while it arrived (ending with the cursor), then the final one.
    assert all(line.endswith(CURSOR) for line in echoed[:-1])
    assert all(line.startswith("[discord] edit original of interaction ") for line in echoed)
    assert echoed[-1].endswith("[embed: Lilith]\n  Hello from the local stack.")
    assert left == "0"  # the poller deleted the handled message


def test_poller_deletes_handled_messages_and_leaves_failed_ones(monkeypatch):
    from moto import mock_aws

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        sqs = boto3.client("sqs")
        url = sqs.create_queue(QueueName="poll", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
        for body in ("ok-1", "fail", "ok-2"):
            sqs.send_message(QueueUrl=url, MessageBody=body)
        events = []

        def handler(event, context):
            events.append(event)
            return {
                "batchItemFailures": [
                    {"itemIdentifier": r["messageId"]}
                    for r in event["Records"]
                    if r["body"] == "fail"
                ]
            }

        poller = QueuePoller(sqs, url, handler, wait_seconds=0)
        assert poller.poll_once() == (2, 1)
        records = events[0]["Records"]
        assert sorted(r["body"] for r in records) == ["fail", "ok-1", "ok-2"]
        for record in records:
            assert record["attributes"]["ApproximateReceiveCount"] == "1"
            assert record["eventSource"] == "aws:sqs"
            assert record["eventSourceARN"] == poller.queue_arn
            assert record["awsRegion"] == "us-east-1"
        # Only the failed one comes back, now on its second receive.
        assert poller.poll_once() == (0, 1)
        (again,) = events[1]["Records"]
        assert (again["body"], again["attributes"]["ApproximateReceiveCount"]) == ("fail", "2")


def test_sqs_event_shape():
    message = {
        "MessageId": "m-1",
        "ReceiptHandle": "rh",
        "Body": "{}",
        "MD5OfBody": "99914b932bd37a50b983c5e7c90ae93b",
        "Attributes": {"ApproximateReceiveCount": "3", "SentTimestamp": "1"},
    }
    assert sqs_event([message], "arn:aws:sqs:us-east-1:123:q", "us-east-1") == {
        "Records": [
            {
                "messageId": "m-1",
                "receiptHandle": "rh",
                "body": "{}",
                "attributes": {"ApproximateReceiveCount": "3", "SentTimestamp": "1"},
                "messageAttributes": {},
                "md5OfBody": "99914b932bd37a50b983c5e7c90ae93b",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123:q",
                "awsRegion": "us-east-1",
            }
        ]
    }
