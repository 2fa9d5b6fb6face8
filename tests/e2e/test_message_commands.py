"""Message commands end to end: signed message-command interactions shaped like Discord's
(data.type 3, target_id, resolved.messages with attachments) -> the endpoint's modal or defer
-> SQS -> the generate worker -> fake provider (quoted message, image parts) -> fake Discord
(the answer, headed by what it replies to)."""

from __future__ import annotations

import base64

from tests.e2e.chat_stack import GUILD, context_text
from tests.e2e.chat_stack import chat as _chat  # noqa: F401 (the `chat` fixture)
from tests.e2e.chat_stack import chat_servers as _servers  # noqa: F401 (its servers)
from tests.fakes.cdn import PNG
from tests.fakes.interactions import DM, message_command, modal_submit
from tzurot.discord.message_commands import NO_LAST_PERSONALITY

TARGET_CHANNEL = GUILD.channel_id


def discord_message(content: str, attachments: list[dict] = (), channel=TARGET_CHANNEL) -> dict:
    return {
        "id": "700000000000000007",
        "channel_id": channel,
        "type": 0,
        "content": content,
        "author": {"id": "5", "username": "bob", "global_name": "Bob B."},
        "attachments": list(attachments),
        "embeds": [],
        "timestamp": "2026-12-04T23:59:00.000000+00:00",
    }


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


QUOTE = "Replying to Bob B.'s message:\n> the build is red again\n> any idea?"
JUMP = f"https://discord.com/channels/{GUILD.guild_id}/{TARGET_CHANNEL}/700000000000000007"


def test_reply_as_last_personality_answers_the_message_with_its_image(chat, cdn):
    chat.store_key("openai")
    chat.chat("ada", "hello")  # ada is now the last personality
    photo = cdn.add("log.png", PNG)
    message = discord_message("the build is red again\nany idea?", [photo])
    fake = chat.provider("openai")
    fake.queue_reply(text="Check the flaky test.", tokens_in=900, tokens_out=6)

    payload = chat.post(message_command("Reply as last personality", message))
    assert chat.deliver() == {"batchItemFailures": []}

    assert fake.last_request.json["messages"][-1]["content"] == [
        {"type": "text", "text": context_text(QUOTE, chat.now)},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{b64(PNG)}"}},
    ]
    calls = chat.calls(payload["token"])
    assert len(calls) == 1 and calls[0].line.startswith("PATCH ")
    assert calls[0].json["content"] == f"-# ↪ Replying to Bob B.: {JUMP}"
    assert calls[0].json["embeds"][0]["description"] == "Check the flaky test."
    assert calls[0].json["allowed_mentions"] == {"parse": []}
    assert chat.history_rows()[-2:] == [
        (GUILD.channel_id, "ada", "user", QUOTE, payload["id"]),
        (GUILD.channel_id, "ada", "assistant", "Check the flaky test.", payload["id"]),
    ]
    assert [row[1] for row in chat.usage_rows()] == ["ada", "ada"]


def test_reply_as_without_any_past_chat_says_what_to_do(chat):
    answer = chat.respond(message_command("Reply as last personality", discord_message("hi")))
    assert answer["type"] == 4
    assert answer["data"]["content"] == NO_LAST_PERSONALITY
    assert answer["data"]["flags"] == 64
    assert chat.receive() == []


def test_ask_a_personality_opens_a_prefilled_form_then_answers(chat, cdn):
    chat.store_key("anthropic")
    chat.chat("sonnet", "hello")  # the form opens with sonnet filled in
    photo = cdn.add("log.png", PNG)
    message = discord_message("the build is red again\nany idea?", [photo])
    # The worker reads the target's images with the bot token (a modal submit cannot carry them).
    stored = chat.discord.sink.add_message(
        TARGET_CHANNEL, message["content"], author=message["author"], attachments=[photo]
    )
    message["id"] = stored["id"]

    form = chat.respond(message_command("Ask a personality", message))
    assert form["type"] == 9
    custom_id = form["data"]["custom_id"]
    assert custom_id == f"ask:{stored['id']}:Bob B."
    fields = {c["component"]["custom_id"]: c["component"] for c in form["data"]["components"]}
    assert fields["personality"]["value"] == "sonnet"
    assert fields["message"]["value"] == "the build is red again\nany idea?"
    assert fields["instruction"]["required"] is False

    submit = modal_submit(
        custom_id,
        personality="Sonnet",
        instruction="Answer in one line.",
        message="the build is red again\nany idea?",
    )
    chat.post(submit)
    assert chat.deliver() == {"batchItemFailures": []}
    content = chat.provider("anthropic").last_request.json["messages"][-1]["content"]
    assert content == [
        {
            "type": "image",
            "source": {"type": "base64", "media_type": "image/png", "data": b64(PNG)},
        },
        {"type": "text", "text": context_text(QUOTE + "\n\nAnswer in one line.", chat.now)},
    ]
    patch = chat.calls(submit["token"])[0]
    jump = JUMP.replace("700000000000000007", stored["id"])
    assert patch.json["content"] == f"-# ↪ Replying to Bob B.: {jump}"


def test_ask_without_a_past_chat_opens_an_empty_personality_field_in_a_dm(chat):
    message = discord_message("hi", channel=DM.channel_id)
    form = chat.respond(message_command("Ask a personality", message, who=DM))
    fields = {c["component"]["custom_id"]: c["component"] for c in form["data"]["components"]}
    assert "value" not in fields["personality"]


def test_a_redelivered_reply_resends_the_committed_answer_with_its_header(chat):
    chat.store_key("openai")
    chat.chat("ada", "hello")
    chat.provider("openai").queue_reply(text="The answer.")
    chat.discord.fail_next(r"PATCH /webhooks/", status=503)
    payload = chat.post(message_command("Reply as last personality", discord_message("hey")))
    first = chat.receive()
    assert chat.deliver(first)["batchItemFailures"]
    assert chat.deliver() == {"batchItemFailures": []}
    calls = chat.calls(payload["token"])
    assert [call.status for call in calls] == [503, 200]
    assert calls[1].json["content"].startswith("-# ↪ Replying to Bob B.: ")
    assert calls[1].json["embeds"][0]["description"] == "The answer."
    assert len(chat.provider("openai").requests) == 2  # "hello", then this reply once
    assert len(chat.usage_rows()) == 2
