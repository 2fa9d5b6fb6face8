"""OpenRouter's contract, from its official OpenAPI file (the parts kept in tests/reference).

OpenRouter publishes no Python SDK among our references, so its request bodies are checked
against the file's ChatRequest schema, plus a check the schema cannot make (it allows extra
keys): every key must be one ChatRequest names. The fake's answers must satisfy the response
and error schemas. OpenAI, Anthropic, Gemini and ElevenLabs are checked against their
official SDKs in tests/contracts/.
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
    FakeOpenRouter,
    RecordedRequest,
    Reply,
)
from tzurot.providers.base import ChatMessage, ChatRequest
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
def openrouter_spec(specs_dir: Path) -> Spec:
    return Spec(load_spec(specs_dir / "openrouter-openapi.json"))


def unknown_keys(spec: Spec, body: dict) -> set[str]:
    return set(body) - set(spec.document["components"]["schemas"]["ChatRequest"]["properties"])


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


@pytest.mark.parametrize("case", OPENROUTER_REQUESTS)
def test_openrouter_request_bodies_match_the_spec(openrouter_spec, case):
    body = OpenRouterProvider("http://unused").build_body(OPENROUTER_REQUESTS[case])
    assert openrouter_spec.errors("ChatRequest", body) == []
    assert unknown_keys(openrouter_spec, body) == set()


def test_the_checks_do_reject_wrong_bodies(openrouter_spec):
    wrong = {"model": "gpt-4o", "messages": [], "top_p": "high"}
    assert openrouter_spec.errors("ChatRequest", wrong)
    old = {"model": "x", "messages": [], "typical_p": 0.9, "transforms": ["middle-out"]}
    assert unknown_keys(openrouter_spec, old) == {"typical_p", "transforms"}


def _recorded(path: str, body: Any = None, key: str = "test-key") -> RecordedRequest:
    return RecordedRequest("POST", path, {"authorization": f"Bearer {key}"}, {}, body)


def _body(response) -> Any:
    return json.loads(response.body)


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


def test_the_guardrail_example_of_the_file_is_content_blocked(openrouter_spec):
    """OpenRouter's own 403 example for a guardrail-blocked chat is a blocked request, not a
    key lacking permissions (the other 403 example)."""
    from tzurot.providers.errors import ContentBlocked, MissingPermissions

    examples = openrouter_spec.document["paths"]["/chat/completions"]["post"]["responses"]["403"][
        "content"
    ]["application/json"]["examples"]
    client = OpenRouterProvider("http://unused")
    kinds = {
        name: client.parse_error(403, example["value"]).kind or MissingPermissions
        for name, example in examples.items()
    }
    assert kinds == {
        "guardrail-blocked": ContentBlocked,
        "insufficient-permissions": MissingPermissions,
    }
