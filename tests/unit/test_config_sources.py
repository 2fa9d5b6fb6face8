"""/config show's source attribution and /config's checks, on hand-built layers (no database):
each value is shown with the layer it comes from, exactly as /chat's merge decides."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from tzurot.commands.config_resolution import ConfigUnusable, Layer, UserLayers, merge
from tzurot.commands.user_config import (
    EDIT_HINT,
    Scope,
    check,
    invalid_reply,
    render,
    source_label,
)
from tzurot.personalities.model import LlmConfig, Personality

LLM = LlmConfig(
    id=uuid.uuid4(),
    name="lilith-config",
    provider="openrouter",
    model="openai/gpt-4o-mini",
    temperature=Decimal("0.70"),
    max_tokens=500,
    max_conversation_history=6,
    max_referenced_messages=2,
    advanced_parameters={"topK": 40},
)
LILITH = Personality(id=uuid.uuid4(), name="Lilith", slug="lilith", llm=LLM)


def scope(
    default: Layer | None = None, own: Layer | None = None, legacy: Layer | None = None
) -> Scope:
    return Scope(
        LILITH,
        Layer.from_llm_config(LLM),
        UserLayers(legacy=legacy, user_default=default, user_personality=own),
    )


def test_each_value_names_the_layer_it_comes_from():
    shown = render(
        scope(
            default=Layer("user-default", temperature=0.9, top_p=0.95),
            own=Layer("user-personality", model="anthropic/claude-3.5-sonnet", top_p=0.5),
        )
    )
    assert shown == "\n".join(
        [
            "**Your settings for Lilith**",
            "• provider: `openrouter` (personality default)",
            "• model: `anthropic/claude-3.5-sonnet` (your setting for Lilith)",
            "• temperature: `0.9` (your default)",
            "• top_p: `0.5` (your setting for Lilith)",
            "• max_tokens: `500` (personality default)",
            '• advanced parameters: `{"topK": 40}` (personality default)',
            "• history: 6 messages, referenced messages: 2 (personality default)",
            EDIT_HINT,
        ]
    )


def test_advanced_parameters_merge_key_by_key_and_take_the_top_source():
    shown = render(scope(own=Layer("user-personality", advanced_parameters={"minP": 0.1})))
    assert '• advanced parameters: `{"topK": 40, "minP": 0.1}` (your setting for Lilith)' in shown


def test_a_provider_switch_drops_the_advanced_parameters_below_it():
    own = Layer("user-personality", provider="openai", model="gpt-4o")
    shown = render(scope(own=own)).split("\n")
    assert shown[1:7] == [
        "• provider: `openai` (your setting for Lilith)",
        "• model: `gpt-4o` (your setting for Lilith)",
        "• temperature: `0.7` (personality default)",
        "• top_p: not set (the provider's default)",
        "• max_tokens: `500` (personality default)",
        "• advanced parameters: not set (the provider's default)",
    ]


def test_a_legacy_config_replaces_the_personality_layer():
    legacy = Layer(
        "legacy",
        provider="openai",
        model="gpt-4o",
        max_tokens=900,
        max_conversation_history=20,
        max_referenced_messages=5,
    )
    shown = render(scope(legacy=legacy)).split("\n")
    assert shown[1] == "• provider: `openai` (your saved config)"
    assert shown[3] == "• temperature: not set (the provider's default)"
    assert shown[5] == "• max_tokens: `900` (your saved config)"
    assert shown[7] == "• history: 20 messages, referenced messages: 5 (your saved config)"


def test_settings_that_do_not_fit_the_provider_are_flagged():
    shown = render(scope(own=Layer("user-personality", provider="anthropic", model="claude")))
    # Anthropic has no topK from OpenRouter (dropped by the switch), but temperature 0.7 fits;
    # a temperature of 1.5 from the user's default does not.
    assert "can't be used" not in shown
    shown = render(
        scope(
            default=Layer("user-default", temperature=1.5),
            own=Layer("user-personality", provider="anthropic", model="claude"),
        )
    )
    assert shown.split("\n")[-3:] == [
        "These settings can't be used right now:",
        "• `temperature`: must be at most 1",
        EDIT_HINT,
    ]


def test_a_switch_without_a_model_cannot_be_merged():
    broken = scope(default=Layer("user-default", provider="google"))
    with pytest.raises(ConfigUnusable) as caught:  # the merge's own words, shown as they are
        merge(broken.base, broken.layers)
    (problem,) = caught.value.problems
    assert problem.startswith("provider: ")
    assert render(broken) == (
        "**Your settings for Lilith** can't be used:\n"
        f"• `provider`: {problem.removeprefix('provider: ')}\n" + EDIT_HINT
    )


def test_source_labels():
    assert source_label("personality", "Lilith") == "personality default"
    assert source_label("user-default", "Lilith") == "your default"
    assert source_label("user-personality", "Nyx") == "your setting for Nyx"
    assert source_label("legacy", "Nyx") == "your saved config"
    assert source_label(None, "Nyx") == "provider default"


def test_defaults_show_only_what_the_user_set():
    defaults = Scope(
        None, None, UserLayers(user_default=Layer("user-default", temperature=0.25, top_p=None))
    )
    assert render(defaults) == (
        "**Your defaults** (for every personality, under any setting you make for one)\n"
        "• temperature: `0.25`\n"
        "Everything else comes from each personality.\n" + EDIT_HINT
    )
    nothing = Scope(None, None, UserLayers())
    assert render(nothing) == (
        "**Your defaults**\nYou have no defaults of your own: every personality uses its own "
        "settings.\n" + EDIT_HINT
    )


def test_checks_of_a_personality_edit_validate_the_resulting_config():
    assert check(scope(), Layer("user-personality", temperature=1.2)) == []
    assert check(scope(), Layer("user-personality", temperature=2.5)) == [
        "temperature: must be at most 2"
    ]
    # OpenRouter has no "thinking"; the user's JSON key is checked against its schema.
    problems = check(scope(), Layer("user-personality", advanced_parameters={"thinking": {}}))
    assert problems == [
        "advanced_parameters.thinking: unknown key 'thinking' for openrouter; allowed: "
        "frequencyPenalty, minP, presencePenalty, reasoningEffort, repetitionPenalty, seed, "
        "stop, streamResponse, topA, topK, transforms, typicalP"
    ]


def test_checks_of_the_defaults_use_their_own_provider_or_the_widest_ranges():
    defaults = Scope(None, None, UserLayers())
    assert check(defaults, Layer("user-default", temperature=1.5)) == []
    assert check(
        defaults, Layer("user-default", provider="anthropic", model="claude", temperature=1.5)
    ) == ["temperature: must be at most 1"]
    assert check(defaults, Layer("user-default", max_tokens=0)) == [
        "max_tokens: must be at least 1"
    ]
    assert check(defaults, Layer("user-default", advanced_parameters={"topK": 5})) == [
        "advanced_parameters: your defaults name no provider, and advanced parameters differ "
        "per provider; choose one with `/config set-model` first"
    ]


def test_invalid_reply_lists_field_errors():
    assert invalid_reply(["temperature: must be at most 1", "advanced_parameters.x: bad"]) == (
        "Nothing was changed; these settings would not work:\n"
        "• `temperature`: must be at most 1\n"
        "• `advanced_parameters.x`: bad"
    )
