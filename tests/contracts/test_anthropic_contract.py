"""The Anthropic client against the official `anthropic` SDK (a test-only dependency).

Requests conform to `MessageCreateParamsNonStreaming` (API version 2026-10-21: no temperature,
top_p or top_k, effort in output_config) and equal what the SDK sends for the same call through
the same loopback fake, version header included. Responses and errors are built with the SDK's
model classes; error classes follow the SDK's exception types and error codes.
"""

from __future__ import annotations

import json

import anthropic
import pytest
from anthropic._constants import ANTHROPIC_API_VERSION
from anthropic.types import Message, TextBlock, ThinkingBlock, Usage
from anthropic.types.message_create_params import MessageCreateParamsNonStreaming
from anthropic.types.output_tokens_details import OutputTokensDetails
from anthropic.types.shared import ErrorResponse

from tests.contracts.recorder import assert_same_request, chat_request, recorded, serve
from tests.contracts.typed import check
from tests.fakes.providers import FakeAnthropic, RecordedRequest
from tzurot.providers import errors
from tzurot.providers.anthropic import API_VERSION, AnthropicProvider
from tzurot.providers.base import ChatRequest

KEY = "sk-ant-api03-contract0123456789"
HEADERS = ("authorization", "x-api-key", "anthropic-version", "content-type")

BASE = chat_request("claude-sonnet-5-5")


def variant(**changes) -> ChatRequest:
    return chat_request(**{"model": BASE.model, **changes})


REQUESTS = {
    "plain, sampling kept but not sent": variant(advanced={"topK": 40, "stop": ["\n\nHuman:"]}),
    "nothing set": variant(system="", temperature=None, top_p=None, max_tokens=None),
    "manual thinking": variant(advanced={"thinking": {"type": "enabled", "budgetTokens": 2048}}),
    "adaptive thinking with effort": variant(
        advanced={"thinking": {"type": "adaptive"}, "effort": "max"}
    ),
    "thinking disabled": variant(advanced={"thinking": {"type": "disabled"}}),
    "cached system prompt": variant(advanced={"cacheControl": True, "effort": "low"}),
}


served, fake, ours = serve(FakeAnthropic, KEY, AnthropicProvider)


@pytest.fixture
def sdk(served) -> anthropic.Anthropic:
    client = anthropic.Anthropic(api_key=KEY, base_url=served[1], max_retries=0)
    yield client
    client.close()


def test_the_client_speaks_the_sdks_api_version():
    assert API_VERSION == ANTHROPIC_API_VERSION == "2026-10-21"


@pytest.mark.parametrize("case", REQUESTS)
def test_message_requests_are_what_the_sdk_sends(fake, ours, sdk, case):
    sent, _ = recorded(fake, lambda: ours.chat(KEY, REQUESTS[case]))
    assert check(sent.json, MessageCreateParamsNonStreaming) == []
    assert not {"temperature", "top_p", "top_k"} & set(sent.json)
    by_sdk, message = recorded(fake, lambda: sdk.messages.create(**sent.json))
    assert_same_request(sent, by_sdk, HEADERS)
    assert isinstance(message, Message)


def test_effort_goes_in_output_config(fake, ours):
    sent, _ = recorded(fake, lambda: ours.chat(KEY, REQUESTS["adaptive thinking with effort"]))
    assert (sent.json["output_config"], sent.json["thinking"]) == (
        {"effort": "max"},
        {"type": "adaptive"},
    )


def test_the_key_check_is_the_sdks_model_listing(fake, ours, sdk):
    sent, _ = recorded(fake, lambda: ours.validate_key(KEY))
    by_sdk, page = recorded(fake, lambda: sdk.models.list(limit=1))
    assert_same_request(sent, by_sdk, ("authorization", "x-api-key", "anthropic-version"))
    assert sent.query == {"limit": "1"} and page.data[0].id


def test_the_checker_refuses_the_old_sampling_keys():
    old = {
        "model": "claude-sonnet-4-5",
        "max_tokens": 10,
        "messages": [{"role": "user", "content": "x"}],
        "temperature": 0.7,
        "top_k": 5,
    }
    assert check(old, MessageCreateParamsNonStreaming) == [
        "body.temperature: unknown key for MessageCreateParamsNonStreaming",
        "body.top_k: unknown key for MessageCreateParamsNonStreaming",
    ]


# --- responses ----------------------------------------------------------------------------------


def answer(stop_reason: str, content: list, usage: Usage) -> dict:
    """A Message built with the SDK's model, as JSON."""
    message = Message(
        id="msg_contract",
        type="message",
        role="assistant",
        model="claude-sonnet-5-5-20261001",
        content=content,
        stop_reason=stop_reason,
        usage=usage,
    )
    return message.model_dump(mode="json", exclude_none=True)


