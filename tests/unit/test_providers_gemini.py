"""Gemini generateContent against the loopback fake: bodies, safety, thinking, errors, key check."""

from __future__ import annotations

import httpx
import pytest

from tests.fakes.providers import FakeGemini
from tzurot.providers.base import ChatMessage, ChatRequest, ChatResult
from tzurot.providers.errors import (
    BadRequest,
    ContentBlocked,
    InvalidKey,
    MissingPermissions,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
)
from tzurot.providers.gemini import GeminiProvider

KEY = "AIzaSyA-abcdefghijklmnopqrstuvwxyz012345"


def chat_request(**overrides) -> ChatRequest:
    fields = {
        "model": "gemini-2.5-flash",
        "system": "You are Lilith.",
        "messages": [
            ChatMessage("user", "Hi"),
            ChatMessage("assistant", "Yo"),
            ChatMessage("user", "?"),
        ],
        "temperature": 0.9,
        "top_p": 0.95,
        "max_tokens": 1000,
    }
    return ChatRequest(**{**fields, **overrides})


@pytest.fixture(scope="module")
def served():
    fake = FakeGemini(valid_keys={KEY})
    with fake.serve() as url:
        yield fake, url


@pytest.fixture
def fake(served) -> FakeGemini:
    served[0].reset()
    return served[0]


@pytest.fixture
def provider(served) -> GeminiProvider:
    return GeminiProvider(served[1])


CONTENTS = [
    {"role": "user", "parts": [{"text": "Hi"}]},
    {"role": "model", "parts": [{"text": "Yo"}]},
    {"role": "user", "parts": [{"text": "?"}]},
]


def test_plain_chat_body_header_and_usage(fake, provider):
    fake.queue_reply(text="Hey!", tokens_in=20, tokens_out=3)

    result = provider.chat(KEY, chat_request())

    assert result == ChatResult("Hey!", 20, 3, "gemini-2.5-flash", "stop")
    sent = fake.last_request
    assert (sent.method, sent.path) == ("POST", "/v1beta/models/gemini-2.5-flash:generateContent")
    assert sent.headers["x-goog-api-key"] == KEY
    assert sent.query == {}  # never ?key=
    assert sent.json == {
        "contents": CONTENTS,
        "systemInstruction": {"parts": [{"text": "You are Lilith."}]},
        "generationConfig": {"temperature": 0.9, "topP": 0.95, "maxOutputTokens": 1000},
    }


def test_models_prefix_is_accepted(fake, provider):
    provider.chat(KEY, chat_request(model="models/gemini-2.5-pro"))
    assert fake.last_request.path == "/v1beta/models/gemini-2.5-pro:generateContent"


def test_advanced_parameters_safety_and_thinking_budget(fake, provider):
    advanced = {
        "topK": 32,
        "stop": ["END"],
        "seed": 5,
        "thinkingBudget": 0,
        "safetySettings": [
            {"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"},
            {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "threshold": "BLOCK_ONLY_HIGH"},
        ],
    }
    provider.chat(KEY, chat_request(system="", advanced=advanced))
    assert fake.last_request.json == {
        "contents": CONTENTS,
        "generationConfig": {
            "temperature": 0.9,
            "topP": 0.95,
            "topK": 32,
            "maxOutputTokens": 1000,
            "stopSequences": ["END"],
            "seed": 5,
            "thinkingConfig": {"thinkingBudget": 0},
        },
        "safetySettings": [
            {"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"},
            {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "threshold": "BLOCK_ONLY_HIGH"},
        ],
    }


def test_no_generation_config_when_nothing_is_set(fake, provider):
    provider.chat(
        KEY, ChatRequest(model="gemini-2.5-flash", system="", messages=[ChatMessage("user", "a")])
    )
    assert fake.last_request.json == {"contents": [{"role": "user", "parts": [{"text": "a"}]}]}


def test_thought_parts_are_skipped_and_thought_tokens_billed(fake, provider):
    fake.queue_reply(
        text="42.", thinking="**Considering**", tokens_in=9, tokens_out=3, thinking_tokens=120
    )
    result = provider.chat(KEY, chat_request(advanced={"thinkingBudget": 1024}))
    assert (result.text, result.tokens_in, result.tokens_out) == ("42.", 9, 123)


def test_max_tokens_finish_is_length(fake, provider):
    fake.queue_reply(text="Once", finish_reason="MAX_TOKENS")
    assert provider.chat(KEY, chat_request()).finish_reason == "length"


def test_blocked_prompt_is_content_blocked(fake, provider):
    fake.queue_error("blocked")
    with pytest.raises(ContentBlocked) as caught:
        provider.chat(KEY, chat_request())
    assert str(caught.value) == "Google Gemini blocked the content: prompt blocked (SAFETY)"


def test_safety_finish_reason_is_content_blocked(fake, provider):
    fake.queue_reply(text=None, finish_reason="SAFETY")
    with pytest.raises(ContentBlocked) as caught:
        provider.chat(KEY, chat_request())
    assert str(caught.value) == "Google Gemini blocked the content: answer blocked (SAFETY)"


def test_api_key_invalid_400_is_invalid_key(fake, provider):
    with pytest.raises(InvalidKey) as caught:
        provider.chat("AIzaSyWRONG", chat_request())
    assert (caught.value.status, caught.value.category) == (400, "invalid_key")


def test_other_invalid_argument_400_is_bad_request(fake, provider):
    fake.queue_error("bad_request")
    with pytest.raises(BadRequest) as caught:
        provider.chat(KEY, chat_request())
    assert "Unknown name" in str(caught.value)


def test_per_minute_429_is_rate_limited_with_retry_info(fake, provider):
    fake.queue_error("rate_limit", retry_after=37)
    with pytest.raises(RateLimited) as caught:
        provider.chat(KEY, chat_request())
    assert (caught.value.status, caught.value.retry_after) == (429, 37.0)


def test_per_day_429_is_quota_exhausted(fake, provider):
    fake.queue_error("quota")
    with pytest.raises(QuotaExhausted):
        provider.chat(KEY, chat_request())


def test_permission_denied_is_missing_permissions(fake, provider):
    fake.queue_error("permissions")
    with pytest.raises(MissingPermissions) as caught:
        provider.chat(KEY, chat_request())
    assert caught.value.status == 403


@pytest.mark.parametrize(("kind", "status"), [("server_error", 500), ("unavailable", 503)])
def test_server_errors_are_transient(fake, provider, kind, status):
    fake.queue_error(kind)
    with pytest.raises(ProviderUnavailable) as caught:
        provider.chat(KEY, chat_request())
    assert caught.value.status == status


def test_timeout_is_unavailable(fake, served):
    fake.queue_reply(delay=1.0)
    with pytest.raises(ProviderUnavailable):
        GeminiProvider(served[1], timeout=httpx.Timeout(0.2)).chat(KEY, chat_request())


def test_validate_key_lists_models(fake, provider):
    provider.validate_key(KEY)
    sent = fake.last_request
    assert (sent.method, sent.path, sent.query) == ("GET", "/v1beta/models", {"pageSize": "1"})
    assert sent.headers["x-goog-api-key"] == KEY


@pytest.mark.parametrize(
    ("kind", "error_type"),
    [
        ("invalid_key", InvalidKey),
        ("permissions", MissingPermissions),
        ("quota", QuotaExhausted),
        ("unavailable", ProviderUnavailable),
    ],
)
def test_validate_key_outcomes(fake, provider, kind, error_type):
    fake.queue_error(kind)
    with pytest.raises(error_type):
        provider.validate_key(KEY)
