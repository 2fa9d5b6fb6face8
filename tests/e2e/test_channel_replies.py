"""Message commands answered as real replies, end to end: signed message-command interactions
from a server that installed the app (authorizing_integration_owners "0", app_permissions) ->
SQS -> the generate worker -> fake provider -> the fake Discord, where the bot posts a message
with a message_reference (bot token), the deferred message is deleted, streamed edits, further
parts and the voice upload go to the bot's own messages, and a redelivery never posts twice.
Where Discord refuses the post, the answer falls back to the quoted reply in the deferred
message; where the bot cannot post at all (a user install, missing permissions) it is quoted
from the start."""

from __future__ import annotations

import dataclasses

import pytest

from tests.e2e.chat_stack import GUILD
from tests.e2e.chat_stack import chat as _chat  # noqa: F401 (the `chat` fixture)
from tests.e2e.chat_stack import chat_servers as _servers  # noqa: F401 (its servers)
from tests.e2e.conftest import ELEVENLABS_KEY
from tests.fakes.cdn import PNG
from tests.fakes.interactions import message_command, modal_submit
from tzurot.commands import streamed_answer
from tzurot.commands.streamed_answer import CURSOR
from tzurot.dev.audio import FAKE_MP3
from tzurot.discord import permissions as bits

CHANNEL = GUILD.channel_id
REPLY_PERMISSIONS = str(
    bits.VIEW_CHANNEL
    | bits.SEND_MESSAGES
    | bits.EMBED_LINKS
    | bits.READ_MESSAGE_HISTORY
    | (1 << 15)  # ATTACH_FILES, for the voice upload
)
INSTALLED = dataclasses.replace(GUILD, guild_install=True, app_permissions=REPLY_PERMISSIONS)
BOB = {"id": "5", "username": "bob", "global_name": "Bob B."}
ANSWER = "Check the flaky test."
REPLY_MENTIONS = {"parse": [], "replied_user": False}


def target(chat, content: str = "the build is red again", attachments: list | None = None):
    """A message Bob wrote in the channel, as the fake Discord holds it and as
    `resolved.messages` carries it."""
    extra = {"attachments": attachments} if attachments is not None else {}
    stored = chat.discord.sink.add_message(CHANNEL, content, author=BOB, **extra)
    return {**stored, "author": BOB}


def channel_calls(chat, method: str = "POST|PATCH") -> list:
    return chat.discord.sink.calls_to(rf"^({method}) /channels/{CHANNEL}/messages")


def lines(chat, payload) -> list[str]:
    return [
        call.line.split()[0] + " " + call.path.rsplit("/", 1)[-1]
        for call in chat.calls(payload["token"])
    ]


def answer_message_id(chat, interaction_id: str) -> str | None:
    return chat.db.execute(
        "SELECT answer_message_id FROM processed_interactions WHERE interaction_id = %s",
        (interaction_id,),
    ).fetchone()[0]


@pytest.fixture
def ada(chat):
    chat.store_key("openai")
    chat.chat("ada", "hello", who=INSTALLED)  # ada is the last personality now
    chat.discord.reset()
    return chat


