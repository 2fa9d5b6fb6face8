"""The endpoint's side of the message commands, with recording doubles (no database, no queue):
what each answers when the target is missing, the last personality is unknown or the database
is slow, and what a job carries."""

from __future__ import annotations

import json

import pytest

from tests.fakes.interactions import GUILD, Recorder, modal_submit, signed
from tzurot.dev import simulator
from tzurot.discord import endpoint as endpoint_module
from tzurot.discord.interaction import Interaction
from tzurot.discord.message_commands import (
    NO_PERSONALITY,
    NO_TARGET,
    may_reply_in_channel,
    parse_ask,
)
from tzurot.discord.prefill import NONE, STORED, UNAVAILABLE, Prefill

MESSAGE = {
    "id": "700000000000000007",
    "channel_id": GUILD.channel_id,
    "content": "",
    "embeds": [{"description": "an answer in an embed"}],
    "author": {"id": "5", "username": "bob"},
    "attachments": [
        {"id": "1", "filename": "a.png", "url": "https://cdn.discordapp.com/a.png",
         "content_type": "image/png", "size": 10},
        {"id": "2", "filename": "a.txt", "url": "https://cdn.discordapp.com/a.txt",
         "content_type": "text/plain", "size": 10},
    ],
}  # fmt: skip


def run(recorder: Recorder, payload: dict, last: Prefill, kept: list | None = None) -> dict:
    """`kept` collects what the last-personality lookup was asked to keep for the worker."""

    def last_personality(discord_id: str, *keep) -> Prefill:
        if kept is not None:
            kept.extend(keep)
        return last

    headers, body = signed(payload)
    point = recorder.endpoint(last_personality=last_personality)
    return json.loads(point.handle(headers, body).body)


def message_command(name: str, resolved: dict | None = None) -> dict:
    data = {"id": "8", "name": name, "type": 3, "target_id": MESSAGE["id"]}
    if resolved is not None:
        data["resolved"] = resolved
    return simulator.interaction(simulator.APPLICATION_COMMAND, GUILD, data)


RESOLVED = {"messages": {MESSAGE["id"]: MESSAGE}}


def test_reply_as_queues_a_chat_job_with_the_target_and_its_images():
    recorder = Recorder()
    answer = run(
        recorder, message_command("Reply as last personality", RESOLVED), Prefill(STORED, "ada")
    )
    assert answer == {"type": 5}
    (job,) = recorder.jobs
    assert (job.command, job.options) == ("chat", {"personality": "ada", "message": ""})
    assert [image.filename for image in job.images] == ["a.png"]  # the text file is no image
    assert job.reply_to.content == "an answer in an embed"  # embed-only messages are quoted too
    assert job.reply_to.author == "bob"
    assert Recorder.opened(job)  # the token travels sealed


def test_reply_as_when_the_database_is_slow_asks_to_try_again():
    recorder = Recorder()
    answer = run(
        recorder, message_command("Reply as last personality", RESOLVED), Prefill(UNAVAILABLE)
    )
    assert answer["data"]["content"] == endpoint_module.TRY_AGAIN
    assert recorder.jobs == []


def test_ask_opens_its_form_even_without_a_last_personality():
    kept: list = []
    answer = run(Recorder(), message_command("Ask a personality", RESOLVED), Prefill(NONE), kept)
    assert answer["type"] == 9
    assert parse_ask(answer["data"]["custom_id"]) == (MESSAGE["id"], "bob")
    # The form cannot carry the images: the same lookup keeps them (the image only) for the worker.
    (keep,) = kept
    assert keep.message_id == MESSAGE["id"]
    assert json.loads(keep.images_json) == [
        {
            "url": "https://cdn.discordapp.com/a.png",
            "filename": "a.png",
            "content_type": "image/png",
            "size": 10,
        }
    ]


