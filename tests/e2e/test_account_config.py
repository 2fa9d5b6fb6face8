"""/config end to end: show with sources, set-model, set-param, the edit-advanced modal, reset;
field-level errors that change nothing; the saved settings then drive /chat."""

from __future__ import annotations

import json

from tests.e2e.chat_stack import KEYS
from tests.e2e.conftest import private
from tests.fakes.discord_spec import response_errors
from tzurot.commands.user_config import EDIT_HINT
from tzurot.discord.modals import ADVANCED_NOTES

DEFERRED_PRIVATELY = {"type": 5, "data": {"flags": 64}}
LILITH_SHOWN = [
    "• provider: `openrouter` (personality default)",
    "• model: `anthropic/claude-3.5-sonnet` (personality default)",
    "• temperature: `0.7` (personality default)",
    "• top_p: not set (the provider's default)",
    "• max_tokens: `500` (personality default)",
    "• advanced parameters: not set (the provider's default)",
    "• history: 6 messages, referenced messages: 2 (personality default)",
]


def overrides(account) -> list[tuple]:
    rows = account.db.execute(
        "SELECT p.slug, o.provider, o.model, o.temperature::text, o.top_p::text, o.max_tokens, "
        "o.advanced_parameters FROM user_config_overrides o "
        "LEFT JOIN personalities p ON p.id = o.personality_id ORDER BY p.slug NULLS FIRST"
    ).fetchall()
    return [tuple(row) for row in rows]


def content(account, exchange) -> str:
    body = account.reply(exchange)
    assert body["flags"] == 64 and body["allowed_mentions"] == {"parse": []}
    return body["content"]


def test_show_lists_each_value_with_its_source(account):
    exchange = account.command("config", "show", "personality=lil")  # by alias
    assert exchange.response == DEFERRED_PRIVATELY
    assert account.reply(exchange) == private(
        "\n".join(["**Your settings for Lilith**", *LILITH_SHOWN, EDIT_HINT])
    )


def test_set_model_for_one_personality(account):
    exchange = account.command(
        "config", "set-model", "provider=openai", "model=gpt-4o", "personality=lilith"
    )
    assert overrides(account) == [("lilith", "openai", "gpt-4o", None, None, None, None)]
    assert content(account, exchange) == "\n".join(
        [
            "Saved: OpenAI model `gpt-4o` for Lilith.",
            "**Your settings for Lilith**",
            "• provider: `openai` (your setting for Lilith)",
            "• model: `gpt-4o` (your setting for Lilith)",
            *LILITH_SHOWN[2:],
            # Kept in the config, but OpenAI deprecated max_tokens: what is sent instead.
            "Not sent as set, for this provider's current API:",
            "• `max_tokens`: sent as max_completion_tokens (OpenAI deprecated max_tokens)",
            EDIT_HINT,
        ]
    )
    # /chat now goes to OpenAI with the user's key.
    account.store_key("openai")
    account.chat.chat("lilith", "hello")
    assert account.provider("openrouter").requests == []
    assert account.provider("openai").last_request.json["model"] == "gpt-4o"


def test_set_param_as_a_default_applies_to_every_personality(account):
    exchange = account.command("config", "set-param", "name=temperature", "value=0.35")
    assert overrides(account) == [(None, None, None, "0.35", None, None, None)]
    assert content(account, exchange) == (
        "Saved: temperature = `0.35` for your defaults.\n"
        "**Your defaults** (for every personality, under any setting you make for one)\n"
        "• temperature: `0.35`\n"
        "Everything else comes from each personality.\n" + EDIT_HINT
    )
    shown = content(account, account.command("config", "show", "personality=ada"))
    assert "• temperature: `0.35` (your default)" in shown.split("\n")


def test_an_invalid_value_shows_field_errors_and_changes_nothing(account):
    account.command("config", "set-param", "name=max_tokens", "value=800", "personality=sonnet")
    before = overrides(account)
    assert before == [("sonnet", None, None, None, None, 800, None)]

    # Anthropic's temperature stops at 1.
    exchange = account.command(
        "config", "set-param", "name=temperature", "value=1.5", "personality=sonnet"
    )
    assert account.reply(exchange) == private(
        "Nothing was changed; these settings would not work:\n• `temperature`: must be at most 1"
    )
    fractional = account.command(
        "config", "set-param", "name=max_tokens", "value=800.5", "personality=sonnet"
    )
    assert account.reply(fractional) == private(
        "Nothing was changed; these settings would not work:\n"
        "• `max_tokens`: must be a whole number"
    )
    assert overrides(account) == before