def test_reply_as_posts_a_real_reply_and_removes_the_deferred_message(ada):
    chat = ada
    message = target(chat)
    chat.provider("openai").queue_reply(text=ANSWER, tokens_in=90, tokens_out=6)

    payload = chat.post(message_command("Reply as last personality", message, INSTALLED))
    assert chat.deliver() == {"batchItemFailures": []}

    (post,) = channel_calls(chat)
    assert post.line == f"POST /channels/{CHANNEL}/messages" and post.bot_auth
    assert post.json["message_reference"] == {
        "type": 0,
        "message_id": message["id"],
        "channel_id": CHANNEL,
        "guild_id": GUILD.guild_id,
        "fail_if_not_exists": False,
    }
    assert post.json["content"] == f"-# Asked by <@{GUILD.user_id}>"
    assert post.json["embeds"][0]["description"] == ANSWER
    assert post.json["embeds"][0]["author"]["name"] == "Ada"
    assert post.json["allowed_mentions"] == REPLY_MENTIONS  # Bob is not pinged
    assert (post.json["nonce"], post.json["enforce_nonce"]) == (f"{payload['id']}-0", True)
    # The reply is a reply (type 19) to Bob's message, and replaces the "thinking..." message.
    posted = chat.discord.sink.messages[post.response["id"]]
    assert posted["type"] == 19 and posted["referenced_message"]["id"] == message["id"]
    assert lines(chat, payload) == ["DELETE @original"]
    assert answer_message_id(chat, payload["id"]) == post.response["id"]
    quote = "Replying to Bob B.'s message:\n> the build is red again"
    assert [row[2:4] for row in chat.history_rows()[-2:]] == [
        ("user", quote),
        ("assistant", ANSWER),
    ]
    assert [row[4:6] for row in chat.usage_rows()[-1:]] == [(90, 6)]


def test_a_user_install_or_missing_permissions_quote_in_the_deferred_message(ada):
    chat = ada
    message = target(chat)
    no_embeds = str(int(REPLY_PERMISSIONS) & ~bits.EMBED_LINKS)
    for who in (
        GUILD,  # installed by the user only: the bot is not in this server
        dataclasses.replace(INSTALLED, app_permissions=no_embeds),
        dataclasses.replace(INSTALLED, app_permissions="0"),
    ):
        chat.provider("openai").queue_reply(text=ANSWER)
        payload = chat.post(message_command("Reply as last personality", message, who=who))
        assert chat.deliver() == {"batchItemFailures": []}
        (patch,) = chat.calls(payload["token"])
        assert patch.line.startswith("PATCH ") and patch.json["content"].startswith(
            "-# ↪ Replying to Bob B.: https://discord.com/channels/"
        )
    assert channel_calls(chat) == []


def test_a_thread_needs_send_in_threads_rather_than_send(ada):
    chat = ada
    message = target(chat)
    in_threads = (int(REPLY_PERMISSIONS) & ~bits.SEND_MESSAGES) | bits.SEND_MESSAGES_IN_THREADS
    thread = dataclasses.replace(INSTALLED, app_permissions=str(in_threads), channel_type=11)
    chat.provider("openai").queue_reply(text=ANSWER)
    chat.post(message_command("Reply as last personality", message, who=thread))
    assert chat.deliver() == {"batchItemFailures": []}
    assert len(channel_calls(chat, "POST")) == 1


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (403, {"message": "Missing Permissions", "code": 50013}),
        (404, {"message": "Unknown Channel", "code": 10003}),
    ],
)
def test_a_refused_post_falls_back_to_the_quoted_answer(ada, status, body):
    chat = ada
    message = target(chat)
    chat.provider("openai").queue_reply(text=ANSWER)
    chat.discord.fail_next(rf"POST /channels/{CHANNEL}/messages", status=status, body=body)

    payload = chat.post(message_command("Reply as last personality", message, INSTALLED))
    assert chat.deliver() == {"batchItemFailures": []}

    assert [call.status for call in channel_calls(chat)] == [status]
    (patch,) = chat.calls(payload["token"])
    assert patch.json["content"].startswith("-# ↪ Replying to Bob B.: ")
    assert patch.json["embeds"][0]["description"] == ANSWER
    assert answer_message_id(chat, payload["id"]) is None
    assert len(chat.usage_rows()) == 2  # "hello", then this answer once


