"""The Gemini client against the official `google-genai` SDK (a test-only dependency).

The SDK's request types are pydantic models that forbid unknown fields: our body is read back
into `types.Content` and `types.GenerateContentConfig` (so an unknown or misplaced key fails),
the SDK makes the same call through the same loopback fake, and the two wire bodies are equal
as protobuf JSON (which takes field names in camelCase or snake_case alike: the SDK itself
sends `thinkingConfig.thinking_budget`). Responses are built with the SDK's model classes.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from google import genai
from google.genai import errors as sdk_errors
from google.genai import types

from tests.contracts.recorder import chat_request, recorded, serve
from tests.fakes.providers import FAKE_PNG, FakeGemini
from tzurot.providers import errors
from tzurot.providers.base import ChatRequest, ImageRequest
from tzurot.providers.gemini import BLOCKED_FINISH, GeminiProvider

KEY = "AIzaSyContract0123456789abcdefghijklm"
MODEL = "gemini-2.5-flash"

BASE = chat_request(MODEL)


def variant(**changes) -> ChatRequest:
    return chat_request(**{"model": BASE.model, **changes})


CHAT_REQUESTS = {
    "plain": BASE,
    "nothing set": variant(system="", temperature=None, top_p=None, max_tokens=None),
    "every advanced key": variant(
        advanced={
            "topK": 40,
            "stop": ["\nUser:"],
            "seed": 7,
            "thinkingBudget": 2048,
            "safetySettings": [
                {"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_ONLY_HIGH"},
                {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "threshold": "BLOCK_NONE"},
            ],
        }
    ),
    "thinking off": variant(advanced={"thinkingBudget": 0}),
}
IMAGE_REQUESTS = {
    "size as aspect ratio": ImageRequest(
        model="gemini-2.5-flash-image", prompt="a kite", size="1792x1024"
    ),
    "ratio and safety level": ImageRequest(
        model="gemini-2.5-flash-image",
        prompt="a fox",
        advanced={"aspectRatio": "3:4", "safetyFilterLevel": "block_only_high"},
    ),
}


served, fake, ours = serve(FakeGemini, KEY, GeminiProvider)


@pytest.fixture
def sdk(served) -> genai.Client:
    options = types.HttpOptions(base_url=served[1], api_version="v1beta")
    return genai.Client(api_key=KEY, http_options=options)


def sdk_arguments(
    body: dict[str, Any],
) -> tuple[list[types.Content], types.GenerateContentConfig | None]:
    """Our wire body read back into the SDK's request models (unknown fields raise)."""
    assert set(body) <= {"contents", "systemInstruction", "generationConfig", "safetySettings"}
    contents = [types.Content.model_validate(content) for content in body["contents"]]
    config: dict[str, Any] = dict(body.get("generationConfig") or {})
    for key in ("systemInstruction", "safetySettings"):
        if key in body:
            config[key] = body[key]
    # No config at all is the SDK's way to leave generationConfig out.
    return contents, types.GenerateContentConfig.model_validate(config) if config else None


_CAMEL = re.compile(r"_([a-z])")


