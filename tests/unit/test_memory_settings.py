"""Memory settings: a personality's policy with the defaults, the embedding models and size
from the environment (a wrong value is a one-line error, never a failed reply), and the
confirmation buttons' custom ids."""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

import pytest

from tzurot.discord import components
from tzurot.memory.settings import (
    DEFAULT_EMBEDDING_MODELS,
    EmbeddingSettings,
    InvalidEmbeddingSettings,
    MemoryPolicy,
)
from tzurot.personalities.model import LlmConfig, LongTermMemory, Personality


def personality(ltm: LongTermMemory | None = None, llm=None) -> Personality:
    return Personality(id=uuid4(), name="Ada", slug="ada", ltm=ltm or LongTermMemory(), llm=llm)


def test_policy_defaults_and_fallbacks():
    assert MemoryPolicy.of(personality()) == MemoryPolicy(False, 0.4, 5)
    config = LlmConfig(
        id=uuid4(), name="c", provider="openai", model="m",
        memory_score_threshold=Decimal("0.65"), memory_limit=8,
    )  # fmt: skip
    on = LongTermMemory(enabled=True)
    assert MemoryPolicy.of(personality(on, config)) == MemoryPolicy(True, 0.65, 8)
    own = LongTermMemory(True, Decimal("0.700"), 500)
    assert MemoryPolicy.of(personality(own, config)) == MemoryPolicy(True, 0.7, 20)  # capped
    assert not MemoryPolicy.of(personality(LongTermMemory(True, None, 0))).active


def test_embedding_settings_from_the_environment():
    assert EmbeddingSettings.from_env({}) == EmbeddingSettings(DEFAULT_EMBEDDING_MODELS, 1536)
    settings = EmbeddingSettings.from_env(
        {
            "TZUROT_EMBEDDING_MODELS": " openai=text-embedding-3-large, google= ",
            "TZUROT_EMBEDDING_DIMENSIONS": "native",
        }
    )
    assert settings.model_for("openai") == "text-embedding-3-large"
    assert settings.model_for("google") is None  # switched off
    assert settings.model_for("anthropic") is None
    assert settings.dimensions is None


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TZUROT_EMBEDDING_MODELS": "anthropic=x"}, "is not provider=model"),
        ({"TZUROT_EMBEDDING_MODELS": "openai"}, "is not provider=model"),
        ({"TZUROT_EMBEDDING_DIMENSIONS": "0"}, "from 1 to 16000 or 'native'"),
        ({"TZUROT_EMBEDDING_DIMENSIONS": "big"}, "from 1 to 16000 or 'native'"),
    ],
)
def test_wrong_embedding_settings_are_one_line_errors(env, message):
    with pytest.raises(InvalidEmbeddingSettings, match=message) as caught:
        EmbeddingSettings.from_env(env)
    assert "\n" not in str(caught.value)


def test_button_ids_round_trip_and_garbage_is_refused():
    made = components.custom_id(True, "memory-clear", "*", 1_700_000_000, "123")
    button = components.parse(made)
    assert button == components.Button(True, "memory-clear", "*", 1_700_000_000, "123")
    assert len(made) <= 100
    assert not button.stale(1_700_000_000 + components.CONFIRM_SECONDS)
    assert button.stale(1_700_000_000 + components.CONFIRM_SECONDS + 1)
    assert button.stale(1_700_000_000 - 61)  # issued in the future: not ours to trust
    for bad in (None, "", "confirm:nuke:*:1:2", "confirm:memory-clear:*:x:2", "a:b", "x" * 200):
        assert components.parse(bad) is None
