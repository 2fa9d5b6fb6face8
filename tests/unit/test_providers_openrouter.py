"""OpenRouter against the loopback fake: sampler mapping, 402/403 errors, GET /key checks."""

from __future__ import annotations

import pytest

from tests.fakes.providers import FakeOpenRouter
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
from tzurot.providers.openrouter import OpenRouterProvider

KEY = "sk-or-v1-0123456789abcdef0123456789abcdef"


def chat_request(**overrides) -> ChatRequest:
    fields = {
        "model": "anthropic/claude-3.5-sonnet",
        "system": "You are Lilith.",
        "messages": [ChatMessage("user", "Hi")],
        "temperature": 1.1,
        "top_p": None,
        "max_tokens": 300,
    }
    return ChatRequest(**{**fields, **overrides})


@pytest.fixture(scope="module")
def served():
    fake = FakeOpenRouter(valid_keys={KEY})
    with fake.serve() as url:
        yield fake, url


@pytest.fixture
def fake(served) -> FakeOpenRouter:
    fake = served[0]
    fake.reset()
    fake.key_info["limit_remaining"] = 7.5
    return fake


@pytest.fixture
def provider(served) -> OpenRouterProvider:
    return OpenRouterProvider(served[1])


def test_plain_chat_body_headers_and_usage(fake, provider):
    fake.queue_reply(text="Hey.", tokens_in=18, tokens_out=2, model="anthropic/claude-3.5-sonnet")

    result = provider.chat(KEY, chat_request())

    assert result == ChatResult("Hey.", 18, 2, "anthropic/claude-3.5-sonnet", "stop")
    sent = fake.last_request
    assert (sent.method, sent.path) == ("POST", "/api/v1/chat/completions")
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.json == {
        "model": "anthropic/claude-3.5-sonnet",
        "messages": [
            {"role": "system", "content": "You are Lilith."},
            {"role": "user", "content": "Hi"},
        ],
        "temperature": 1.1,
        "max_tokens": 300,
    }


def test_openrouter_samplers_and_reasoning(fake, provider):
    advanced = {
        "minP": 0.05,
        "topA": 0.2,
        "typicalP": 0.95,
        "repetitionPenalty": 1.1,
        "topK": 40,
        "frequencyPenalty": 0.3,
        "presencePenalty": 0.1,
        "transforms": ["middle-out"],
        "reasoningEffort": "medium",
        "stop": ["</s>"],
        "seed": 99,
    }
    provider.chat(KEY, chat_request(advanced=advanced))
    assert fake.last_request.json == {
        "model": "anthropic/claude-3.5-sonnet",
        "messages": [
            {"role": "system", "content": "You are Lilith."},
            {"role": "user", "content": "Hi"},
        ],
        "temperature": 1.1,
        "max_tokens": 300,
        "stop": ["</s>"],
        "seed": 99,
        "frequency_penalty": 0.3,
        "presence_penalty": 0.1,
        "top_k": 40,
        "min_p": 0.05,
        "top_a": 0.2,
        "repetition_penalty": 1.1,
        "reasoning": {"effort": "medium"},
    }  # typicalP and transforms are no longer in OpenRouter's ChatRequest: not sent


def test_reasoning_text_is_not_part_of_the_answer(fake, provider):
    fake.queue_reply(text="Paris.", thinking="The user asks about France...", tokens_out=40)
    result = provider.chat(KEY, chat_request())
    assert (result.text, result.tokens_out) == ("Paris.", 40)


def test_402_is_credits_exhausted(fake, provider):
    fake.queue_error("quota")
    with pytest.raises(QuotaExhausted) as caught:
        provider.chat(KEY, chat_request())
    assert caught.value.status == 402
    assert str(caught.value) == (
        "OpenRouter says the account is out of quota or credits: "
        "Insufficient credits. Add more using https://openrouter.ai/credits"
    )


def test_moderation_403_is_content_blocked(fake, provider):
    fake.queue_error("blocked")
    with pytest.raises(ContentBlocked) as caught:
        provider.chat(KEY, chat_request())
    assert caught.value.status == 403
    assert 'flagged for "harassment"' in str(caught.value)