def advanced_field(exchange) -> tuple[str, dict]:
    """(the note, the text input) of the edit-advanced modal the endpoint answered with."""
    assert exchange.response["type"] == 9  # the modal, answered inline
    assert exchange.queued == [] and exchange.result is None
    (label,) = exchange.response["data"]["components"]
    return label["description"], label["component"]


def test_edit_advanced_opens_a_form_and_its_json_is_validated(account, specs_dir):
    opened = account.command("config", "edit-advanced", "personality=lilith")
    assert response_errors(specs_dir, opened.response) == []
    assert opened.response["data"]["custom_id"] == "config-advanced:lilith"
    note, field = advanced_field(opened)
    assert (note, "value" in field) == (ADVANCED_NOTES["none"], False)

    saved = account.modal(
        "config-advanced:lilith", advanced_parameters='{"minP": 0.05, "topK": 40}'
    )
    assert saved.response == DEFERRED_PRIVATELY
    assert overrides(account) == [
        ("lilith", None, None, None, None, None, {"minP": 0.05, "topK": 40})
    ]
    lines = content(account, saved).split("\n")
    assert lines[0] == "Saved: advanced parameters for Lilith."
    assert '• advanced parameters: `{"minP": 0.05, "topK": 40}` (your setting for Lilith)' in lines

    # The form now opens with what was saved (by alias too), and sending it back unchanged
    # changes nothing.
    reopened = account.command("config", "edit-advanced", "personality=lil")
    assert response_errors(specs_dir, reopened.response) == []
    assert reopened.response["data"]["custom_id"] == "config-advanced:lil"
    note, field = advanced_field(reopened)
    assert (note, field["value"]) == (
        ADVANCED_NOTES["stored"],
        '{\n    "minP": 0.05,\n    "topK": 40\n}',
    )
    unchanged = account.modal("config-advanced:lil", advanced_parameters=field["value"])
    assert content(account, unchanged).split("\n")[0] == "Saved: advanced parameters for Lilith."
    assert overrides(account) == [
        ("lilith", None, None, None, None, None, {"minP": 0.05, "topK": 40})
    ]

    unknown = account.modal("config-advanced:lilith", advanced_parameters='{"thinking": {}}')
    assert content(account, unknown) == (
        "Nothing was changed; these settings would not work:\n"
        "• `advanced_parameters.thinking`: unknown key 'thinking' for openrouter; allowed: "
        "frequencyPenalty, minP, presencePenalty, reasoningEffort, repetitionPenalty, seed, "
        "stop, streamResponse, topA, topK, transforms, typicalP"
    )
    broken = account.modal("config-advanced:lilith", advanced_parameters='{"minP": 0.1,}')
    assert content(account, broken) == (
        "Nothing was changed; these settings would not work:\n"
        "• `advanced_parameters`: not valid JSON (Expecting property name enclosed in double "
        "quotes at line 1, column 14)"
    )
    not_object = account.modal("config-advanced:lilith", advanced_parameters="[1, 2]")
    assert content(account, not_object) == (
        "Nothing was changed; these settings would not work:\n"
        '• `advanced_parameters`: must be a JSON object, e.g. {"topK": 40}'
    )
    assert overrides(account)[0][6] == {"minP": 0.05, "topK": 40}

    cleared = account.modal("config-advanced:lilith", advanced_parameters="")
    assert content(account, cleared).startswith("Cleared your advanced parameters for Lilith.\n")
    assert overrides(account) == []  # nothing else was set: the row is gone