def test_a_long_reply_continues_in_the_channel_and_resumes_after_a_failure(ada):
    chat = ada
    message = target(chat)
    long = "\n\n".join(f"Paragraph {n}. " + "word " * 300 for n in range(3))  # three messages
    chat.provider("openai").queue_reply(text=long)
    chat.discord.fail_next(rf"POST /channels/{CHANNEL}/messages$", status=503, after=1)

    payload = chat.post(message_command("Reply as last personality", message, INSTALLED))
    first = chat.receive()
    assert chat.deliver(first)["batchItemFailures"]  # Discord failed on the second part
    assert chat.deliver() == {"batchItemFailures": []}

    posts = channel_calls(chat, "POST")
    assert [call.status for call in posts] == [200, 503, 200, 200]
    assert "message_reference" in posts[0].json
    assert all("message_reference" not in call.json for call in posts[1:])
    assert [call.json["nonce"] for call in posts] == [f"{payload['id']}-{n}" for n in (0, 1, 1, 2)]
    texts = [call.json["embeds"][0]["description"][:11] for call in posts if call.status == 200]
    assert texts == ["Paragraph 0", "Paragraph 1", "Paragraph 2"]  # each part once
    assert lines(chat, payload) == ["DELETE @original"]  # deleted once, by the first attempt
    assert len(chat.provider("openai").requests) == 2  # "hello", then this reply once


def test_a_redelivery_edits_the_recorded_reply_instead_of_posting_again(ada, monkeypatch):
    chat = ada
    monkeypatch.setattr(streamed_answer, "STREAM_BY_DEFAULT", True)
    message = target(chat)
    fake = chat.provider("openai")
    fake.queue_reply(text="first attempt that breaks off here", cut_after=3, token_delay=0.05)
    fake.queue_reply(text="The whole second answer.", tokens_in=20, tokens_out=5)

    payload = chat.post(message_command("Reply as last personality", message, INSTALLED))
    first = chat.receive()
    assert chat.deliver(first)["batchItemFailures"]  # the stream broke off
    (post,) = channel_calls(chat, "POST")
    assert post.json["embeds"][0]["description"] == "first" + CURSOR  # shown while streaming
    reply_id = post.response["id"]
    assert answer_message_id(chat, payload["id"]) == reply_id

    assert chat.deliver() == {"batchItemFailures": []}
    assert len(channel_calls(chat, "POST")) == 1  # no second reply
    final = channel_calls(chat, "PATCH")[-1]
    assert final.path == f"/channels/{CHANNEL}/messages/{reply_id}"
    assert final.json["embeds"][0]["description"] == "The whole second answer."
    shown = chat.discord.sink.messages[reply_id]
    assert shown["embeds"][0]["description"] == "The whole second answer."
    assert shown["type"] == 19
    assert lines(chat, payload) == ["DELETE @original"]
    assert [row[4:7] for row in chat.usage_rows()[-1:]] == [(20, 5, 25)]


def test_a_streamed_reply_grows_in_the_channel(ada, monkeypatch):
    chat = ada
    monkeypatch.setattr(streamed_answer, "STREAM_BY_DEFAULT", True)
    message = target(chat)
    text = "one two three four five six seven eight"
    chat.provider("openai").queue_reply(text=text, token_delay=0.2)

    payload = chat.post(message_command("Reply as last personality", message, INSTALLED))
    assert chat.deliver() == {"batchItemFailures": []}

    calls = channel_calls(chat)
    assert calls[0].method == "POST" and calls[0].json["embeds"][0]["description"].endswith(CURSOR)
    edits = calls[1:]
    assert edits and {call.method for call in edits} == {"PATCH"}
    assert all(call.path.endswith(calls[0].response["id"]) for call in edits)
    assert edits[-1].json["embeds"][0]["description"] == text
    assert edits[-1].json["content"] == f"-# Asked by <@{GUILD.user_id}>"
    assert lines(chat, payload) == ["DELETE @original"]  # nothing streamed into the interaction