def test_guardrail_403_is_content_blocked_not_missing_permissions(fake, provider):
    """OpenRouter's own example of a guardrail-blocked chat request (ChatRequest 403)."""
    fake.queue_raw(
        403,
        {
            "error": {
                "code": 403,
                "message": "Request blocked: prompt injection patterns detected",
                "metadata": {"patterns": ["ignore all previous instructions"]},
            },
            "openrouter_metadata": {
                "pipeline": [
                    {
                        "type": "guardrail",
                        "name": "regex_pi_detection",
                        "data": {"action": "blocked", "detected": True},
                    }
                ]
            },
        },
    )
    with pytest.raises(ContentBlocked) as caught:
        provider.chat(KEY, chat_request())
    assert "prompt injection" in str(caught.value)
    # the pipeline alone is enough, whatever the wording
    fake.queue_raw(
        403,
        {
            "error": {"code": 403, "message": "Denied."},
            "openrouter_metadata": {
                "pipeline": [{"type": "guardrail", "data": {"action": "blocked"}}]
            },
        },
    )
    with pytest.raises(ContentBlocked):
        provider.chat(KEY, chat_request())


def test_other_403_is_missing_permissions(fake, provider):
    fake.queue_error("permissions")
    with pytest.raises(MissingPermissions):
        provider.chat(KEY, chat_request())


def test_key_limit_403_is_quota(fake, provider):
    fake.queue_raw(403, {"error": {"code": 403, "message": "Key limit exceeded (total limit)"}})
    with pytest.raises(QuotaExhausted):
        provider.chat(KEY, chat_request())


@pytest.mark.parametrize(
    ("kind", "error_type", "status"),
    [
        ("invalid_key", InvalidKey, 401),
        ("bad_request", BadRequest, 400),
        ("server_error", ProviderUnavailable, 500),
        ("unavailable", ProviderUnavailable, 503),
    ],
)
def test_status_errors(fake, provider, kind, error_type, status):
    fake.queue_error(kind)
    with pytest.raises(error_type) as caught:
        provider.chat(KEY, chat_request())
    assert caught.value.status == status


def test_rate_limit_with_retry_after(fake, provider):
    fake.queue_error("rate_limit", retry_after=3)
    with pytest.raises(RateLimited) as caught:
        provider.chat(KEY, chat_request())
    assert caught.value.retry_after == 3.0


def test_upstream_error_inside_a_200_choice_is_classified(fake, provider):
    fake.queue_raw(
        200,
        {
            "id": "gen-1",
            "object": "chat.completion",
            "created": 1,
            "model": "openai/gpt-4o",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": ""},
                    "finish_reason": "error",
                    "error": {"code": 502, "message": "Upstream provider disconnected"},
                }
            ],
        },
    )
    with pytest.raises(ProviderUnavailable) as caught:
        provider.chat(KEY, chat_request())
    assert str(caught.value) == (
        "OpenRouter is unreachable or failing right now: Upstream provider disconnected"
    )


def test_validate_key_reads_get_key(fake, provider):
    provider.validate_key(KEY)
    sent = fake.last_request
    assert (sent.method, sent.path) == ("GET", "/api/v1/key")
    assert sent.headers["authorization"] == f"Bearer {KEY}"


def test_validate_key_without_limit_passes(fake, provider):
    fake.key_info["limit_remaining"] = None
    provider.validate_key(KEY)


def test_validate_key_with_spent_limit_is_quota(fake, provider):
    fake.key_info["limit_remaining"] = 0
    with pytest.raises(QuotaExhausted) as caught:
        provider.validate_key(KEY)
    assert str(caught.value) == (
        "OpenRouter says the account is out of quota or credits: the key's credit limit is used up"
    )


def test_validate_unknown_key_is_invalid(fake, provider):
    with pytest.raises(InvalidKey) as caught:
        provider.validate_key("sk-or-v1-ffffffffffffffffffffffff")
    assert caught.value.status == 401


def test_validate_key_server_error_is_unavailable(fake, provider):
    fake.queue_error("server_error")
    with pytest.raises(ProviderUnavailable):
        provider.validate_key(KEY)
