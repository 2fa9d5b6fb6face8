"""Provider lookup by database name, base URLs from Settings, key validation for all five."""

from __future__ import annotations

import subprocess
import sys
from contextlib import ExitStack

import pytest

from tests.fakes.providers import (
    FakeAnthropic,
    FakeElevenLabs,
    FakeGemini,
    FakeOpenAI,
    FakeOpenRouter,
)
from tzurot.config import Settings
from tzurot.errors import TzurotError
from tzurot.providers import (
    KEY_PROVIDERS,
    TEXT_PROVIDERS,
    ChatMessage,
    ChatRequest,
    get_key_validator,
    get_text_provider,
    validate_provider_key,
)
from tzurot.providers.anthropic import AnthropicProvider
from tzurot.providers.elevenlabs import ElevenLabsClient
from tzurot.providers.errors import InvalidKey, ProviderError, UnknownProvider
from tzurot.providers.gemini import GeminiProvider
from tzurot.providers.openai import OpenAIProvider
from tzurot.providers.openrouter import OpenRouterProvider

KEYS = {
    "openai": "sk-proj-registry000000000000000000",
    "anthropic": "sk-ant-api03-registry0000000000000",
    "google": "AIzaSyRegistry000000000000000000000000",
    "openrouter": "sk-or-v1-registry00000000000000000",
    "elevenlabs": "sk_registry0000000000000000000000000",
}
FAKES = {
    "openai": (FakeOpenAI, "OPENAI_BASE_URL"),
    "anthropic": (FakeAnthropic, "ANTHROPIC_BASE_URL"),
    "google": (FakeGemini, "GEMINI_BASE_URL"),
    "openrouter": (FakeOpenRouter, "OPENROUTER_BASE_URL"),
    "elevenlabs": (FakeElevenLabs, "ELEVENLABS_BASE_URL"),
}


@pytest.fixture(scope="module")
def stack():
    """All five fakes, and Settings read from *_BASE_URL variables pointing at them."""
    fakes, env = {}, {}
    with ExitStack() as stack:
        for name, (fake_type, variable) in FAKES.items():
            fakes[name] = fake_type(valid_keys={KEYS[name]})
            env[variable] = stack.enter_context(fakes[name].serve()) + "/"
        yield fakes, Settings.from_env(env)


def test_names_match_the_database_provider_names():
    assert TEXT_PROVIDERS == ("openai", "anthropic", "google", "openrouter")
    assert KEY_PROVIDERS == ("openai", "anthropic", "google", "openrouter", "elevenlabs")


def test_default_base_urls_come_from_settings():
    settings = Settings()
    expected = {
        "openai": (OpenAIProvider, "https://api.openai.com/v1"),
        "anthropic": (AnthropicProvider, "https://api.anthropic.com"),
        "google": (GeminiProvider, "https://generativelanguage.googleapis.com"),
        "openrouter": (OpenRouterProvider, "https://openrouter.ai/api/v1"),
    }
    for name, (provider_type, url) in expected.items():
        provider = get_text_provider(name, settings)
        assert (type(provider), provider.name, provider.http.base_url) == (
            provider_type,
            name,
            url,
        )
    voice = get_key_validator("elevenlabs", settings)
    assert (type(voice), voice.http.base_url) == (ElevenLabsClient, "https://api.elevenlabs.io")


def test_unknown_provider_is_a_one_line_tzurot_error():
    with pytest.raises(UnknownProvider) as caught:
        get_text_provider("elevenlabs", Settings())
    assert isinstance(caught.value, TzurotError)
    assert not isinstance(caught.value, ProviderError)
    assert str(caught.value) == (
        "unknown provider 'elevenlabs'; expected one of: anthropic, google, openai, openrouter"
    )
    with pytest.raises(UnknownProvider):
        validate_provider_key("mistral", "k", Settings())


# The one request each key check makes (ElevenLabs: text-to-speech with no text, see
# tzurot.providers.elevenlabs).
CHECKS = {
    "openai": ("GET", "/v1/models"),
    "anthropic": ("GET", "/v1/models"),
    "google": ("GET", "/v1beta/models"),
    "openrouter": ("GET", "/api/v1/key"),
    "elevenlabs": ("POST", "/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM"),
}


@pytest.mark.parametrize("name", list(CHECKS))
def test_validate_provider_key_accepts_a_good_key(stack, name):
    fakes, settings = stack
    fakes[name].reset()
    validate_provider_key(name, KEYS[name], settings)
    assert [(r.method, r.path) for r in fakes[name].requests] == [CHECKS[name]]


@pytest.mark.parametrize("name", ["openai", "anthropic", "google", "openrouter", "elevenlabs"])
def test_validate_provider_key_rejects_a_wrong_key(stack, name):
    _, settings = stack
    with pytest.raises(InvalidKey) as caught:
        validate_provider_key(name, "definitely-not-valid-0000000000", settings)
    assert caught.value.category == "invalid_key"


@pytest.mark.parametrize("name", ["openai", "anthropic", "google", "openrouter"])
def test_text_provider_chats_through_its_configured_base_url(stack, name):
    fakes, settings = stack
    fakes[name].reset()
    fakes[name].queue_reply(text=f"hello from {name}", tokens_in=3, tokens_out=4)
    result = get_text_provider(name, settings).chat(
        KEYS[name], ChatRequest(model="m-1", system="s", messages=[ChatMessage("user", "u")])
    )
    assert (result.text, result.tokens_in, result.tokens_out) == (f"hello from {name}", 3, 4)


def test_importing_the_package_does_not_load_httpx():
    # The interactions Lambda may import provider names; its cold start must not pay for httpx.
    code = (
        "import sys, tzurot.providers, tzurot.providers.errors, tzurot.providers.base;"
        "print('httpx' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