def proto_json(value: Any) -> Any:
    """Field names in lowerCamelCase, as protobuf JSON treats snake_case ones."""
    if isinstance(value, dict):
        return {
            _CAMEL.sub(lambda m: m.group(1).upper(), k): proto_json(v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [proto_json(v) for v in value]
    return value


def assert_same_call(fake, sent, sdk_call) -> Any:
    by_sdk, answer = recorded(fake, sdk_call)
    assert (sent.method, sent.path) == (by_sdk.method, by_sdk.path)
    assert sent.headers["x-goog-api-key"] == by_sdk.headers["x-goog-api-key"] == KEY
    assert "key" not in sent.query  # never in the URL
    assert proto_json(sent.json) == proto_json(by_sdk.json)
    return answer


@pytest.mark.parametrize("case", CHAT_REQUESTS)
def test_chat_requests_are_what_the_sdk_sends(fake, ours, sdk, case):
    sent, _ = recorded(fake, lambda: ours.chat(KEY, CHAT_REQUESTS[case]))
    contents, config = sdk_arguments(sent.json)
    answer = assert_same_call(
        fake,
        sent,
        lambda: sdk.models.generate_content(model=MODEL, contents=contents, config=config),
    )
    assert answer.text == "Hello from the fake provider."


@pytest.mark.parametrize("case", IMAGE_REQUESTS)
def test_image_requests_are_what_the_sdk_sends(fake, ours, sdk, case):
    request = IMAGE_REQUESTS[case]
    sent, image = recorded(fake, lambda: ours.generate_image(KEY, request))
    contents, config = sdk_arguments(sent.json)
    assert config.response_modalities == ["TEXT", "IMAGE"]
    answer = assert_same_call(
        fake,
        sent,
        lambda: sdk.models.generate_content(model=request.model, contents=contents, config=config),
    )
    parts = answer.candidates[0].content.parts
    assert [p.inline_data.data for p in parts if p.inline_data] == [image.data] == [FAKE_PNG]


def test_the_key_check_is_the_sdks_model_listing(fake, ours, sdk):
    sent, _ = recorded(fake, lambda: ours.validate_key(KEY))
    by_sdk, pager = recorded(fake, lambda: sdk.models.list(config={"page_size": 1}))
    assert (sent.method, sent.path, sent.query) == (by_sdk.method, by_sdk.path, by_sdk.query)
    assert sent.headers["x-goog-api-key"] == by_sdk.headers["x-goog-api-key"]
    assert [model.name for model in pager] == ["models/gemini-2.5-flash"]


def test_an_unknown_key_fails_the_sdk_models():
    with pytest.raises(ValueError):
        sdk_arguments({"contents": [], "generationConfig": {"typicalP": 0.5}})


# --- responses ----------------------------------------------------------------------------------


def response(finish: types.FinishReason, parts: list[types.Part], **usage) -> dict:
    built = types.GenerateContentResponse(
        candidates=[
            types.Candidate(content=types.Content(role="model", parts=parts), finish_reason=finish)
        ],
        usage_metadata=types.GenerateContentResponseUsageMetadata(**usage),
        model_version="gemini-2.5-flash-001",
    )
    return built.model_dump(mode="json", by_alias=True, exclude_none=True)


def test_text_and_token_counts_from_an_sdk_built_response(fake, ours):
    fake.queue_raw(
        200,
        response(
            types.FinishReason.MAX_TOKENS,
            [types.Part(text="Thinking it over", thought=True), types.Part(text="Hello.")],
            prompt_token_count=1500,
            cached_content_token_count=1024,
            candidates_token_count=40,
            thoughts_token_count=300,
            tool_use_prompt_token_count=10,
        ),
    )
    result = ours.chat(KEY, BASE)
    assert (result.text, result.model, result.finish_reason) == (
        "Hello.",
        "gemini-2.5-flash-001",
        "length",
    )
    # promptTokenCount includes the cached part; thoughts are billed as output.
    assert (result.tokens_in, result.tokens_out) == (1510, 340)
    assert (result.reasoning_tokens, result.cached_tokens) == (300, 1024)


IMAGE_BLOCKS = ["IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION"]


@pytest.mark.parametrize("finish", IMAGE_BLOCKS)
def test_blocked_images_are_content_blocked_not_outages(fake, ours, finish):
    fake.queue_raw(200, response(types.FinishReason(finish), [], prompt_token_count=8))
    with pytest.raises(errors.ContentBlocked) as caught:
        ours.generate_image(KEY, IMAGE_REQUESTS["size as aspect ratio"])
    assert not caught.value.retryable
    assert finish in str(caught.value)


def test_every_blocking_finish_reason_is_one_the_sdk_knows():
    assert {reason.value for reason in types.FinishReason} >= BLOCKED_FINISH


@pytest.mark.parametrize(
    "reason", [r for r in types.BlockedReason if r.value != "BLOCKED_REASON_UNSPECIFIED"]
)
def test_every_blocked_prompt_reason_is_content_blocked(fake, ours, reason):
    body = types.GenerateContentResponse(
        prompt_feedback=types.GenerateContentResponsePromptFeedback(block_reason=reason)
    ).model_dump(mode="json", by_alias=True, exclude_none=True)
    fake.queue_raw(200, body)
    with pytest.raises(errors.ContentBlocked):
        ours.chat(KEY, BASE)


# --- errors -------------------------------------------------------------------------------------


def status(code: int, name: str, message: str, *details: dict) -> dict:
    return {"error": {"code": code, "message": message, "status": name, "details": list(details)}}


def quota(per: str) -> dict:
    return {
        "@type": "type.googleapis.com/google.rpc.QuotaFailure",
        "violations": [{"quotaId": f"GenerateRequests{per}PerProjectPerModel-FreeTier"}],
    }


INVALID_KEY = {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}
ERRORS = [
    (400, status(400, "INVALID_ARGUMENT", "API key not valid.", INVALID_KEY), errors.InvalidKey, sdk_errors.ClientError),  # noqa: E501
    (403, status(403, "PERMISSION_DENIED", "Method blocked."), errors.MissingPermissions, sdk_errors.ClientError),  # noqa: E501
    (429, status(429, "RESOURCE_EXHAUSTED", "Quota exceeded.", quota("PerDay")), errors.QuotaExhausted, sdk_errors.ClientError),  # noqa: E501
    (429, status(429, "RESOURCE_EXHAUSTED", "Slow down.", quota("PerMinute")), errors.RateLimited, sdk_errors.ClientError),  # noqa: E501
    (400, status(400, "INVALID_ARGUMENT", "Unknown name \"foo\"."), errors.BadRequest, sdk_errors.ClientError),  # noqa: E501
    (404, status(404, "NOT_FOUND", "models/gemini-1.0-pro is not found."), errors.BadRequest, sdk_errors.ClientError),  # noqa: E501
    (500, status(500, "INTERNAL", "Internal error."), errors.ProviderUnavailable, sdk_errors.ServerError),  # noqa: E501
    (503, status(503, "UNAVAILABLE", "The model is overloaded."), errors.ProviderUnavailable, sdk_errors.ServerError),  # noqa: E501
]  # fmt: skip


@pytest.mark.parametrize(("code", "body", "ours_class", "sdk_class"), ERRORS)
def test_errors_are_classed_like_the_sdk_does(fake, ours, sdk, code, body, ours_class, sdk_class):
    fake.queue_raw(code, body)
    with pytest.raises(sdk_class) as sdk_caught:
        sdk.models.generate_content(model=MODEL, contents="hi")
    assert (sdk_caught.value.code, sdk_caught.value.status) == (code, body["error"]["status"])
    fake.queue_raw(code, body)
    with pytest.raises(ours_class) as caught:
        ours.chat(KEY, BASE)
    assert caught.value.status == code
