"""OpenAI chat completions against the loopback fake: bodies, headers, usage, errors, key check."""

from __future__ import annotations

import httpx
import pytest

from tests.fakes.providers import FakeOpenAI
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
from tzurot.providers.openai import OpenAIProvider

KEY = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"
CONVERSATION = [
    ChatMessage("user", "Hi there"),
    ChatMessage("assistant", "Hello! How can I help?"),
    ChatMessage("user", "Tell me a joke"),
]
EXPECTED_MESSAGES = [
    {"role": "system", "content": "You are Lilith."},
    {"role": "user", "content": "Hi there"},
    {"role": "assistant", "content": "Hello! How can I help?"},
    {"role": "user", "content": "Tell me a joke"},
]


def chat_request(**overrides) -> ChatRequest:
    fields = {
        "model": "gpt-4o-mini",
        "system": "You are Lilith.",
        "messages": CONVERSATION,
        "temperature": 0.8,
        "top_p": 0.9,
        "max_tokens": 500,
    }
    return ChatRequest(**{**fields, **overrides})


@pytest.fixture(scope="module")
def served():
    fake = FakeOpenAI(valid_keys={KEY})
    with fake.serve() as url:
        yield fake, url


@pytest.fixture
def fake(served) -> FakeOpenAI:
    served[0].reset()
    return served[0]


@pytest.fixture
def provider(served) -> OpenAIProvider:
    return OpenAIProvider(served[1])


def test_plain_chat_sends_exact_body_and_bearer_header(fake, provider):
    fake.queue_reply(text="Why did the chicken...", tokens_in=42, tokens_out=7)

    result = provider.chat(KEY, chat_request())

    assert result == ChatResult(
        text="Why did the chicken...",
        tokens_in=42,
        tokens_out=7,
        model="gpt-4o-mini",
        finish_reason="stop",
    )
    sent = fake.last_request
    assert (sent.method, sent.path) == ("POST", "/v1/chat/completions")
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.headers["content-type"] == "application/json"
    assert sent.json == {
        "model": "gpt-4o-mini",
        "messages": EXPECTED_MESSAGES,
        "temperature": 0.8,
        "top_p": 0.9,
        "max_completion_tokens": 500,  # max_tokens is deprecated
    }


def test_unset_parameters_and_empty_system_are_left_out(fake, provider):
    provider.chat(
        KEY,
        ChatRequest(model="gpt-4o", system="", messages=[ChatMessage("user", "ping")]),
    )
    assert fake.last_request.json == {
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": "ping"}],
    }


def test_advanced_parameters_map_to_openai_fields(fake, provider):
    advanced = {
        "stop": ["\nUser:", "###"],
        "seed": 1234,
        "frequencyPenalty": 0.5,
        "presencePenalty": -0.25,
        "logitBias": {"50256": -100},
        "jsonSchema": {"name": "reply", "schema": {"type": "object"}, "strict": True},
    }
    provider.chat(KEY, chat_request(advanced=advanced))
    assert fake.last_request.json == {
        "model": "gpt-4o-mini",
        "messages": EXPECTED_MESSAGES,
        "temperature": 0.8,
        "top_p": 0.9,
        "stop": ["\nUser:", "###"],
        "frequency_penalty": 0.5,
        "presence_penalty": -0.25,
        "logit_bias": {"50256": -100},
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "reply", "schema": {"type": "object"}, "strict": True},
        },
        "max_completion_tokens": 500,
    }  # no seed: deprecated in chat completions (kept in the config)


def test_bare_json_schema_is_wrapped_with_a_name(fake, provider):
    schema = {"type": "object", "properties": {"mood": {"type": "string"}}}
    provider.chat(KEY, chat_request(advanced={"jsonSchema": schema}))
    assert fake.last_request.json["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "response", "schema": schema},
    }


def test_reasoning_effort_uses_max_completion_tokens_and_drops_sampling(fake, provider):
    fake.queue_reply(text="42", tokens_in=30, tokens_out=300, thinking_tokens=280)

    result = provider.chat(
        KEY, chat_request(model="o4-mini", advanced={"reasoningEffort": "high", "seed": 7})
    )

    assert fake.last_request.json == {
        "model": "o4-mini",
        "messages": [{**EXPECTED_MESSAGES[0], "role": "developer"}, *EXPECTED_MESSAGES[1:]],
        "reasoning_effort": "high",
        "max_completion_tokens": 500,
    }
    assert (result.text, result.tokens_out, result.reasoning_tokens) == ("42", 300, 280)


def test_reasoning_models_by_name_get_a_developer_message_and_no_stop(fake, provider):
    provider.chat(KEY, chat_request(model="gpt-5.5", advanced={"stop": ["###"]}))
    body = fake.last_request.json
    assert body["messages"][0] == {"role": "developer", "content": "You are Lilith."}
    assert not {"stop", "temperature", "top_p", "max_tokens"} & body.keys()
    provider.chat(KEY, chat_request(model="gpt-5-chat-latest", advanced={"stop": ["###"]}))
    body = fake.last_request.json
    assert (body["messages"][0]["role"], body["stop"]) == ("system", ["###"])


def test_reasoning_prefers_explicit_max_completion_tokens(fake, provider):
    advanced = {"reasoningEffort": "low", "maxCompletionTokens": 4000}
    provider.chat(KEY, chat_request(model="o3", advanced=advanced))
    body = fake.last_request.json
    assert body["max_completion_tokens"] == 4000
    assert body["reasoning_effort"] == "low"
    assert not {"max_tokens", "temperature", "top_p"} & body.keys()


