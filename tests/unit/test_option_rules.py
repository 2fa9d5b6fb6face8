"""Option limits from the command definitions, enforced at the endpoint before a job exists
(and by `tzurot simulate`, see test_simulate_validation.py)."""

from __future__ import annotations

import json

import pytest

from tests.fakes.interactions import Recorder, command, modal_submit, signed
from tzurot.discord import endpoint as ep
from tzurot.discord import modals
from tzurot.discord.definitions import COMMANDS
from tzurot.discord.option_rules import option_problems


def call(recorder: Recorder, payload: dict):
    headers, body = signed(payload)
    response = recorder.endpoint().handle(headers, body)
    return response.status, json.loads(response.body)


def with_options(payload: dict, options: list[dict]) -> dict:
    """`payload` with its (innermost) options replaced, as a hand-made client could send."""
    data = payload["data"]
    if data.get("options") and data["options"][0]["type"] == 1:
        data = data["options"][0]
    data["options"] = options
    return payload


def polite(problems: str) -> dict:
    return {
        "type": 4,
        "data": {
            "content": ep.INVALID_OPTIONS.format(problems=problems),
            "allowed_mentions": {"parse": []},
            "flags": 64,
        },
    }


def test_an_oversized_message_is_refused_before_a_job_exists():
    recorder = Recorder()
    payload = with_options(
        command("chat", "personality=lilith", "message=hi"),
        [
            {"name": "personality", "type": 3, "value": "lilith"},
            {"name": "message", "type": 3, "value": "x" * 300_000},
        ],
    )
    status, body = call(recorder, payload)
    assert status == 200
    assert body == polite("`message` can be at most 2000 characters (got 300000)")
    assert not recorder.touched  # nothing sealed, nothing queued


SET_PARAM = ("config", ["set-param", "name=temperature", "value=1"])


def temperature(value) -> list[dict]:
    return [
        {"name": "name", "type": 3, "value": "temperature"},
        {"name": "value", "type": 10, "value": value},
    ]


@pytest.mark.parametrize(
    ("name", "args", "options", "problem"),
    [
        (
            "chat",
            ["personality=lilith", "message=hi"],
            [{"name": "personality", "type": 3, "value": "lilith"}],
            "`message` is required",
        ),
        (
            "chat",
            ["personality=lilith", "message=hi"],
            [
                {"name": "personality", "type": 3, "value": "lilith"},
                {"name": "message", "type": 3, "value": "hi"},
                {"name": "evil", "type": 3, "value": "x"},
            ],
            "`evil` is not an option of this command",
        ),
        (
            "chat",
            ["personality=lilith", "message=hi"],
            [
                {"name": "personality", "type": 3, "value": "lilith"},
                {"name": "message", "type": 3, "value": 12},
            ],
            "`message` must be text",
        ),
        (
            "imagine",
            ["prompt=a cat"],
            [
                {"name": "prompt", "type": 3, "value": "a cat"},
                {"name": "size", "type": 3, "value": "99999x99999"},
            ],
            "`size` must be one of: 1024x1024, 1792x1024, 1024x1792",
        ),
        (
            *SET_PARAM,
            temperature(-1),
            "`value` must be at least 0",
        ),
        (
            *SET_PARAM,
            temperature("0.5"),
            "`value` must be a number",
        ),
        (
            *SET_PARAM,
            temperature(1e300),
            "`value` must be a number",
        ),
        (
            "timezone",
            ["set", "zone=UTC"],
            [{"name": "zone", "type": 3, "value": "Z" * 65}],
            "`zone` can be at most 64 characters (got 65)",
        ),
    ],
)
def test_what_discord_would_never_send_gets_a_polite_answer(name, args, options, problem):
    recorder = Recorder()
    status, body = call(recorder, with_options(command(name, *args), options))
    assert (status, body) == (200, polite(problem))
    assert not recorder.touched


def test_valid_options_still_make_a_job():
    recorder = Recorder()
    status, body = call(recorder, command("config", "set-param", "name=top_p", "value=0.5"))
    assert (status, body) == (200, {"type": 5, "data": {"flags": 64}})
    assert recorder.jobs[0].options == {"name": "top_p", "value": 0.5}


def test_an_oversized_advanced_form_is_refused():
    recorder = Recorder()
    too_long = "x" * (modals.MAX_ADVANCED_LENGTH + 1)
    _, body = call(recorder, modal_submit("config-advanced:", advanced_parameters=too_long))
    assert body["data"]["content"] == ep.FORM_TOO_LONG.format(limit=modals.MAX_ADVANCED_LENGTH)
    assert not recorder.touched


def test_the_rules_follow_the_definitions():
    chat = COMMANDS["chat"]
    assert option_problems(chat, None, {"personality": "a", "message": "m" * 2000}) == []
    assert option_problems(chat, None, {"personality": "a", "message": ""}) == [
        "`message` needs at least 1 character"
    ]
    # An autocomplete's focused option is partial: no length or required checks.
    assert option_problems(chat, None, {"personality": ""}, focused="personality") == []
    assert option_problems(COMMANDS["config"], "set-param", {"name": "x", "value": True}) == [
        "`name` must be one of: temperature, top_p, max_tokens",
        "`value` must be a number",
    ]
