"""Anthropic Messages against the loopback fake: bodies, thinking, caching, errors, key check."""

from __future__ import annotations

import httpx
import pytest

from tests.fakes.providers import FakeAnthropic
from tzurot.providers.anthropic import AnthropicProvider
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

KEY = "sk-ant-api03-abcdefghijklmnopqrstuvwxyz"
MESSAGES = [ChatMessage("user", "Hello"), ChatMessage("assistant", "Hi!"), ChatMessage("user", "?")]
WIRE_MESSAGES = [
    {"role": "user", "content": "Hello"},
    {"role": "assistant", "content": "Hi!"},
    {"role": "user", "content": "?"},
]


def chat_request(**overrides) -> ChatRequest:
    fields = {
        "model": "claude-sonnet-4-5",
        "system": "You are Lilith.",
        "messages": MESSAGES,
        "temperature": 0.7,
        "top_p": None,
        "max_tokens": 800,
    }
    return ChatRequest(**{**fields, **overrides})


@pytest.fixture(scope="module")
def served():
    fake = FakeAnthropic(valid_keys={KEY})
    with fake.serve() as url:
        yield fake, url


@pytest.fixture
def fake(served) -> FakeAnthropic:
    served[0].reset()
    return served[0]


@pytest.fixture
def provider(served) -> AnthropicProvider:
    return AnthropicProvider(served[1])


def test_plain_chat_body_headers_and_usage(fake, provider):
    fake.queue_reply(text="Greetings.", tokens_in=25, tokens_out=4, model="claude-sonnet-4-5-2025")

    result = provider.chat(KEY, chat_request(advanced={"topK": 40, "stop": ["\n\nHuman:"]}))

    assert result == ChatResult("Greetings.", 25, 4, "claude-sonnet-4-5-2025", "stop")
    sent = fake.last_request
    assert (sent.method, sent.path) == ("POST", "/v1/messages")
    # As the official SDK sends it (the API also takes x-api-key).
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.headers["anthropic-version"] == "2026-10-21"
    assert "x-api-key" not in sent.headers
    assert sent.json == {
        "model": "claude-sonnet-4-5",
        "max_tokens": 800,
        "messages": WIRE_MESSAGES,
        "system": "You are Lilith.",
        "stop_sequences": ["\n\nHuman:"],
    }


def test_max_tokens_defaults_to_1024_and_seed_is_not_sent(fake, provider):
    provider.chat(
        KEY,
        ChatRequest(
            model="claude-haiku-4-5", system="", messages=[MESSAGES[0]], advanced={"seed": 3}
        ),
    )
    assert fake.last_request.json == {
        "model": "claude-haiku-4-5",
        "max_tokens": 1024,
        "messages": [{"role": "user", "content": "Hello"}],
    }


def test_sampling_parameters_are_never_sent_and_effort_goes_in_output_config(fake, provider):
    """API version 2026-10-21 has no temperature, top_p or top_k (kept in configs, not sent)."""
    advanced = {"topK": 40, "effort": "high"}
    provider.chat(KEY, chat_request(temperature=0.5, top_p=0.9, advanced=advanced))
    body = fake.last_request.json
    assert not {"temperature", "top_p", "top_k"} & set(body)
    assert body["output_config"] == {"effort": "high"}


def test_adaptive_thinking_has_no_budget(fake, provider):
    provider.chat(KEY, chat_request(advanced={"thinking": {"type": "adaptive"}}))
    assert fake.last_request.json["thinking"] == {"type": "adaptive"}


def test_thinking_enabled_sends_budget_and_drops_sampling(fake, provider):
    fake.queue_reply(text="Answer.", thinking="Let me think...", tokens_in=50, tokens_out=900)
    advanced = {"thinking": {"type": "enabled", "budgetTokens": 2048}, "topK": 10}

    result = provider.chat(KEY, chat_request(max_tokens=4096, top_p=0.9, advanced=advanced))

    assert fake.last_request.json == {
        "model": "claude-sonnet-4-5",
        "max_tokens": 4096,
        "messages": WIRE_MESSAGES,
        "system": "You are Lilith.",
        "thinking": {"type": "enabled", "budget_tokens": 2048},
    }
    # The thinking block is not part of the reply; its tokens are billed output.
    assert (result.text, result.tokens_out) == ("Answer.", 900)