def test_text_thinking_and_token_counts_from_an_sdk_built_message(fake, ours):
    message = answer(
        "max_tokens",
        [
            ThinkingBlock(type="thinking", thinking="Let me see...", signature="c2ln"),
            TextBlock(type="text", text="Hello "),
            TextBlock(type="text", text="there."),
        ],
        Usage(
            input_tokens=20,
            cache_creation_input_tokens=300,
            cache_read_input_tokens=1000,
            output_tokens=900,
            output_tokens_details=OutputTokensDetails(thinking_tokens=850),
        ),
    )
    fake.queue_raw(200, message)
    result = ours.chat(KEY, REQUESTS["manual thinking"])
    assert (result.text, result.model, result.finish_reason) == (
        "Hello there.",
        "claude-sonnet-5-5-20261001",
        "length",
    )
    # input_tokens leaves out what was written to or read from the cache: all three are billed.
    assert (result.tokens_in, result.tokens_out) == (1320, 900)
    assert (result.reasoning_tokens, result.cached_tokens) == (850, 1000)


def test_a_refusal_without_text_is_content_blocked(fake, ours):
    fake.queue_raw(200, answer("refusal", [], Usage(input_tokens=10, output_tokens=0)))
    with pytest.raises(errors.ContentBlocked):
        ours.chat(KEY, BASE)


# --- errors -------------------------------------------------------------------------------------


def error_body(kind: str, message: str, code: str | None = None) -> dict:
    error: dict = {"type": kind, "message": message}
    if code:
        error["details"] = {"error_code": code}
    body = {"type": "error", "error": error, "request_id": "req_contract"}
    # Built, and checked, with the SDK's own ErrorResponse model.
    assert ErrorResponse.model_validate(body).error.type == kind
    return body


ERRORS = [
    (401, error_body("authentication_error", "invalid x-api-key"), errors.InvalidKey, anthropic.AuthenticationError),  # noqa: E501
    (403, error_body("permission_error", "Your API key does not have permission."), errors.MissingPermissions, anthropic.PermissionDeniedError),  # noqa: E501
    (403, error_body("permission_error", "Organization disabled.", "organization_on_hold"), errors.MissingPermissions, anthropic.PermissionDeniedError),  # noqa: E501
    (400, error_body("invalid_request_error", "Your credit balance is too low."), errors.QuotaExhausted, anthropic.BadRequestError),  # noqa: E501
    (402, error_body("billing_error", "Payment required."), errors.QuotaExhausted, anthropic.PaymentRequiredError),  # noqa: E501
    (429, error_body("rate_limit_error", "Too many requests."), errors.RateLimited, anthropic.RateLimitError),  # noqa: E501
    (429, error_body("rate_limit_error", "Monthly API usage threshold crossed.", "enforced_spend_limit_reached"), errors.QuotaExhausted, anthropic.EnforcedSpendLimitReachedError),  # noqa: E501
    (400, error_body("invalid_request_error", "temperature: Extra inputs are not permitted"), errors.BadRequest, anthropic.BadRequestError),  # noqa: E501
    (404, error_body("not_found_error", "model: claude-2"), errors.BadRequest, anthropic.NotFoundError),  # noqa: E501
    (413, error_body("invalid_request_error", "Request too large"), errors.BadRequest, anthropic.ContentTooLargeError),  # noqa: E501
    (500, error_body("api_error", "Internal server error"), errors.ProviderUnavailable, anthropic.InternalServerError),  # noqa: E501
    (504, error_body("timeout_error", "Timed out"), errors.ProviderUnavailable, anthropic.GatewayTimeoutError),  # noqa: E501
    (529, error_body("overloaded_error", "Overloaded"), errors.ProviderUnavailable, anthropic.OverloadedError),  # noqa: E501
]  # fmt: skip


@pytest.mark.parametrize(("status", "body", "ours_class", "sdk_class"), ERRORS)
def test_sdk_built_errors_are_classed(fake, ours, sdk, status, body, ours_class, sdk_class):
    fake.queue_raw(status, body)
    with pytest.raises(sdk_class):
        sdk.messages.create(**ours.build_body(BASE))
    fake.queue_raw(status, body)
    with pytest.raises(ours_class) as caught:
        ours.chat(KEY, BASE)
    assert caught.value.status == status


@pytest.mark.parametrize("kind", [k for k in FakeAnthropic.supported_errors if k != "blocked"])
def test_the_fakes_errors_are_sdk_error_responses(fake, kind):
    answer = fake.error(kind, None, None, RecordedRequest("POST", "/v1/messages", {}, {}, {}))
    body = json.loads(answer.body)
    assert ErrorResponse.model_validate(body).model_dump(mode="json", exclude_none=True) == body