def test_switching_provider_clears_advanced_parameters_written_for_the_old_one(account):
    account.modal("config-advanced:lilith", advanced_parameters='{"minP": 0.05}')
    exchange = account.command(
        "config", "set-model", "provider=anthropic", "model=claude-sonnet-4-5", "personality=lil"
    )
    assert content(account, exchange).split("\n")[0] == (
        "Saved: Anthropic model `claude-sonnet-4-5` for Lilith. Your advanced parameters were "
        "for OpenRouter, so they were cleared."
    )
    assert overrides(account) == [
        ("lilith", "anthropic", "claude-sonnet-4-5", None, None, None, None)
    ]


def test_defaults_need_a_provider_for_advanced_parameters(account):
    exchange = account.modal("config-advanced:", advanced_parameters='{"topK": 20}')
    assert content(account, exchange) == (
        "Nothing was changed; these settings would not work:\n"
        "• `advanced_parameters`: your defaults name no provider, and advanced parameters "
        "differ per provider; choose one with `/config set-model` first"
    )
    account.command("config", "set-model", "provider=google", "model=gemini-2.5-flash")
    saved = account.modal("config-advanced:", advanced_parameters='{"topK": 20}')
    assert content(account, saved).split("\n")[0] == "Saved: advanced parameters for your defaults."
    assert overrides(account) == [
        (None, "google", "gemini-2.5-flash", None, None, None, {"topK": 20})
    ]


def test_reset_removes_the_scope_only(account):
    account.command("config", "set-param", "name=top_p", "value=0.9")
    account.command("config", "set-param", "name=top_p", "value=0.5", "personality=ada")
    exchange = account.command("config", "reset", "personality=ada")
    lines = content(account, exchange).split("\n")
    assert lines[:2] == ["Removed your settings for Ada.", "**Your settings for Ada**"]
    assert "• top_p: `0.9` (your default)" in lines
    assert overrides(account) == [(None, None, None, None, "0.900", None, None)]
    again = account.command("config", "reset", "personality=ada")
    assert account.reply(again) == private(
        "You have no settings of your own for Ada; nothing to reset."
    )
    shown = content(account, account.command("config", "show"))
    assert shown == (
        "**Your defaults** (for every personality, under any setting you make for one)\n"
        "• top_p: `0.9`\n"
        "Everything else comes from each personality.\n" + EDIT_HINT
    )


def test_show_defaults_lists_personalities_with_own_settings(account):
    account.command("config", "set-param", "name=temperature", "value=0.5", "personality=gemma")
    account.command("config", "set-param", "name=temperature", "value=0.5", "personality=ada")
    shown = content(account, account.command("config", "show"))
    assert shown.split("\n")[-1] == "You also have settings for: Ada, Gemma."


def test_an_unknown_personality_gets_suggestions(account):
    exchange = account.command("config", "show", "personality=lilit")
    text = content(account, exchange)
    assert text.startswith("I don't know a personality called “lilit”. Did you mean “Lilith”?")
    assert overrides(account) == []


def test_settings_survive_a_json_roundtrip_of_the_job(account):
    # The job carries the option values as Discord typed them: a NUMBER arrives as a float.
    exchange = account.command("config", "set-param", "name=max_tokens", "value=1200")
    assert json.loads(exchange.queued[0])["options"] == {"name": "max_tokens", "value": 1200.0}
    assert overrides(account) == [(None, None, None, None, None, 1200, None)]
    assert KEYS  # the chat rig's keys are untouched by /config


def test_text_postgresql_cannot_store_is_cleaned_before_saving(account):
    """A NUL in an option, or a \\u0000 escape or lone surrogate in the advanced JSON, used to
    fail the save with an internal error; it is dropped (a surrogate becomes U+FFFD)."""
    account.command(
        "config", "set-model", "provider=openai", "model=gpt-4o\x00", "personality=lilith"
    )
    assert overrides(account) == [("lilith", "openai", "gpt-4o", None, None, None, None)]
    account.command("config", "set-model", "provider=openrouter", "model=m\x00x")
    saved = account.modal(
        "config-advanced:", advanced_parameters='{"top\\u0000K": 20, "stop": ["\\ud800"]}'
    )
    assert content(account, saved).split("\n")[0] == "Saved: advanced parameters for your defaults."
    advanced = {"topK": 20, "stop": ["\ufffd"]}
    assert overrides(account)[0] == (None, "openrouter", "mx", None, None, None, advanced)
