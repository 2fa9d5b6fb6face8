"""Effective LLM config: personality < legacy user config < user default < user override."""

from __future__ import annotations

import json

import pytest

from tzurot.commands.config_resolution import (
    ConfigUnusable,
    EffectiveConfig,
    Layer,
    NoModel,
    UserLayers,
    effective_config,
    guest_config,
    load_user_layers,
    merge,
)

BASE = Layer(
    "personality",
    provider="openrouter",
    model="anthropic/claude-3.5-sonnet",
    temperature=0.8,
    top_p=0.9,
    max_tokens=1000,
    advanced_parameters={"minP": 0.1, "repetitionPenalty": 1.1},
    max_conversation_history=20,
    max_referenced_messages=4,
)


def test_personality_config_alone():
    config = merge(BASE, UserLayers())
    assert config == EffectiveConfig(
        provider="openrouter",
        model="anthropic/claude-3.5-sonnet",
        temperature=0.8,
        top_p=0.9,
        max_tokens=1000,
        advanced_parameters={"minP": 0.1, "repetitionPenalty": 1.1},
        max_conversation_history=20,
        max_referenced_messages=4,
        sources={
            "provider": "personality",
            "model": "personality",
            "temperature": "personality",
            "top_p": "personality",
            "max_tokens": "personality",
            "max_conversation_history": "personality",
            "max_referenced_messages": "personality",
            "advanced_parameters": "personality",
        },
    )


def test_user_default_then_personality_override_win_field_by_field():
    user = UserLayers(
        user_default=Layer("user-default", temperature=0.3, advanced_parameters={"minP": 0.2}),
        user_personality=Layer("user-personality", max_tokens=500, temperature=0.5),
    )
    config = merge(BASE, user)
    assert (config.provider, config.model) == ("openrouter", "anthropic/claude-3.5-sonnet")
    assert (config.temperature, config.top_p, config.max_tokens) == (0.5, 0.9, 500)
    assert config.advanced_parameters == {"minP": 0.2, "repetitionPenalty": 1.1}
    assert config.sources["temperature"] == "user-personality"
    assert config.sources["advanced_parameters"] == "user-default"
    assert config.sources["top_p"] == "personality"


def test_legacy_user_config_replaces_the_personality_default_entirely():
    legacy = Layer(
        "legacy",
        provider="openai",
        model="gpt-4o-mini",
        temperature=None,
        max_conversation_history=7,
        max_referenced_messages=2,
    )
    config = merge(BASE, UserLayers(legacy=legacy))
    assert (config.provider, config.model, config.temperature, config.top_p) == (
        "openai",
        "gpt-4o-mini",
        None,
        None,
    )
    assert config.advanced_parameters == {}
    assert (config.max_conversation_history, config.max_referenced_messages) == (7, 2)


def test_switching_provider_drops_the_advanced_parameters_below():
    user = UserLayers(
        user_personality=Layer(
            "user-personality",
            provider="anthropic",
            model="claude-sonnet-4-5",
            advanced_parameters={"topK": 40},
        )
    )
    config = merge(BASE, user)
    assert (config.provider, config.model) == ("anthropic", "claude-sonnet-4-5")
    assert config.advanced_parameters == {"topK": 40}
    assert config.temperature == 0.8  # universal values still inherit


def test_switching_provider_without_a_model_is_refused_with_the_fix():
    user = UserLayers(user_default=Layer("user-default", provider="openai"))
    with pytest.raises(ConfigUnusable) as caught:
        merge(BASE, user)
    assert str(caught.value) == (
        "provider: your settings switch to openai but keep the openrouter model "
        "'anthropic/claude-3.5-sonnet'; choose a model for openai with /config set-model"
    )


def test_no_model_anywhere():
    with pytest.raises(NoModel, match="this personality has no model configured"):
        merge(None, UserLayers())
    assert issubclass(NoModel, ConfigUnusable)


def test_guest_config_for_a_personality_without_any_config():
    guest = guest_config(None, "openrouter", "meta-llama/llama-3.1-8b-instruct")
    assert guest == EffectiveConfig(
        provider="openrouter",
        model="meta-llama/llama-3.1-8b-instruct",
        sources={"provider": "guest"},
    )