def test_max_completion_tokens_without_reasoning_replaces_max_tokens(fake, provider):
    provider.chat(KEY, chat_request(advanced={"maxCompletionTokens": 256}))
    body = fake.last_request.json
    assert body["max_completion_tokens"] == 256
    assert "max_tokens" not in body
    assert (body["temperature"], body["top_p"]) == (0.8, 0.9)


def test_length_finish_and_reported_model_are_returned(fake, provider):
    fake.queue_reply(text="Once upon a", finish_reason="length", model="gpt-4o-mini-2024-07-18")
    result = provider.chat(KEY, chat_request())
    assert (result.finish_reason, result.model) == ("length", "gpt-4o-mini-2024-07-18")


def test_content_filter_finish_without_text_is_content_blocked(fake, provider):
    fake.queue_reply(text=None, finish_reason="content_filter", tokens_out=0)
    with pytest.raises(ContentBlocked) as caught:
        provider.chat(KEY, chat_request())
    assert str(caught.value) == "OpenAI blocked the content"


def test_wrong_key_is_invalid_key_and_never_echoed(fake, provider):
    wrong = "sk-proj-WRONGwrongWRONGwrong1234"
    with pytest.raises(InvalidKey) as caught:
        provider.chat(wrong, chat_request())
    error = caught.value
    assert (error.category, error.status, error.retryable) == ("invalid_key", 401, False)
    assert str(error) == "OpenAI rejected the API key (invalid, revoked or expired)"
    assert fake.last_request.headers["authorization"] == f"Bearer {wrong}"


def test_insufficient_quota_429_is_quota_not_rate_limit(fake, provider):
    fake.queue_error("quota")
    with pytest.raises(QuotaExhausted) as caught:
        provider.chat(KEY, chat_request())
    assert caught.value.status == 429
    assert caught.value.retryable is False
    assert str(caught.value).startswith(
        "OpenAI says the account is out of quota or credits: You exceeded your current quota"
    )


def test_rate_limit_429_carries_retry_after(fake, provider):
    fake.queue_error("rate_limit", retry_after=20)
    with pytest.raises(RateLimited) as caught:
        provider.chat(KEY, chat_request())
    assert caught.value.retry_after == 20.0
    assert caught.value.retryable is True
    assert str(caught.value).endswith("Please try again in 20s. (retry after 20 s)")


def test_rate_limit_prefers_retry_after_ms(fake, provider):
    body = {"error": {"message": "slow down", "type": "tokens", "param": None, "code": None}}
    fake.queue_raw(429, body, headers={"retry-after-ms": "1500", "retry-after": "2"})
    with pytest.raises(RateLimited) as caught:
        provider.chat(KEY, chat_request())
    assert caught.value.retry_after == 1.5


def test_restricted_key_401_is_missing_permissions(fake, provider):
    fake.queue_error("permissions")
    with pytest.raises(MissingPermissions) as caught:
        provider.chat(KEY, chat_request())
    assert caught.value.status == 401
    assert "Missing scopes: model.request" in str(caught.value)


def test_flagged_prompt_is_content_blocked(fake, provider):
    fake.queue_error("blocked")
    with pytest.raises(ContentBlocked) as caught:
        provider.chat(KEY, chat_request())
    assert caught.value.status == 400
    assert "flagged as potentially violating our usage policy" in str(caught.value)


def test_invalid_parameter_is_bad_request(fake, provider):
    fake.queue_error("bad_request")
    with pytest.raises(BadRequest) as caught:
        provider.chat(KEY, chat_request())
    assert str(caught.value) == (
        "OpenAI rejected the request: Invalid type for 'temperature': expected a decimal, "
        "but got a string instead."
    )


def test_unknown_model_404_is_bad_request(fake, provider):
    message = "The model `gpt-9` does not exist or you do not have access to it."
    fake.queue_raw(
        404,
        {
            "error": {
                "message": message,
                "type": "invalid_request_error",
                "param": None,
                "code": "model_not_found",
            }
        },
    )
    with pytest.raises(BadRequest) as caught:
        provider.chat(KEY, chat_request(model="gpt-9"))
    assert str(caught.value) == f"OpenAI rejected the request: {message}"


@pytest.mark.parametrize(("kind", "status"), [("server_error", 500), ("unavailable", 503)])
def test_server_errors_are_transient(fake, provider, kind, status):
    fake.queue_error(kind)
    with pytest.raises(ProviderUnavailable) as caught:
        provider.chat(KEY, chat_request())
    assert (caught.value.status, caught.value.retryable) == (status, True)


def test_slow_response_times_out_as_unavailable(fake, served):
    fake.queue_reply(text="too late", delay=1.0)
    impatient = OpenAIProvider(served[1], timeout=httpx.Timeout(0.2, connect=2.0))
    with pytest.raises(ProviderUnavailable) as caught:
        impatient.chat(KEY, chat_request())
    assert str(caught.value) == "OpenAI is unreachable or failing right now: timed out"


def test_validate_key_lists_models(fake, provider):
    provider.validate_key(KEY)
    sent = fake.last_request
    assert (sent.method, sent.path, sent.json) == ("GET", "/v1/models", None)
    assert sent.headers["authorization"] == f"Bearer {KEY}"


@pytest.mark.parametrize(
    ("kind", "error_type"),
    [
        ("invalid_key", InvalidKey),
        ("quota", QuotaExhausted),
        ("permissions", MissingPermissions),
        ("server_error", ProviderUnavailable),
    ],
)
def test_validate_key_outcomes(fake, provider, kind, error_type):
    fake.queue_error(kind)
    with pytest.raises(error_type):
        provider.validate_key(KEY)
    assert fake.last_request.path == "/v1/models"


def test_validate_unknown_key_is_invalid(fake, provider):
    with pytest.raises(InvalidKey):
        provider.validate_key("sk-not-a-real-key-000000000000")
