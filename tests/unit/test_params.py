"""Per-provider parameter schemas and the validation entry points /config relies on."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tzurot.params.llm import LLM_PARAMS
from tzurot.params.validate import (
    FieldError,
    validate_image_params,
    validate_llm_config,
    validate_voice_settings,
)

THINKING = {"thinking": {"type": "enabled", "budgetTokens": 4000}}


def errors(result) -> list[str]:
    assert result.ok is False and result.normalized is None
    return [str(e) for e in result.errors]


# --- universal columns --------------------------------------------------------------------------


def test_valid_config_is_normalized():
    result = validate_llm_config(
        "openrouter",
        model="anthropic/claude-3.5-sonnet",
        temperature=Decimal("0.70"),
        top_p=Decimal("0.950"),
        max_tokens=2000,
        advanced_parameters={"minP": 0.05, "repetitionPenalty": 1.1, "stop": ["END"], "topK": 40},
    )
    assert result.ok and result.errors == [] and result.notes == []
    assert result.normalized == {
        "model": "anthropic/claude-3.5-sonnet",
        "temperature": 0.7,
        "top_p": 0.95,
        "max_tokens": 2000,
        "advanced_parameters": {
            "minP": 0.05,
            "repetitionPenalty": 1.1,
            "stop": ["END"],
            "topK": 40,
        },
    }


def test_everything_unset_is_valid_for_an_override_layer():
    result = validate_llm_config("google")
    assert result.ok
    assert result.normalized == {
        "model": None,
        "temperature": None,
        "top_p": None,
        "max_tokens": None,
        "advanced_parameters": {},
    }


@pytest.mark.parametrize(
    ("provider", "kwargs", "expected"),
    [
        ("openai", {"temperature": 2.01}, ["temperature: must be at most 2"]),
        ("openai", {"temperature": -0.1}, ["temperature: must be at least 0"]),
        ("anthropic", {"temperature": 1.5}, ["temperature: must be at most 1"]),
        ("google", {"top_p": 1.2}, ["top_p: must be at most 1"]),
        ("openai", {"max_tokens": 0}, ["max_tokens: must be at least 1"]),
        ("openai", {"max_tokens": 10.5}, ["max_tokens: must be a whole number"]),
        ("openai", {"temperature": "0.5"}, ["temperature: must be a number"]),
        ("openai", {"temperature": True}, ["temperature: must be a number"]),
        ("openai", {"model": "gpt 4o"}, ["model: may hold only letters, digits and _ . : / @ + -"]),
        ("openai", {"model": ""}, ["model: must not be empty"]),
        ("openai", {"model": "m" * 101}, ["model: must be at most 100 characters"]),
        ("openai", {"temperature": float("nan")}, ["temperature: must be a finite number"]),
        ("openai", {"top_p": float("inf")}, ["top_p: must be a finite number"]),
    ],
)
def test_universal_ranges(provider, kwargs, expected):
    assert errors(validate_llm_config(provider, **kwargs)) == expected


def test_boundaries_are_inclusive():
    assert validate_llm_config("openai", temperature=2, top_p=0, max_tokens=1).ok
    assert validate_llm_config("anthropic", temperature=1, top_p=1).ok


def test_unknown_provider():
    assert errors(validate_llm_config("gemini")) == [
        "provider: unknown provider 'gemini'; expected one of openai, anthropic, google, openrouter"
    ]


def test_advanced_parameters_must_be_an_object():
    assert errors(validate_llm_config("openai", advanced_parameters=["stop"])) == [
        "advanced_parameters: must be an object"
    ]


# --- unknown keys -------------------------------------------------------------------------------


def test_unknown_key_is_named_with_a_suggestion_and_the_allowed_keys():
    result = validate_llm_config("anthropic", advanced_parameters={"top_k": 5})
    assert errors(result) == [
        "advanced_parameters.top_k: unknown key 'top_k' for anthropic (did you mean 'topK'?); "
        "allowed: cacheControl, effort, stop, streamResponse, thinking, topK"
    ]


@pytest.mark.parametrize(
    ("provider", "key"),
    [
        ("anthropic", "frequencyPenalty"),  # an OpenAI key
        ("openai", "topK"),
        ("google", "minP"),
        ("openrouter", "safetySettings"),
        ("anthropic", "seed"),
    ],
)
def test_other_providers_keys_are_unknown(provider, key):
    (message,) = errors(validate_llm_config(provider, advanced_parameters={key: 1}))
    assert message.startswith(f"advanced_parameters.{key}: unknown key {key!r} for {provider}")


def test_nested_unknown_key():
    result = validate_llm_config(
        "anthropic",
        max_tokens=8000,
        advanced_parameters={"thinking": {"type": "enabled", "budgetTokens": 2000, "budget": 1}},
    )
    assert errors(result) == [
        "advanced_parameters.thinking.budget: unknown key 'budget' for anthropic "
        "(did you mean 'budgetTokens'?); allowed: budgetTokens, type"
    ]


def test_a_long_unknown_key_is_cut_in_the_message():
    key = "k" * 300
    (error,) = validate_llm_config("openai", advanced_parameters={key: 1}).errors
    shown = "k" * 39 + "…"
    assert error.path == f"advanced_parameters.{shown}"
    assert error.reason.startswith(f"unknown key {shown!r} for openai; allowed: ")


@settings(max_examples=60, deadline=None)
@given(
    provider=st.sampled_from(sorted(LLM_PARAMS)),
    key=st.text(st.characters(codec="ascii", categories=["L", "N"]), min_size=1, max_size=20),
)
def test_any_unknown_key_is_rejected_by_name(provider, key):
    allowed = {f.alias for f in LLM_PARAMS[provider].model_fields.values()}
    result = validate_llm_config(provider, advanced_parameters={key: 1})
    if key in allowed:
        return
    assert not result.ok
    assert any(
        e.path == f"advanced_parameters.{key}" and repr(key) in e.reason for e in result.errors
    )


# --- per provider ranges ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "params", "expected"),
    [
        ("openai", {"frequencyPenalty": 2.5}, "advanced_parameters.frequencyPenalty: must be at most 2"),  # noqa: E501
        ("openai", {"presencePenalty": -3}, "advanced_parameters.presencePenalty: must be at least -2"),  # noqa: E501
        ("openai", {"seed": 1.5}, "advanced_parameters.seed: must be a whole number"),
        ("openai", {"logitBias": {"50256": -101}}, "advanced_parameters.logitBias.50256: must be at least -100"),  # noqa: E501
        ("openai", {"logitBias": {"the": 5}}, "advanced_parameters.logitBias: key 'the' must be a token id (digits only)"),  # noqa: E501
        ("openai", {"logitBias": {"5": 1.5}}, "advanced_parameters.logitBias.5: must be a whole number"),  # noqa: E501
        ("openai", {"frequencyPenalty": float("-inf")}, "advanced_parameters.frequencyPenalty: must be a finite number"),  # noqa: E501
        ("openai", {"reasoningEffort": "extreme"}, "advanced_parameters.reasoningEffort: must be one of 'none', 'minimal', 'low', 'medium', 'high', 'xhigh' or 'max'"),  # noqa: E501
        ("openai", {"maxCompletionTokens": 0}, "advanced_parameters.maxCompletionTokens: must be at least 1"),  # noqa: E501
        ("openai", {"jsonSchema": "schema"}, "advanced_parameters.jsonSchema: must be an object"),
        ("openai", {"stop": ["a", "b", "c", "d", "e"]}, "advanced_parameters.stop: must have at most 4 items"),  # noqa: E501
        ("openai", {"stop": "END"}, "advanced_parameters.stop: must be a list"),
        ("openai", {"stop": [""]}, "advanced_parameters.stop[0]: must not be empty"),
        ("openai", {"streamResponse": 1}, "advanced_parameters.streamResponse: must be true or false"),  # noqa: E501
        ("anthropic", {"topK": 501}, "advanced_parameters.topK: must be at most 500"),
        ("anthropic", {"topK": 0}, "advanced_parameters.topK: must be at least 1"),
        ("anthropic", {"cacheControl": "yes"}, "advanced_parameters.cacheControl: must be true or false"),  # noqa: E501
        ("anthropic", {"thinking": {"type": "enabled", "budgetTokens": 1023}}, "advanced_parameters.thinking.budgetTokens: must be at least 1024"),  # noqa: E501
        ("anthropic", {"thinking": {"type": "enabled", "budgetTokens": 10001}}, "advanced_parameters.thinking.budgetTokens: must be at most 10000"),  # noqa: E501
        ("anthropic", {"thinking": {"type": "enabled"}}, "advanced_parameters.thinking: budgetTokens is required when thinking is enabled"),  # noqa: E501
        ("anthropic", {"thinking": {"type": "auto", "budgetTokens": 2000}}, "advanced_parameters.thinking.type: must be one of 'enabled', 'adaptive' or 'disabled'"),  # noqa: E501
        ("anthropic", {"thinking": {"budgetTokens": 2000}}, "advanced_parameters.thinking.type: is required"),  # noqa: E501
        ("google", {"topK": 101}, "advanced_parameters.topK: must be at most 100"),
        ("google", {"thinkingBudget": -2}, "advanced_parameters.thinkingBudget: must be at least -1"),  # noqa: E501
        ("google", {"safetySettings": [{"category": "HARM_CATEGORY_SPAM", "threshold": "BLOCK_NONE"}]}, "advanced_parameters.safetySettings[0].category: must be one of 'HARM_CATEGORY_HARASSMENT', 'HARM_CATEGORY_HATE_SPEECH', 'HARM_CATEGORY_SEXUALLY_EXPLICIT' or 'HARM_CATEGORY_DANGEROUS_CONTENT'"),  # noqa: E501
        ("google", {"safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT"}]}, "advanced_parameters.safetySettings[0].threshold: is required"),  # noqa: E501
        ("google", {"safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}] * 2}, "advanced_parameters.safetySettings: HARM_CATEGORY_HARASSMENT is listed more than once"),  # noqa: E501
        ("openrouter", {"minP": 1.01}, "advanced_parameters.minP: must be at most 1"),
        ("openrouter", {"topA": -0.01}, "advanced_parameters.topA: must be at least 0"),
        ("openrouter", {"typicalP": 2}, "advanced_parameters.typicalP: must be at most 1"),
        ("openrouter", {"repetitionPenalty": 0.05}, "advanced_parameters.repetitionPenalty: must be at least 0.1"),  # noqa: E501
        ("openrouter", {"repetitionPenalty": 2.5}, "advanced_parameters.repetitionPenalty: must be at most 2"),  # noqa: E501
        ("openrouter", {"transforms": [1]}, "advanced_parameters.transforms[0]: must be text"),
    ],
)  # fmt: skip
def test_advanced_ranges(provider, params, expected):
    assert errors(validate_llm_config(provider, max_tokens=20000, advanced_parameters=params)) == [
        expected
    ]


def test_every_provider_accepts_its_documented_keys():
    full = {
        "openai": {
            "frequencyPenalty": -2, "presencePenalty": 2, "seed": 12345,
            "logitBias": {"50256": -100}, "reasoningEffort": "low", "maxCompletionTokens": 8000,
            "jsonSchema": {"type": "object"}, "stop": ["STOP", "END"], "streamResponse": True,
        },
        "anthropic": {"topK": 40, "thinking": {"type": "disabled"}, "cacheControl": True},
        "google": {
            "topK": 40, "thinkingBudget": 0, "seed": 7,
            "safetySettings": [
                {"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_MEDIUM_AND_ABOVE"},
                {"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "BLOCK_ONLY_HIGH"},
            ],
        },
        "openrouter": {
            "minP": 0, "topA": 1, "typicalP": 0.5, "repetitionPenalty": 0.1,
            "transforms": ["middle-out"], "topK": 0, "frequencyPenalty": 0.5,
            "presencePenalty": 0.3, "reasoningEffort": "high", "seed": -1,
        },
    }  # fmt: skip
    for provider, params in full.items():
        result = validate_llm_config(provider, max_tokens=1000, advanced_parameters=params)
        assert result.ok, (provider, result.errors)
        assert result.normalized["advanced_parameters"] == params


# --- business rules -----------------------------------------------------------------------------


def test_anthropic_thinking_budget_must_be_below_max_tokens():
    ok = validate_llm_config("anthropic", max_tokens=4001, advanced_parameters=THINKING)
    assert ok.ok and ok.normalized["advanced_parameters"] == THINKING
    assert errors(
        validate_llm_config("anthropic", max_tokens=4000, advanced_parameters=THINKING)
    ) == [
        "advanced_parameters.thinking.budgetTokens: must be below max_tokens; raise max_tokens "
        "above 4000 or lower the budget"
    ]


def test_anthropic_thinking_without_max_tokens_uses_the_default_limit():
    result = validate_llm_config(
        "anthropic", advanced_parameters={"thinking": {"type": "enabled", "budgetTokens": 1024}}
    )
    assert errors(result) == [
        "advanced_parameters.thinking.budgetTokens: must be below max_tokens (default 1024 when "
        "unset); raise max_tokens above 1024 or lower the budget"
    ]


ANTHROPIC_OFF = "kept, not sent: Anthropic's current API (2026-10-21) takes no sampling parameters"


def test_anthropic_sampling_values_are_kept_and_reported_as_not_sent():
    result = validate_llm_config(
        "anthropic",
        temperature=0.7,
        top_p=0.9,
        max_tokens=8000,
        advanced_parameters={**THINKING, "topK": 40},
    )
    assert result.ok
    assert result.notes == [
        FieldError("temperature", ANTHROPIC_OFF),
        FieldError("top_p", ANTHROPIC_OFF),
        FieldError("advanced_parameters.topK", ANTHROPIC_OFF),
    ]
    # Kept in the stored config (no migration rewrites anyone's settings).
    assert result.normalized["temperature"] == 0.7
    assert result.normalized["advanced_parameters"]["topK"] == 40


def test_anthropic_effort_and_adaptive_thinking():
    ok = validate_llm_config(
        "anthropic", advanced_parameters={"effort": "xhigh", "thinking": {"type": "adaptive"}}
    )
    assert ok.ok and ok.notes == []
    assert ok.normalized["advanced_parameters"] == {
        "effort": "xhigh",
        "thinking": {"type": "adaptive"},
    }
    bad = validate_llm_config("anthropic", advanced_parameters={"effort": "none"})
    assert errors(bad) == [
        "advanced_parameters.effort: must be one of 'low', 'medium', 'high', 'xhigh' or 'max'"
    ]


def test_anthropic_thinking_disabled_has_no_budget_rule():
    result = validate_llm_config(
        "anthropic",
        advanced_parameters={"thinking": {"type": "disabled", "budgetTokens": 5000}},
    )
    assert result.ok and result.notes == []


def test_openai_notes_max_tokens_seed_and_reasoning_models():
    result = validate_llm_config(
        "openai",
        model="o3",
        temperature=0.5,
        max_tokens=100,
        advanced_parameters={"reasoningEffort": "high", "seed": 3, "stop": ["x"]},
    )
    assert result.ok
    reasoning = "not sent to a reasoning model (reasoningEffort, o-series, GPT-5 and later)"
    assert result.notes == [
        FieldError("max_tokens", "sent as max_completion_tokens (OpenAI deprecated max_tokens)"),
        FieldError(
            "advanced_parameters.seed", "kept, not sent: deprecated in OpenAI chat completions"
        ),
        FieldError("temperature", reasoning),
        FieldError("advanced_parameters.stop", reasoning),
    ]
    both = validate_llm_config(
        "openai",
        model="gpt-4.1",
        max_tokens=100,
        advanced_parameters={"maxCompletionTokens": 5000},
    )
    assert both.notes == [FieldError("max_tokens", "not sent; maxCompletionTokens applies")]
    assert validate_llm_config("openai", model="gpt-4.1", temperature=0.2).notes == []
    by_name = validate_llm_config("openai", model="gpt-5.5", top_p=0.5)
    assert by_name.notes == [FieldError("top_p", reasoning)]


def test_openrouter_notes_keys_it_no_longer_takes():
    result = validate_llm_config(
        "openrouter", advanced_parameters={"typicalP": 0.9, "transforms": ["middle-out"]}
    )
    off = "kept, not sent: no longer in OpenRouter's chat request"
    assert result.ok and result.notes == [
        FieldError("advanced_parameters.typicalP", off),
        FieldError("advanced_parameters.transforms", off),
    ]


def test_openai_image_notes_retired_dall_e_settings():
    result = validate_image_params(
        "openai", {"style": "vivid", "quality": "hd"}, model="gpt-image-2.5-sunburst"
    )
    assert result.ok
    assert [note.path for note in result.notes] == [
        "advanced_parameters.style",
        "advanced_parameters.quality",
    ]
    top = validate_image_params("openai", {"quality": "max"}, model="gpt-image-1.5")
    assert top.notes == [
        FieldError("advanced_parameters.quality", "'max' not sent: gpt-image-1.5 lacks it")
    ]
    assert (
        validate_image_params("openai", {"quality": "max"}, model="gpt-image-2.5-flare").notes == []
    )


def test_result_message_lists_every_error():
    result = validate_llm_config("openai", temperature=3, advanced_parameters={"topK": 1})
    assert result.message() == (
        "temperature: must be at most 2\n"
        "advanced_parameters.topK: unknown key 'topK' for openai; allowed: frequencyPenalty, "
        "jsonSchema, logitBias, maxCompletionTokens, presencePenalty, reasoningEffort, seed, stop, "
        "streamResponse"
    )


# --- images -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "params"),
    [
        ("openai", {"quality": "hd", "style": "natural", "promptPrefix": "A watercolour of"}),
        ("openai", {"quality": "medium"}),
        (
            "openrouter",
            {
                "steps": 25, "guidanceScale": 7.5, "negativePrompt": "blurry", "seed": 12345,
                "scheduler": "DPM++ 2M Karras", "defaultNegativePrompt": "text, watermark",
            },
        ),
        ("google", {"aspectRatio": "16:9", "safetyFilterLevel": "block_medium_and_above"}),
    ],
)  # fmt: skip
def test_image_params_valid(provider, params):
    result = validate_image_params(provider, params, size="1024x1792")
    assert result.ok
    assert result.normalized == {"advanced_parameters": params, "size": "1024x1792"}


@pytest.mark.parametrize(
    ("provider", "params", "size", "expected"),
    [
        ("openai", {"quality": "ultra"}, None, ["advanced_parameters.quality: must be one of 'low', 'medium', 'high', 'xhigh', 'max', 'auto', 'standard' or 'hd'"]),  # noqa: E501
        ("openai", {"style": "cartoon"}, None, ["advanced_parameters.style: must be one of 'vivid' or 'natural'"]),  # noqa: E501
        ("openai", {"steps": 10}, None, ["advanced_parameters.steps: unknown key 'steps' for openai images; allowed: promptPrefix, quality, style"]),  # noqa: E501
        ("openrouter", {"steps": 51}, None, ["advanced_parameters.steps: must be at most 50"]),
        ("openrouter", {"steps": 0}, None, ["advanced_parameters.steps: must be at least 1"]),
        ("openrouter", {"guidanceScale": 0.5}, None, ["advanced_parameters.guidanceScale: must be at least 1"]),  # noqa: E501
        ("openrouter", {"guidanceScale": 20.5}, None, ["advanced_parameters.guidanceScale: must be at most 20"]),  # noqa: E501
        ("google", {"aspectRatio": "2:1"}, None, ["advanced_parameters.aspectRatio: must be one of '1:1', '16:9', '4:3', '3:4' or '9:16'"]),  # noqa: E501
        ("google", {}, "huge", ["size: must be WIDTHxHEIGHT in pixels, e.g. 1024x1024"]),
        ("google", {}, "10x10", ["size: must be WIDTHxHEIGHT in pixels, e.g. 1024x1024"]),
        ("anthropic", {}, None, ["provider: unknown provider 'anthropic'; expected one of openai, openrouter, google"]),  # noqa: E501
    ],
)  # fmt: skip
def test_image_params_invalid(provider, params, size, expected):
    assert errors(validate_image_params(provider, params, size=size)) == expected


# --- voice --------------------------------------------------------------------------------------


def test_voice_settings_valid_including_decimals_and_bounds():
    result = validate_voice_settings(
        {"voiceId": "21m00Tcm4TlvDq8ikWAM", "stability": Decimal("0.50"), "similarity": 1,
         "style": 0, "frequency": 0.25}
    )  # fmt: skip
    assert result.ok
    assert result.normalized == {
        "voiceId": "21m00Tcm4TlvDq8ikWAM", "stability": 0.5, "similarity": 1, "style": 0,
        "frequency": 0.25,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("settings_", "expected"),
    [
        ({"stability": 1.01}, ["stability: must be at most 1"]),
        ({"similarity": -0.01}, ["similarity: must be at least 0"]),
        ({"style": "high"}, ["style: must be a number"]),
        ({"frequency": 2}, ["frequency: must be at most 1"]),
        ({"pitch": 0.5}, ["pitch: unknown key 'pitch' for voice settings; allowed: frequency, similarity, stability, style, voiceId, voiceModel"]),  # noqa: E501
        ("loud", ["value: must be an object"]),
    ],
)  # fmt: skip
def test_voice_settings_invalid(settings_, expected):
    assert errors(validate_voice_settings(settings_)) == expected


@settings(max_examples=80, deadline=None)
@given(value=st.floats(allow_nan=True, allow_infinity=True))
def test_voice_values_accepted_exactly_in_unit_interval(value):
    result = validate_voice_settings({"stability": value})
    assert result.ok == (0 <= value <= 1)
