"""The loopback fakes answer in the official SDKs' response models.

(Gemini's model listing is checked through the SDK's own call in test_gemini_contract.py: the
SDK's `Model` is its converted form, not the wire's.)

Each answer of tests/fakes/providers.py is validated with the SDK's pydantic model (required
fields, types, enums) and must come back unchanged from a dump of that model, so a fake cannot
invent a field name or shape the real API does not have.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from anthropic.types import Message, ModelInfo
from anthropic.types.shared import ErrorResponse as AnthropicError
from elevenlabs.types import Model as ElevenLabsModel
from google.genai import types as gemini
from openai.types import ImagesResponse, Model
from openai.types.chat import ChatCompletion

from tests.fakes.providers import (
    FakeAnthropic,
    FakeElevenLabs,
    FakeGemini,
    FakeOpenAI,
    RecordedRequest,
    Reply,
)


def replies(hit_the_limit: str) -> dict[str, Reply]:
    """Replies in each provider's own words for "stopped at the token limit"."""
    return {
        "plain": Reply(),
        "reasoning": Reply(
            text="42", thinking="hmm", thinking_tokens=30, finish_reason=hit_the_limit
        ),
        "no text": Reply(text=None),
    }


REPLIES = replies("length")


def body(response) -> Any:
    return json.loads(response.body)


def request(path: str, payload: Any = None) -> RecordedRequest:
    return RecordedRequest("POST", path, {}, {}, payload)


def same(model_cls, data: dict, **dump: Any) -> None:
    """`data` validates as `model_cls` and is exactly what the model dumps (no unknown keys)."""
    built = model_cls.model_validate(data)
    assert built.model_dump(mode="json", exclude_unset=True, **dump) == data


@pytest.mark.parametrize("reply", REPLIES)
def test_openai_completions(reply):
    answer = FakeOpenAI().completion(
        request("/v1/chat/completions", {"model": "m"}), REPLIES[reply]
    )
    data = body(answer)
    data["choices"][0]["message"].pop("reasoning", None)  # OpenRouter's field, not OpenAI's
    same(ChatCompletion, data)


def test_openai_images_and_models():
    fake = FakeOpenAI()
    image = fake.image_generation(
        request("/v1/images/generations", {"model": "gpt-image-2"}), Reply()
    )
    same(ImagesResponse, body(image))
    listing = body(fake.model_list(request("/v1/models"), Reply()))
    for item in listing["data"]:
        same(Model, item)


@pytest.mark.parametrize("reply", REPLIES)
def test_anthropic_messages(reply):
    scripted = replies("max_tokens")[reply]
    answer = FakeAnthropic().message(request("/v1/messages", {"model": "m"}), scripted)
    same(Message, body(answer))


def test_anthropic_models_and_errors():
    fake = FakeAnthropic()
    for item in body(fake.model_list(request("/v1/models"), Reply()))["data"]:
        same(ModelInfo, item)
    for kind in fake.supported_errors:
        if kind != "blocked":  # a 200 refusal, a Message
            same(AnthropicError, body(fake.error(kind, None, None, request("/v1/messages"))))


@pytest.mark.parametrize("reply", REPLIES)
def test_gemini_generate_content(reply):
    path = "/v1beta/models/gemini-2.5-flash:generateContent"
    answer = FakeGemini().content(request(path, {}), replies("MAX_TOKENS")[reply])
    same(gemini.GenerateContentResponse, body(answer), by_alias=True)


def test_elevenlabs_model_listing():
    for item in body(FakeElevenLabs().model_list(request("/v1/models"), Reply())):
        ElevenLabsModel.model_validate(item)
        assert set(item) <= set(ElevenLabsModel.model_fields)