def test_user_overrides_alone_can_make_a_config_for_a_personality_without_one():
    user = UserLayers(user_default=Layer("user-default", provider="openai", model="gpt-4o"))
    config = merge(None, user)
    assert (config.provider, config.model, config.max_conversation_history) == (
        "openai",
        "gpt-4o",
        50,
    )


def test_validation_reports_field_errors_from_the_provider_schema():
    user = UserLayers(
        user_personality=Layer(
            "user-personality",
            provider="anthropic",
            model="claude-sonnet-4-5",
            advanced_parameters={"thinking": {"type": "enabled", "budgetTokens": 4000}},
        )
    )
    with pytest.raises(ConfigUnusable) as caught:
        effective_config(BASE, user)  # max_tokens 1000 < budget
    assert caught.value.problems == [
        "advanced_parameters.thinking.budgetTokens: must be below max_tokens; raise max_tokens "
        "above 4000 or lower the budget"
    ]


def test_validation_passes_a_good_config_through():
    config = effective_config(BASE, UserLayers())
    assert config.advanced_parameters == {"minP": 0.1, "repetitionPenalty": 1.1}
    assert config.provider == "openrouter"


def test_guest_config_keeps_universal_values_and_drops_foreign_advanced():
    config = merge(BASE, UserLayers())
    guest = guest_config(config, "openai", "gpt-4o-mini")
    assert (guest.provider, guest.model, guest.temperature, guest.max_tokens) == (
        "openai",
        "gpt-4o-mini",
        0.8,
        1000,
    )
    assert guest.advanced_parameters == {}
    assert guest.sources["model"] == "guest"
    same = guest_config(config, "openrouter", "meta-llama/llama-3.1-8b-instruct")
    assert same.advanced_parameters == {"minP": 0.1, "repetitionPenalty": 1.1}


def test_layers_load_from_the_database(db):
    user_id = db.execute(
        "INSERT INTO users (discord_id, username) VALUES ('42', 'alice') RETURNING id"
    ).fetchone()[0]
    other = db.execute(
        "INSERT INTO personalities (name, slug) VALUES ('Other', 'other') RETURNING id"
    ).fetchone()[0]
    pid = db.execute(
        "INSERT INTO personalities (name, slug) VALUES ('Lilith', 'lilith') RETURNING id"
    ).fetchone()[0]
    config_id = db.execute(
        "INSERT INTO llm_configs (name, model, provider, temperature, top_p, "
        "max_conversation_history, max_referenced_messages, advanced_parameters) "
        "VALUES ('legacy', 'gpt-4o', 'openai', 0.70, 0.950, 12, 3, %s) RETURNING id",
        (json.dumps({"seed": 7}),),
    ).fetchone()[0]
    db.execute(
        "INSERT INTO user_personality_configs (user_id, personality_id, llm_config_id) "
        "VALUES (%s, %s, %s)",
        (user_id, pid, config_id),
    )
    db.execute(
        "INSERT INTO user_config_overrides (user_id, personality_id, temperature) "
        "VALUES (%s, NULL, 0.25), (%s, %s, 1.5)",
        (user_id, user_id, other),
    )
    db.execute(
        "INSERT INTO user_config_overrides (user_id, personality_id, max_tokens, "
        "advanced_parameters) VALUES (%s, %s, 300, %s)",
        (user_id, pid, json.dumps({"seed": 9})),
    )
    layers = load_user_layers(db, str(user_id), str(pid))
    assert layers.legacy == Layer(
        "legacy",
        provider="openai",
        model="gpt-4o",
        temperature=0.7,
        top_p=0.95,
        advanced_parameters={"seed": 7},
        max_conversation_history=12,
        max_referenced_messages=3,
    )
    assert layers.user_default == Layer("user-default", temperature=0.25)
    assert layers.user_personality == Layer(
        "user-personality", max_tokens=300, advanced_parameters={"seed": 9}
    )
    config = merge(BASE, layers)
    assert (config.model, config.temperature, config.max_tokens) == ("gpt-4o", 0.25, 300)
    assert config.advanced_parameters == {"seed": 9}
    assert config.max_conversation_history == 12
