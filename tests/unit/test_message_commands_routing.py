"""The endpoint's side of the message commands, with recording doubles (no database, no queue):
what each answers when the target is missing, the last personality is unknown or the database
is slow, and what a job carries."""

from __future__ import annotations

import json

from tests.fakes.interactions import GUILD, Recorder, modal_submit, signed
from tzurot.dev import simulator
from tzurot.discord import endpoint as endpoint_module
from tzurot.discord.message_commands import NO_PERSONALITY, NO_TARGET, parse_ask
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


def run(recorder: Recorder, payload: dict, last: Prefill) -> dict:
    headers, body = signed(payload)
    point = recorder.endpoint(last_personality=lambda discord_id: last)
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
    answer = run(Recorder(), message_command("Ask a personality", RESOLVED), Prefill(NONE))
    assert answer["type"] == 9
    assert parse_ask(answer["data"]["custom_id"]) == (MESSAGE["id"], "bob")


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
