"""Text PostgreSQL cannot store (NUL, lone surrogates) is cleaned where user text arrives."""

from __future__ import annotations

import json

from tests.fakes.interactions import command, modal_submit
from tzurot.discord import modals
from tzurot.discord.interaction import Interaction
from tzurot.storable import storable, storable_json


def test_nul_is_dropped_and_a_lone_surrogate_replaced():
    assert storable("hi\x00there") == "hithere"
    assert storable("a\ud800b\udfffc") == "a\ufffdb\ufffdc"
    clean = "plain text, ünïcødé and 😀"
    assert storable(clean) is clean


def test_json_values_and_keys_are_cleaned_at_any_depth():
    parsed = json.loads('{"top\\u0000K": 40, "stop": ["a\\u0000b", {"x": "\\ud800"}], "n": 1.5}')
    assert storable_json(parsed) == {"topK": 40, "stop": ["ab", {"x": "\ufffd"}], "n": 1.5}


def test_the_interaction_model_cleans_options_and_names():
    payload = command("chat", "personality=lil\x00ith", "message=hi\x00there")
    payload["member"]["user"]["username"] = "dev\x00user"
    payload["member"]["user"]["global_name"] = "Dev\x00"
    parsed = Interaction.model_validate_json(json.dumps(payload))
    path = parsed.command_path()
    assert path.options == {"personality": "lilith", "message": "hithere"}
    assert (parsed.invoker.username, parsed.invoker.global_name) == ("devuser", "Dev")


def test_modal_fields_are_cleaned():
    payload = modal_submit("config-advanced:lil\x00ith", advanced_parameters='{"a":\x00 1}')
    parsed = Interaction.model_validate_json(json.dumps(payload))
    assert parsed.data.custom_id == "config-advanced:lilith"
    value = modals.field_value(parsed.data.components, modals.ADVANCED_FIELD)
    assert value == '{"a": 1}'


def test_a_wallet_key_is_sealed_clean():
    from tests.fakes.interactions import Recorder, signed

    recorder = Recorder()
    payload = modal_submit("wallet-set:openai", api_key="sk-proj-abc\x00def12345")
    headers, body = signed(payload)
    assert recorder.endpoint().handle(headers, body).status == 200
    assert recorder.sealed[0]["secret"] == "sk-proj-abcdef12345"


def test_the_cli_refuses_arguments_that_are_not_utf8(capsys):
    from tzurot.cli.main import main

    word = b"Lil\xff".decode("utf-8", "surrogateescape")  # how Python hands over such bytes
    assert main(["personality", "alias", "add", "lilith", word]) == 2
    assert capsys.readouterr().err == "tzurot: error: 'Lil\ufffd' is not valid UTF-8 text\n"
