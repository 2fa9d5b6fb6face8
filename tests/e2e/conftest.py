"""Shared end-to-end fixtures.

`chat_servers` and `chat` (tests/e2e/chat_stack.py) are the /chat rig: the real Lambda handlers
through moto SQS and KMS, a real PostgreSQL, loopback fakes of the providers and of Discord.
They are re-exported here so every e2e module can use them without importing them.

`account` extends that world for the account commands: any slash command or modal submit
through the interactions handler, an ElevenLabs fake beside the text providers, a bot owner,
and a record of every SQS body the worker received (tests look for secrets in them).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.e2e.chat_stack import (  # noqa: F401  (fixtures, re-exported)
    ChatStack,
    cdn,
    cdn_server,
    chat,
    chat_servers,
    close_keepalive_clients,
    interactions_app,
)
from tests.e2e.local_stack import local_env  # noqa: F401  (fixture, re-exported)
from tests.fakes.interactions import GUILD, command, modal_submit, signed
from tests.fakes.providers import FakeElevenLabs

OWNER_ID = "100000000000000777"
ELEVENLABS_KEY = "sk_e2eElevenLabsKey0123456789abcdef0123456789"


@pytest.fixture(scope="module")
def elevenlabs() -> Iterator[tuple[FakeElevenLabs, str]]:
    fake = FakeElevenLabs(valid_keys=[ELEVENLABS_KEY])
    with fake.serve() as url:
        yield fake, url
        close_keepalive_clients()  # else the server waits out idle keep-alive connections


@dataclass
class Exchange:
    """One interaction through the whole stack."""

    payload: dict  # what Discord sent
    response: dict  # the interactions handler's JSON answer
    queued: list[str]  # SQS bodies the worker got
    result: dict | None  # the generate handler's answer (None: nothing was queued)


@dataclass
class AccountStack:
    chat: ChatStack
    elevenlabs: FakeElevenLabs
    sqs_bodies: list[str] = field(default_factory=list)

    def __getattr__(self, name: str) -> Any:  # db, discord, provider(), store_key(), ...
        return getattr(self.chat, name)

    def send(self, payload: dict) -> Exchange:
        """POST a signed interaction; when it was deferred, run the generate handler on what
        was queued."""
        self.chat.sent_tokens.append(payload["token"])
        headers, body = signed(payload)
        event = {
            "version": "2.0",
            "headers": {k.lower(): v for k, v in headers.items()},
            "requestContext": {"http": {"method": "POST"}},
            "body": body.decode(),
            "isBase64Encoded": False,
        }
        response = interactions_app.handler(event, None)
        assert response["statusCode"] == 200, response
        answer = json.loads(response["body"])
        messages = self.chat.receive()
        bodies = [message["Body"] for message in messages]
        self.sqs_bodies.extend(bodies)
        result = self.chat.deliver(messages) if messages else None
        # What Lambda's event source mapping does: delete what the handler did not report.
        failed = {item["itemIdentifier"] for item in (result or {}).get("batchItemFailures", [])}
        for message in messages:
            if message["MessageId"] not in failed:
                self.chat.sqs.delete_message(
                    QueueUrl=self.chat.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )
        return Exchange(payload, answer, bodies, result)

    def command(self, name: str, *args: str, who=GUILD) -> Exchange:
        return self.send(command(name, *args, who=who))

    def modal(self, custom_id: str, who=GUILD, **fields: str) -> Exchange:
        return self.send(modal_submit(custom_id, who=who, **fields))

    def replies(self, exchange: Exchange) -> list[tuple[str, dict]]:
        """(METHOD /path with TOKEN, body) of every Discord call made for the interaction."""
        token = exchange.payload["token"]
        return [(call.line.replace(token, "TOKEN"), call.json) for call in self.chat.calls(token)]

    def reply(self, exchange: Exchange) -> dict:
        """The one edit of the deferred message (asserting there was exactly one call)."""
        (call,) = self.replies(exchange)
        line, body = call
        assert line.startswith("PATCH /webhooks/") and line.endswith("/TOKEN/messages/@original")
        return body


@pytest.fixture
def account(chat, elevenlabs, monkeypatch) -> AccountStack:  # noqa: F811
    fake, url = elevenlabs
    fake.reset()
    monkeypatch.setenv("ELEVENLABS_BASE_URL", url)
    monkeypatch.setenv("BOT_OWNER_IDS", f"{OWNER_ID}, 100000000000000888")
    return AccountStack(chat, fake)


def private(content: str) -> dict:
    """The body of a private reply: the deferred (ephemeral) message edited into `content`."""
    return {"content": content, "flags": 64, "allowed_mentions": {"parse": []}}