def test_ask_on_a_message_without_images_keeps_nothing():
    kept: list = []
    message = {**MESSAGE, "attachments": []}
    resolved = {"messages": {MESSAGE["id"]: message}}
    run(Recorder(), message_command("Ask a personality", resolved), Prefill(NONE), kept)
    assert kept == []


def test_a_missing_target_or_an_unknown_message_command():
    answer = run(Recorder(), message_command("Ask a personality"), Prefill(NONE))
    assert answer["data"]["content"] == NO_TARGET
    answer = run(Recorder(), message_command("Translate", RESOLVED), Prefill(NONE))
    assert answer["data"]["content"] == endpoint_module.UNKNOWN_COMMAND


def test_an_ask_submit_without_a_personality_is_refused_politely():
    recorder = Recorder()
    submit = modal_submit(f"ask:{MESSAGE['id']}:bob", personality="  ", message="hi")
    answer = run(recorder, submit, Prefill(NONE))
    assert answer["data"] == {
        "content": NO_PERSONALITY,
        "allowed_mentions": {"parse": []},
        "flags": 64,
    }
    assert recorder.jobs == []


def test_parse_ask_only_reads_its_own_custom_ids():
    assert parse_ask("ask:123:Bob: the builder") == ("123", "Bob: the builder")
    assert parse_ask("ask:abc:Bob") is None
    assert parse_ask("config-advanced:lilith") is None
    assert parse_ask(None) is None


def _interaction(**fields) -> Interaction:
    body = {"id": "1", "application_id": "2", "type": 2, "token": "t", **fields}
    return Interaction.model_validate(body)


SEND_EMBED_READ = str((1 << 10) | (1 << 11) | (1 << 14) | (1 << 16))


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        # A server that installed the app, with view, send, embed and history: a real reply.
        ({"context": 0, "guild_id": "9", "authorizing_integration_owners": {"0": "9"},
          "app_permissions": SEND_EMBED_READ}, True),
        # The same, as Administrator only.
        ({"context": 0, "guild_id": "9", "authorizing_integration_owners": {"0": "9"},
          "app_permissions": str(1 << 3)}, True),
        # Without history (a reply needs the message it answers) or without embeds.
        ({"context": 0, "guild_id": "9", "authorizing_integration_owners": {"0": "9"},
          "app_permissions": str(int(SEND_EMBED_READ) & ~(1 << 16))}, False),
        ({"context": 0, "guild_id": "9", "authorizing_integration_owners": {"0": "9"},
          "app_permissions": str(int(SEND_EMBED_READ) & ~(1 << 14))}, False),
        # A thread: send in threads is what counts, not send.
        ({"context": 0, "guild_id": "9", "authorizing_integration_owners": {"0": "9"},
          "app_permissions": SEND_EMBED_READ, "channel": {"id": "3", "type": 11}}, False),
        ({"context": 0, "guild_id": "9", "authorizing_integration_owners": {"0": "9"},
          "app_permissions": str(int(SEND_EMBED_READ) & ~(1 << 11) | (1 << 38)),
          "channel": {"id": "3", "type": 11}}, True),
        # A user install in a server without the bot; another server's install.
        ({"context": 0, "guild_id": "9", "authorizing_integration_owners": {"1": "4"},
          "app_permissions": SEND_EMBED_READ}, False),
        ({"context": 0, "guild_id": "9", "authorizing_integration_owners": {"0": "8"},
          "app_permissions": SEND_EMBED_READ}, False),
        # The bot's own DM: yes; someone else's DM or a group DM, or no context: no.
        ({"context": 1, "authorizing_integration_owners": {"1": "4"}}, True),
        ({"context": 2, "authorizing_integration_owners": {"1": "4"},
          "app_permissions": SEND_EMBED_READ}, False),
        ({"guild_id": "9", "app_permissions": SEND_EMBED_READ}, False),
    ],
)  # fmt: skip
def test_may_reply_in_channel(fields, expected):
    assert may_reply_in_channel(_interaction(**fields)) is expected
