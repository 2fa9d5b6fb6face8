"""OpenRouter image bodies and the fake's image answers against OpenRouter's OpenAPI file (the
parts kept in tests/reference). OpenAI's image requests are checked against the openai SDK in
tests/contracts/test_openai_contract.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fakes.providers import FakeOpenRouter, RecordedRequest, Reply
from tests.unit.test_providers_contract import Spec, load_spec, unknown_keys
from tzurot.providers.base import ImageRequest
from tzurot.providers.openrouter import OpenRouterProvider


@pytest.fixture(scope="module")
def openrouter_spec(specs_dir: Path) -> Spec:
    return Spec(load_spec(specs_dir / "openrouter-openapi.json"))


def test_openrouter_image_body_matches_the_spec(openrouter_spec):
    request = ImageRequest(
        model="black-forest-labs/flux-1.1-pro",
        prompt="a castle",
        size="1024x1792",
        negative_prompt="blurry",
        advanced={"steps": 30, "guidanceScale": 3.5, "scheduler": "euler", "seed": 7},
    )
    body = OpenRouterProvider("http://unused").image_body(request)
    assert openrouter_spec.errors("ChatRequest", body) == []
    assert unknown_keys(openrouter_spec, body) == set()
    assert openrouter_spec.errors("ChatRequest", {**body, "modalities": ["video"]})


def _recorded(path: str, body: dict) -> RecordedRequest:
    return RecordedRequest("POST", path, {"authorization": "Bearer test-key"}, {}, body)


def test_fake_openrouter_image_answer_matches_the_spec(openrouter_spec):
    body = OpenRouterProvider("http://unused").image_body(ImageRequest(model="m/x", prompt="p"))
    answer = FakeOpenRouter().completion(_recorded("/api/v1/chat/completions", body), Reply())
    data = json.loads(answer.body)
    assert openrouter_spec.errors("ChatResult", data) == []
    images = data["choices"][0]["message"]["images"]
    assert openrouter_spec.errors("ChatAssistantImages", images) == []
    assert images[0]["image_url"]["url"].startswith("data:image/png;base64,iVBORw0KGgo")
