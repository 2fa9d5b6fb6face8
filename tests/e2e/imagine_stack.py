"""The /imagine end-to-end rig: the /chat rig (tests/e2e/chat_stack.py: a real PostgreSQL, moto
SQS and KMS, loopback fakes of the providers and of Discord, seeded personalities, stored keys)
plus the image queue, the image function's handler, and image configs for the seeded
personalities.

    interactions handler (signed /imagine) -> moto SQS (image queue) -> image handler
        -> fake provider (its real wire format) -> fake Discord (multipart upload recorded)
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.chat_stack import AVATAR, REGION, ChatStack, interactions_app
from tests.fakes.interactions import GUILD, command, signed
from tests.fakes.providers import FAKE_PNG
from tzurot.dev import simulator
from tzurot.dev.workers import sqs_event

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("image_app_e2e", ROOT / "functions/image/app.py")
image_app = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(image_app)

NO_MENTIONS = {"parse": []}
ORIGINAL = f"/webhooks/{simulator.DEV_APPLICATION_ID}/TOKEN/messages/@original"
FOLLOWUP = f"/webhooks/{simulator.DEV_APPLICATION_ID}/TOKEN"

# Image configs for the seeded personalities (sonnet gets none: images are opt-in).
IMAGE_CONFIGS = {
    "lilith": (
        "openrouter",
        "black-forest-labs/flux-1.1-pro",
        True,
        "1024x1024",
        {
            "promptPrefix": "A moody oil painting of...",
            "negativePrompt": "blurry, extra fingers",
            "defaultNegativePrompt": "text, watermark",
            "steps": 28,
            "guidanceScale": 3.5,
            "seed": 7,
        },
    ),
    # A config from DALL-E days on a current model: quality hd and style are kept, not sent.
    "ada": ("openai", "gpt-image-2", True, "1024x1024", {"quality": "hd", "style": "natural"}),
    "gemma": (
        "google",
        "gemini-2.5-flash-image",
        True,
        "1024x1792",
        {"aspectRatio": "3:4", "promptPrefix": "Watercolour:"},
    ),
}


@dataclass
class ImagineStack:
    chat: ChatStack
    queue_url: str
    queue_arn: str

    def __getattr__(self, name: str) -> Any:  # db, discord, provider(), store_key(), ...
        return getattr(self.chat, name)

    def interact(self, *options: str, who=GUILD, tweak: Callable[[dict], None] | None = None):
        """POST a signed /imagine to the interactions handler; returns the interaction sent."""
        payload = command("imagine", *options, who=who)
        if tweak:
            tweak(payload)
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
        assert json.loads(response["body"]) == {"type": 5}  # deferred, public
        return payload

    def receive(self) -> list[dict]:
        """What the image queue holds, visible again at once (so a test can redeliver it)."""
        reply = self.chat.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=10,
            AttributeNames=["All"],
            VisibilityTimeout=0,
        )
        return reply.get("Messages") or []

    def deliver(self, messages: list[dict] | None = None) -> dict:
        """Run the image function's handler on a batch as Lambda would."""
        messages = self.receive() if messages is None else messages
        assert messages, "nothing was queued on the image queue"
        self.chat.assert_tokens_sealed(messages)
        result = image_app.handler(sqs_event(messages, self.queue_arn, REGION), None)
        self.chat.end_backoff(self.queue_url, messages, result)  # the test redelivers at once
        return result

    def imagine(self, *options: str, who=GUILD, **kwargs) -> tuple[dict, dict]:
        payload = self.interact(*options, who=who, **kwargs)
        return payload, self.deliver()

    def lines(self, payload: dict) -> list[str]:
        token = payload["token"]
        return [call.line.replace(token, "TOKEN") for call in self.chat.calls(token)]

    def reference(self, payload: dict) -> str:
        return self.chat.db.execute(
            "SELECT reference FROM processed_interactions WHERE interaction_id = %s",
            (payload["id"],),
        ).fetchone()[0]

    def private_reply(self, payload: dict) -> str:
        """An ephemeral reply to the public defer: deleted, then a flag-64 followup."""
        assert self.lines(payload) == [f"DELETE {ORIGINAL}", f"POST {FOLLOWUP}"]
        followup = self.chat.calls(payload["token"])[1]
        assert set(followup.json) == {"content", "flags", "allowed_mentions"}
        assert (followup.json["flags"], followup.json["allowed_mentions"]) == (64, NO_MENTIONS)
        return followup.json["content"]

    def image_usage(self) -> list[tuple]:
        return [row for row in self.chat.usage_rows() if row[7] == "image"]


def add_image_config(db, personality_id: str, provider, model, enabled, size, advanced) -> None:
    db.execute(
        "INSERT INTO image_configs (personality_id, provider, model, enabled, default_size, "
        "advanced_parameters) VALUES (%s, %s, %s, %s, %s, %s::jsonb)",
        (personality_id, provider, model, enabled, size, json.dumps(advanced)),
    )


@pytest.fixture
def imagine(chat) -> ImagineStack:
    sqs = chat.sqs
    url = sqs.get_queue_url(QueueName="tzurot-image")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    for slug, config in IMAGE_CONFIGS.items():
        add_image_config(chat.db, chat.personality_ids[slug], *config)
    return ImagineStack(chat, url, arn)


def expected_upload(prompt: str, footer: str, slug: str | None) -> dict:
    embed: dict = {
        "description": prompt,
        "image": {"url": "attachment://image.png"},
        "footer": {"text": footer},
    }
    if slug:
        name = slug.capitalize()
        embed = {"author": {"name": name, "icon_url": AVATAR.format(slug=slug)}, **embed}
    return {
        "embeds": [embed],
        "allowed_mentions": NO_MENTIONS,
        "attachments": [{"id": "0", "filename": "image.png", "description": prompt}],
    }


def assert_uploaded(imagine: ImagineStack, payload: dict, expected: dict) -> None:
    """One multipart PATCH of the deferred message: payload_json and files[0] = the PNG."""
    assert imagine.lines(payload) == [f"PATCH {ORIGINAL}"]
    (call,) = imagine.calls(payload["token"])
    assert call.content_type == "multipart/form-data"
    assert call.json == expected
    assert [(f.field, f.filename, f.content_type) for f in call.files] == [
        ("files[0]", "image.png", "image/png")
    ]
    assert call.files[0].content == FAKE_PNG
    assert call.status == 200
    # Discord's answer: the message with the attachment on its CDN, the embed pointing at it.
    attachment = call.response["attachments"][0]
    assert (attachment["filename"], attachment["size"]) == ("image.png", len(FAKE_PNG))