def test_the_voice_is_attached_to_the_reply_in_the_channel(chat, elevenlabs, monkeypatch):
    fake_voice, url = elevenlabs
    fake_voice.reset()
    monkeypatch.setenv("ELEVENLABS_BASE_URL", url)
    chat.db.execute(
        "INSERT INTO voice_configs (personality_id, enabled, voice_id, voice_model, stability, "
        "similarity, style, frequency) VALUES (%s, true, 'JBFqnCBsd6RMkjVDRZzb', "
        "'eleven_multilingual_v2', 0.5, 0.6, 0.0, 0.0)",
        (chat.personality_ids["ada"],),
    )
    chat.store_key("openai")
    chat.store_key("elevenlabs", ELEVENLABS_KEY)
    chat.provider("openai").queue_reply(text="Warm-up.")
    chat.chat("ada", "hello", who=INSTALLED)
    chat.discord.reset()
    message = target(chat)
    chat.provider("openai").queue_reply(text=ANSWER)

    payload = chat.post(message_command("Reply as last personality", message, INSTALLED))
    assert chat.deliver() == {"batchItemFailures": []}

    post, upload = channel_calls(chat)
    assert post.method == "POST" and not post.files
    assert upload.method == "PATCH" and upload.path.endswith(post.response["id"])
    (audio,) = upload.files
    assert (audio.field, audio.filename, audio.content_type) == (
        "files[0]",
        "ada.mp3",
        "audio/mpeg",
    )
    assert audio.content == FAKE_MP3
    assert upload.json["content"] == f"-# Asked by <@{GUILD.user_id}>"  # the header stays
    assert (
        chat.discord.sink.messages[post.response["id"]]["attachments"][0]["filename"] == "ada.mp3"
    )
    assert lines(chat, payload) == ["DELETE @original"]


def test_ask_a_personality_gets_the_images_the_form_could_not_carry(chat, cdn):
    """The bot cannot read this channel (a user install): the images kept when the form opened
    reach the provider, with no Discord read, and the kept row is gone afterwards."""
    chat.store_key("anthropic")
    chat.chat("sonnet", "hello")
    photo = cdn.add("log.png", PNG)
    message = {
        "id": "700000000000000070",
        "channel_id": CHANNEL,
        "type": 0,
        "content": "what is this?",
        "author": BOB,
        "attachments": [photo],
        "embeds": [],
    }  # not in the fake Discord: a GET of it would fail
    form = chat.respond(message_command("Ask a personality", message, who=GUILD))
    kept = chat.db.execute("SELECT discord_user_id, message_id, images FROM ask_targets").fetchall()
    assert kept == [
        (
            GUILD.user_id,
            message["id"],
            [{k: photo[k] for k in ("url", "filename", "content_type", "size")}],
        )
    ]

    submit = modal_submit(form["data"]["custom_id"], personality="sonnet", message="what is this?")
    chat.post(submit)
    assert chat.deliver() == {"batchItemFailures": []}

    content = chat.provider("anthropic").last_request.json["messages"][-1]["content"]
    assert content[0]["type"] == "image" and content[0]["source"]["media_type"] == "image/png"
    assert chat.discord.sink.calls_to(r"^GET /channels/") == []
    assert chat.db.execute("SELECT count(*) FROM ask_targets").fetchone()[0] == 0


def test_a_streamed_reply_honours_the_channels_rate_limit(ada, monkeypatch):
    chat = ada
    monkeypatch.setattr(streamed_answer, "STREAM_BY_DEFAULT", True)
    monkeypatch.setattr(streamed_answer, "MIN_EDIT_INTERVAL", 0.05)  # far too eager
    chat.discord.enforce_rate_limit(rf"^PATCH /channels/{CHANNEL}/messages/", limit=5, per=5.0)
    message = target(chat)
    text = " ".join(f"w{n}" for n in range(30))
    chat.provider("openai").queue_reply(text=text, token_delay=0.1)

    chat.post(message_command("Reply as last personality", message, INSTALLED))
    assert chat.deliver() == {"batchItemFailures": []}

    edits = channel_calls(chat, "PATCH")
    limited = [call for call in edits if call.status == 429]
    assert limited
    for call in limited:
        later = [c for c in edits if c.at > call.at]
        assert later and later[0].at - call.at >= call.response["retry_after"] * 0.95
    (post,) = channel_calls(chat, "POST")
    reply = chat.discord.sink.messages[post.response["id"]]
    assert reply["embeds"][0]["description"] == text
