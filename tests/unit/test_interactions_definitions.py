"""The command set: valid against Discord's schema, coherent with ARCHITECTURE.md and the router."""

from __future__ import annotations

import json

import pytest

from tests.fakes.discord_spec import errors, schema_validator
from tzurot.discord.definitions import COMMANDS, SUB_COMMAND, command_payloads


def test_every_command_is_valid_against_application_command_create_request(specs_dir):
    validator = schema_validator(specs_dir, "ApplicationCommandCreateRequest")
    payloads = command_payloads()
    assert {p["name"]: errors(validator, p) for p in payloads} == {p["name"]: [] for p in payloads}


def test_the_validator_does_catch_bad_definitions(specs_dir):
    validator = schema_validator(specs_dir, "ApplicationCommandCreateRequest")
    bad = command_payloads()[0] | {"description": "x" * 101}
    assert errors(validator, bad) != []
    option = {"type": 3, "name": "a", "description": "b", "choices": [{"name": "", "value": "v"}]}
    assert errors(validator, {"name": "c", "description": "d", "options": [option]}) != []


def test_each_is_also_a_valid_item_of_the_bulk_overwrite_put(specs_dir):
    update = schema_validator(specs_dir, "ApplicationCommandUpdateRequest")
    assert [errors(update, payload) for payload in command_payloads()] == [[]] * len(
        command_payloads()
    )


def _shape(payload: dict) -> dict:
    """command -> subcommand -> option names (the surface a user sees)."""
    shape = {}
    for option in payload.get("options", []):
        if option["type"] == SUB_COMMAND:
            shape[option["name"]] = [o["name"] for o in option.get("options", [])]
        else:
            shape.setdefault("", []).append(option["name"])
    return shape


def test_the_set_covers_every_command_of_the_architecture():
    shapes = {p["name"]: _shape(p) for p in command_payloads()}
    assert shapes == {
        "chat": {"": ["personality", "message", "image"]},
        "imagine": {"": ["prompt", "personality", "size"]},
        "wallet": {
            "set": ["provider"],
            "list": [],
            "remove": ["provider"],
            "test": ["provider"],
        },
        "config": {
            "show": ["personality"],
            "set-model": ["provider", "model", "personality"],
            "set-param": ["name", "value", "personality"],
            "edit-advanced": ["personality"],
            "reset": ["personality"],
            "voice": ["state", "personality"],
        },
        "timezone": {"set": ["zone"], "get": []},
        "usage": {"": ["period"]},
        "personality": {"info": ["name"]},
        "admin": {"usage": ["period"]},
        "character": {
            "create": [],
            "edit": ["character", "name", "description", "greeting", "error_message"],
            "delete": ["character"],
            "list": [],
            "info": ["character"],
            "visibility": ["character", "visibility"],
            "avatar": ["character", "image"],
        },
        "help": {},
        "memory": {
            "list": ["personality", "page"],
            "forget": ["memory"],
            "clear": ["personality"],
            "off": ["personality"],
            "on": ["personality"],
        },
        "history": {"clear": ["personality"]},
        "privacy": {"export": [], "delete": []},
        "Ask a personality": {},
        "Reply as last personality": {},
    }


def test_message_commands_are_type_3_everywhere_and_within_discords_limit():
    from tzurot.discord.definitions import MAX_MESSAGE_COMMANDS

    message_commands = [p for p in command_payloads() if p["type"] == 3]
    assert message_commands == [
        {
            "name": name,
            "type": 3,
            "integration_types": [0, 1],
            "contexts": [0, 1, 2],
        }
        for name in ("Ask a personality", "Reply as last personality")
    ]
    assert len(message_commands) <= MAX_MESSAGE_COMMANDS


def _options(name: str, sub: str | None = None) -> dict[str, dict]:
    payload = next(p for p in command_payloads() if p["name"] == name)
    options = payload["options"]
    if sub:
        options = next(o for o in options if o["name"] == sub)["options"]
    return {o["name"]: o for o in options}


def _choices(option: dict) -> list[str]:
    return [c["value"] for c in option["choices"]]


def test_choices_and_autocomplete_flags():
    providers = ["openai", "anthropic", "google", "openrouter", "elevenlabs"]
    for sub in ("set", "remove", "test"):
        assert _choices(_options("wallet", sub)["provider"]) == providers
    assert _choices(_options("config", "set-model")["provider"]) == providers[:4]
    assert _choices(_options("imagine")["size"]) == ["1024x1024", "1792x1024", "1024x1792"]
    assert _choices(_options("usage")["period"]) == ["day", "week", "month"]
    assert _choices(_options("admin", "usage")["period"]) == ["day", "week", "month"]
    assert _choices(_options("config", "set-param")["name"]) == [
        "temperature",
        "top_p",
        "max_tokens",
    ]
    assert _options("config", "set-param")["value"]["type"] == 10  # NUMBER
    assert _choices(_options("config", "voice")["state"]) == ["on", "off"]
    autocompleted = {
        ("chat", None, "personality"),
        ("imagine", None, "personality"),
        ("personality", "info", "name"),
        ("timezone", "set", "zone"),
        ("config", "set-model", "model"),  # from the model catalog
        *(("config", sub, "personality") for sub in ("show", "set-model", "set-param")),
        *(("config", sub, "personality") for sub in ("edit-advanced", "reset", "voice")),
        *(
            ("character", sub, "character")
            for sub in ("edit", "delete", "info", "visibility", "avatar")
        ),
        *(("memory", sub, "personality") for sub in ("list", "clear", "off", "on")),
        ("memory", "forget", "memory"),
        ("history", "clear", "personality"),
    }
    found = set()
    for payload in command_payloads():
        for option in payload.get("options", []):
            inner = option.get("options", []) if option["type"] == SUB_COMMAND else [option]
            sub = option["name"] if option["type"] == SUB_COMMAND else None
            found |= {(payload["name"], sub, o["name"]) for o in inner if o.get("autocomplete")}
    assert found == autocompleted


def test_required_options_come_first_and_every_command_works_everywhere():
    for payload in command_payloads():
        assert payload["integration_types"] == [0, 1]  # server install and user install
        assert payload["contexts"] == [0, 1, 2]  # servers, bot DMs, other DMs
        groups = [payload.get("options", [])] + [
            o.get("options", []) for o in payload.get("options", []) if o["type"] == SUB_COMMAND
        ]
        for options in groups:
            required = [o.get("required", False) for o in options if o["type"] != SUB_COMMAND]
            assert required == sorted(required, reverse=True), payload["name"]


@pytest.mark.parametrize(
    ("name", "ephemeral", "queue"),
    [
        ("chat", False, "generate"),
        ("imagine", False, "image"),
        ("wallet", True, "generate"),
        ("config", True, "generate"),
        ("timezone", True, "generate"),
        ("usage", True, "generate"),
        ("admin", True, "generate"),
        ("help", True, "generate"),
        ("personality", False, "generate"),
    ],
)
def test_routing_metadata(name, ephemeral, queue):
    assert (COMMANDS[name].ephemeral, COMMANDS[name].queue) == (ephemeral, queue)


def test_payloads_are_plain_json_and_stable():
    assert json.loads(json.dumps(command_payloads())) == command_payloads()
    assert command_payloads() == command_payloads()