def test_thinking_budget_above_max_tokens_keeps_room_for_the_answer(fake, provider):
    advanced = {"thinking": {"type": "enabled", "budgetTokens": 2048}}
    provider.chat(KEY, chat_request(max_tokens=None, advanced=advanced))
    assert fake.last_request.json["max_tokens"] == 2048 + 1024
    provider.chat(KEY, chat_request(max_tokens=1500, advanced=advanced))
    assert fake.last_request.json["max_tokens"] == 2048 + 1500


def test_thinking_disabled_is_a_plain_request(fake, provider):
    provider.chat(KEY, chat_request(advanced={"thinking": {"type": "disabled"}}))
    body = fake.last_request.json
    assert "thinking" not in body


def test_cache_control_marks_the_system_prompt(fake, provider):
    fake.queue_raw(
        200,
        {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-5",
            "content": [{"type": "text", "text": "cached"}],
            "stop_reason": "max_tokens",
            "stop_sequence": None,
            "usage": {
                "input_tokens": 5,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 2000,
                "output_tokens": 9,
            },
        },
    )
    result = provider.chat(KEY, chat_request(advanced={"cacheControl": True}))
    assert fake.last_request.json["system"] == [
        {"type": "text", "text": "You are Lilith.", "cache_control": {"type": "ephemeral"}}
    ]
    # Cached prompt tokens are still prompt tokens.
    assert (result.tokens_in, result.tokens_out, result.finish_reason) == (2005, 9, "length")


def test_refusal_is_content_blocked(fake, provider):
    fake.queue_error("blocked")
    with pytest.raises(ContentBlocked) as caught:
        provider.chat(KEY, chat_request())
    assert str(caught.value) == "Anthropic blocked the content"


@pytest.mark.parametrize(
    ("kind", "error_type", "status"),
    [
        ("invalid_key", InvalidKey, 401),
        ("permissions", MissingPermissions, 403),
        ("quota", QuotaExhausted, 400),
        ("bad_request", BadRequest, 400),
        ("server_error", ProviderUnavailable, 500),
        ("unavailable", ProviderUnavailable, 529),
    ],
)
def test_error_types(fake, provider, kind, error_type, status):
    fake.queue_error(kind)
    with pytest.raises(error_type) as caught:
        provider.chat(KEY, chat_request())
    assert caught.value.status == status


def test_low_credit_message_is_quota(fake, provider):
    fake.queue_error("quota")
    with pytest.raises(QuotaExhausted) as caught:
        provider.chat(KEY, chat_request())
    assert str(caught.value) == (
        "Anthropic says the account is out of quota or credits: Your credit balance is too low "
        "to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits."
    )


def test_billing_error_type_is_quota(fake, provider):
    fake.queue_raw(
        402,
        {"type": "error", "error": {"type": "billing_error", "message": "Billing issue"}},
    )
    with pytest.raises(QuotaExhausted):
        provider.chat(KEY, chat_request())


def test_rate_limit_with_retry_after(fake, provider):
    fake.queue_error("rate_limit", retry_after=12)
    with pytest.raises(RateLimited) as caught:
        provider.chat(KEY, chat_request())
    assert (caught.value.retry_after, caught.value.status) == (12.0, 429)


def test_timeout_is_unavailable(fake, served):
    fake.queue_reply(delay=1.0)
    with pytest.raises(ProviderUnavailable):
        AnthropicProvider(served[1], timeout=httpx.Timeout(0.2)).chat(KEY, chat_request())


def test_validate_key_lists_models(fake, provider):
    provider.validate_key(KEY)
    sent = fake.last_request
    assert (sent.method, sent.path, sent.query) == ("GET", "/v1/models", {"limit": "1"})
    assert (sent.headers["authorization"], sent.headers["anthropic-version"]) == (
        f"Bearer {KEY}",
        "2026-10-21",
    )


@pytest.mark.parametrize(
    ("kind", "error_type"),
    [("permissions", MissingPermissions), ("unavailable", ProviderUnavailable)],
)
def test_validate_key_outcomes(fake, provider, kind, error_type):
    fake.queue_error(kind)
    with pytest.raises(error_type):
        provider.validate_key(KEY)


def test_validate_unknown_key_is_invalid(fake, provider):
    with pytest.raises(InvalidKey):
        provider.validate_key("sk-ant-api03-wrong")
