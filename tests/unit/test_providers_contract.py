"""Contract tests against the vendors' official OpenAPI files (../shared/specs).

The request bodies the OpenAI and OpenRouter clients build must satisfy the specs' request
schemas, and the bodies the fakes answer with must satisfy the response/error schemas, so that
tests passing against the fakes mean something against the real APIs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from tests.fakes.providers import (
    FakeElevenLabs,
    FakeOpenAI,
    FakeOpenRouter,
    RecordedRequest,
    Reply,
)
from tzurot.providers.base import ChatMessage, ChatRequest
from tzurot.providers.openai import OpenAIProvider
from tzurot.providers.openrouter import OpenRouterProvider

SPEC_URI = "urn:spec"


def load_spec(path: Path) -> dict[str, Any]:
    if path.suffix == ".json":
        return json.loads(path.read_text())
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(path.read_text(), Loader=loader)


class Spec:
    def __init__(self, document: dict[str, Any]):
        self.document = document
        resource = DRAFT202012.create_resource(document)
        self.registry = Registry().with_resource(SPEC_URI, resource)

    def validator(self, pointer: str) -> Draft202012Validator:
        return Draft202012Validator({"$ref": f"{SPEC_URI}#{pointer}"}, registry=self.registry)

    def schema(self, name: str) -> Draft202012Validator:
        return self.validator(f"/components/schemas/{name}")

    def errors(self, pointer_or_name: str, instance: Any) -> list[str]:
        validator = (
            self.validator(pointer_or_name)
            if pointer_or_name.startswith("/")
            else self.schema(pointer_or_name)
        )
        return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(instance)]


@pytest.fixture(scope="module")
def openai_spec(specs_dir: Path) -> Spec:
    return Spec(load_spec(specs_dir / "openai-openapi.json"))


@pytest.fixture(scope="module")
def openrouter_spec(specs_dir: Path) -> Spec:
    return Spec(load_spec(specs_dir / "openrouter-openapi.yaml"))


@pytest.fixture(scope="module")
def elevenlabs_spec(specs_dir: Path) -> Spec:
    return Spec(load_spec(specs_dir / "elevenlabs-openapi.json"))


BASE = ChatRequest(
    model="gpt-4o-mini",
    system="You are Lilith.",
    messages=[ChatMessage("user", "Hi"), ChatMessage("assistant", "Hey"), ChatMessage("user", "?")],
    temperature=0.8,
    top_p=0.9,
    max_tokens=400,
)


def variant(**changes) -> ChatRequest:
    return ChatRequest(**{**BASE.__dict__, **changes})


OPENAI_REQUESTS = {
    "plain": BASE,
    "no system, no sampling": variant(system="", temperature=None, top_p=None, max_tokens=None),
    "penalties, seed, stop, logit bias": variant(
        advanced={
            "frequencyPenalty": 0.5,
            "presencePenalty": -0.5,
            "seed": 42,
            "stop": ["\nUser:"],
            "logitBias": {"50256": -100},
        }
    ),
    "reasoning": variant(model="o4-mini", advanced={"reasoningEffort": "high"}),
    "max completion tokens": variant(advanced={"maxCompletionTokens": 1000}),
    "json schema": variant(
        advanced={"jsonSchema": {"name": "reply", "schema": {"type": "object"}, "strict": True}}
    ),
}

OPENROUTER_REQUESTS = {
    "plain": variant(model="openai/gpt-4o-mini"),
    "samplers": variant(
        model="meta-llama/llama-3.1-70b-instruct",
        advanced={
            "minP": 0.05,
            "topA": 0.1,
            "topK": 40,
            "repetitionPenalty": 1.1,
            "typicalP": 0.9,
            "frequencyPenalty": 0.2,
            "presencePenalty": 0.2,
            "transforms": ["middle-out"],
            "seed": 1,
            "stop": ["</s>"],
        },
    ),
    "reasoning": variant(model="deepseek/deepseek-r1", advanced={"reasoningEffort": "low"}),
}


@pytest.mark.parametrize("case", OPENAI_REQUESTS)
def test_openai_request_bodies_match_the_spec(openai_spec, case):
    body = OpenAIProvider("http://unused").build_body(OPENAI_REQUESTS[case])
    assert openai_spec.errors("CreateChatCompletionRequest", body) == []


@pytest.mark.parametrize("case", OPENROUTER_REQUESTS)
def test_openrouter_request_bodies_match_the_spec(openrouter_spec, case):
    body = OpenRouterProvider("http://unused").build_body(OPENROUTER_REQUESTS[case])
    assert openrouter_spec.errors("ChatRequest", body) == []


def test_the_validators_do_reject_wrong_bodies(openai_spec, openrouter_spec):
    wrong = {"model": "gpt-4o", "messages": [{"role": "robot", "content": "x"}], "top_p": "high"}
    assert openai_spec.errors("CreateChatCompletionRequest", wrong)
    assert openrouter_spec.errors("ChatRequest", {**wrong, "messages": []})


def _recorded(path: str, body: Any = None, key: str = "test-key") -> RecordedRequest:
    return RecordedRequest("POST", path, {"authorization": f"Bearer {key}"}, {}, body)


def _body(response) -> Any:
    return json.loads(response.body)


def test_fake_openai_answers_match_the_spec(openai_spec):
    fake = FakeOpenAI()
    chat = _recorded("/v1/chat/completions", {"model": "gpt-4o-mini"})
    reply = fake.completion(chat, Reply(text="hi", thinking_tokens=3, finish_reason="length"))
    assert openai_spec.errors("CreateChatCompletionResponse", _body(reply)) == []
    listing = fake.model_list(_recorded("/v1/models"), Reply())
    assert openai_spec.errors("ListModelsResponse", _body(listing)) == []
    for kind in FakeOpenAI.supported_errors:
        error = fake.error(kind, None, None, chat)
        assert openai_spec.errors("ErrorResponse", _body(error)) == [], kind


ROUTER_ERROR_SCHEMAS = {
    400: "BadRequestResponse",
    401: "UnauthorizedResponse",
    402: "PaymentRequiredResponse",
    403: "ForbiddenResponse",
    429: "TooManyRequestsResponse",
    500: "InternalServerResponse",
    503: "ServiceUnavailableResponse",
}


def test_fake_openrouter_answers_match_the_spec(openrouter_spec):
    fake = FakeOpenRouter()
    chat = _recorded("/api/v1/chat/completions", {"model": "openai/gpt-4o"})
    reply = fake.completion(chat, Reply(text="hi", thinking="because"))
    assert openrouter_spec.errors("ChatResult", _body(reply)) == []
    key_info = {"data": fake.key_info}
    key_schema = "/paths/~1key/get/responses/200/content/application~1json/schema"
    assert openrouter_spec.errors(key_schema, key_info) == []
    for kind in FakeOpenRouter.supported_errors:
        error = fake.error(kind, None, None, chat)
        schema = ROUTER_ERROR_SCHEMAS[error.status_code]
        assert openrouter_spec.errors(schema, _body(error)) == [], kind


def test_fake_elevenlabs_answers_match_the_spec(elevenlabs_spec):
    fake = FakeElevenLabs()
    listing = fake.model_list(_recorded("/v1/models"), Reply())
    models_schema = "/paths/~1v1~1models/get/responses/200/content/application~1json/schema"
    assert elevenlabs_spec.errors(models_schema, _body(listing)) == []
    invalid = fake.error("bad_request", None, None, _recorded("/v1/models"))
    assert invalid.status_code == 422
    assert elevenlabs_spec.errors("HTTPValidationError", _body(invalid)) == []


def test_the_elevenlabs_key_check_asks_text_to_speech_with_a_body_the_spec_refuses(
    elevenlabs_spec,
):
    """The key check must pass only for keys allowed to speak, and never spend characters: it
    posts to the text-to-speech operation itself, with a body lacking the required `text`."""
    from tzurot.providers.elevenlabs import PROBE_PATH, PROBE_VOICE_ID

    operation = elevenlabs_spec.document["paths"]["/v1/text-to-speech/{voice_id}"]["post"]
    assert f"/v1/text-to-speech/{PROBE_VOICE_ID}" == PROBE_PATH
    voice = next(p for p in operation["parameters"] if p["name"] == "voice_id")
    assert PROBE_VOICE_ID in voice["schema"]["examples"]
    body = "Body_Text_to_speech_v1_text_to_speech__voice_id__post"
    assert elevenlabs_spec.errors(body, {}) == ["[]: 'text' is a required property"]
    assert elevenlabs_spec.errors(body, {"text": "hi"}) == []
    # What the API answers such a body with (and what the fake answers): a validation error.
    assert set(operation["responses"]) == {"200", "422"}
    fake = FakeElevenLabs()
    answer = fake.synthesize(_recorded(PROBE_PATH, {}), Reply())
    assert answer.status_code == 422
    assert elevenlabs_spec.errors("HTTPValidationError", _body(answer)) == []
