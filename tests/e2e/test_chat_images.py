"""Images in, end to end: a signed /chat with an `image` attachment option (resolved.attachments)
or a linked message with attachments -> the worker fetches the bytes from a loopback CDN fake
-> each provider gets its own image parts; what cannot be shown becomes a note for the model."""

from __future__ import annotations

import base64

import pytest

from tests.e2e.chat_stack import GUILD, PERSONALITIES, context_text
from tests.e2e.chat_stack import chat as _chat  # noqa: F401 (the `chat` fixture)
from tests.e2e.chat_stack import chat_servers as _servers  # noqa: F401 (its servers)
from tests.fakes.cdn import JPEG, PNG, gif
from tests.fakes.interactions import command
from tzurot.commands.images_in import gif_first_frame


def chat_with_image(chat, slug: str, message: str, attachment: dict) -> dict:
    payload = command("chat", f"personality={slug}", f"message={message}")
    payload["data"]["options"].append({"name": "image", "type": 11, "value": attachment["id"]})
    payload["data"]["resolved"] = {"attachments": {attachment["id"]: attachment}}
    chat.post(payload)
    assert chat.deliver() == {"batchItemFailures": []}
    return payload


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def last_user_message(provider: str, body: dict):
    if provider == "google":
        return body["contents"][-1]["parts"]
    return body["messages"][-1]["content"]


def expected_parts(provider: str, text: str, mime: str, data: bytes):
    """Each provider's documented image part (inline base64), with the turn's text."""
    if provider in ("openai", "openrouter"):
        return [
            {"type": "text", "text": text},
            {"type": "image_url", "image_url": {"url": f"data:{mime};base64,{b64(data)}"}},
        ]
    if provider == "anthropic":
        return [
            {"type": "image", "source": {"type": "base64", "media_type": mime, "data": b64(data)}},
            {"type": "text", "text": text},
        ]
    return [{"text": text}, {"inlineData": {"mimeType": mime, "data": b64(data)}}]


@pytest.mark.parametrize("slug", list(PERSONALITIES))
def test_an_image_option_reaches_each_provider_as_its_image_part(chat, cdn, slug):
    _, provider, _ = PERSONALITIES[slug]
    chat.store_key(provider)
    attachment = cdn.add("sunset.jpg", JPEG, "image/jpeg")
    fake = chat.provider(provider)
    fake.queue_reply(text="A lovely sunset.", tokens_in=1290, tokens_out=4)

    payload = chat_with_image(chat, slug, "what is this?", attachment)

    text = context_text("what is this?", chat.now)
    assert last_user_message(provider, fake.last_request.json) == expected_parts(
        provider, text, "image/jpeg", JPEG
    )
    assert len(cdn.requests) == 1
    # Image tokens are counted as the provider reports them; the history keeps only the text.
    assert [row[4:7] for row in chat.usage_rows()] == [(1290, 4, 1294)]
    assert [row[3] for row in chat.history_rows()] == ["what is this?", "A lovely sunset."]
    assert chat.status(payload["id"]) == ("done", 1)


def test_images_of_a_linked_message_are_shown_too(chat, cdn):
    chat.store_key("anthropic")
    guilds = chat.discord.sink.guilds  # a server where everyone may read the linked channel
    guilds.add_guild(GUILD.guild_id)
    guilds.add_member(GUILD.guild_id, {"id": GUILD.user_id, "username": GUILD.username})
    guilds.add_channel("300000000000000003", GUILD.guild_id)
    photo = cdn.add("chart.png", PNG)
    readme = cdn.add("notes.txt", b"not an image", "text/plain")
    linked = chat.discord.sink.add_message(
        "300000000000000003",
        "look at this chart",
        author={"id": "5", "username": "bob", "global_name": "Bob B."},
        attachments=[photo, readme],
    )
    link = f"https://discord.com/channels/{GUILD.guild_id}/300000000000000003/{linked['id']}"
    chat.chat("sonnet", f"thoughts on {link}")
    content = chat.provider("anthropic").last_request.json["messages"][-1]["content"]
    assert content[0] == {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/png", "data": b64(PNG)},
    }
    assert len(content) == 2  # the text file is not an image: not fetched, not sent
    assert cdn.requests == [photo["url"].split("?")[0].removeprefix(cdn.base_url)]


def test_a_url_outside_the_cdn_is_never_fetched(chat, cdn):
    chat.store_key("openai")
    attachment = cdn.add("cat.png", PNG)
    # Same bytes, but the URL names another host: a forged resolved object.
    attachment["url"] = attachment["url"].replace("127.0.0.1", "localhost")
    chat_with_image(chat, "ada", "what is this?", attachment)
    content = chat.provider("openai").last_request.json["messages"][-1]["content"]
    assert isinstance(content, str)  # no image part
    assert "They showed you cat.png, but it is not on Discord's CDN, so you do not see it." in (
        content
    )
    assert cdn.requests == []


def test_an_oversized_or_non_image_file_becomes_a_note(chat, cdn):
    chat.store_key("anthropic")  # 5 MB per image
    big = cdn.add("huge.png", PNG + b"\0" * (5 * 1024 * 1024))
    big["size"] = 100  # Discord's stated size lies: the read itself stops at the limit
    chat_with_image(chat, "sonnet", "and this?", big)
    content = chat.provider("anthropic").last_request.json["messages"][-1]["content"]
    assert "They showed you huge.png, but it is larger than 5 MB, so you do not see it." in content

    fake_png = cdn.add("fake.png", b"%PDF-1.7 not really a png")
    chat_with_image(chat, "sonnet", "and this one?", fake_png)
    content = chat.provider("anthropic").last_request.json["messages"][-1]["content"]
    assert "but it is not a PNG, JPEG, WebP or GIF image" in content


def test_a_model_without_vision_gets_a_clear_note(chat, cdn):
    chat.store_key("openrouter")
    chat.db.execute(
        "INSERT INTO model_catalog (provider, model_id, input_modalities, output_modalities) "
        "VALUES ('openrouter', 'anthropic/claude-3.5-sonnet', '{text}', '{text}')"
    )
    attachment = cdn.add("cat.png", PNG)
    chat_with_image(chat, "lilith", "what is this?", attachment)
    content = chat.provider("openrouter").last_request.json["messages"][-1]["content"]
    assert isinstance(content, str)
    assert (
        "They showed you 1 image(s) (cat.png) that you cannot see: the model "
        "anthropic/claude-3.5-sonnet does not take images." in content
    )
    assert cdn.requests == []  # nothing fetched for a model that cannot look


def test_an_animated_gif_is_sent_as_its_first_frame(chat, cdn):
    chat.store_key("openai")
    attachment = cdn.add("dance.gif", gif(frames=3), "image/gif")
    chat_with_image(chat, "ada", "what is this?", attachment)
    parts = chat.provider("openai").last_request.json["messages"][-1]["content"]
    still = gif_first_frame(gif(frames=3))
    assert still == gif(frames=1)
    assert parts[1] == {
        "type": "image_url",
        "image_url": {"url": f"data:image/gif;base64,{b64(still)}"},
    }
