"""Image bodies and the fakes' image answers against the vendors' OpenAPI files (../shared/specs):
what passes against the fakes must mean something against the real APIs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fakes.providers import FakeOpenAI, FakeOpenRouter, RecordedRequest, Reply
from tests.unit.test_providers_contract import Spec, load_spec
from tzurot.providers.base import ImageRequest
from tzurot.providers.openai import OpenAIProvider
from tzurot.providers.openrouter import OpenRouterProvider


@pytest.fixture(scope="module")
def openai_spec(specs_dir: Path) -> Spec:
    return Spec(load_spec(specs_dir / "openai-openapi.json"))


@pytest.fixture(scope="module")
def openrouter_spec(specs_dir: Path) -> Spec:
    return Spec(load_spec(specs_dir / "openrouter-openapi.yaml"))


OPENAI_IMAGES = {
    "gpt-image-1 landscape": ImageRequest(
        model="gpt-image-1", prompt="a lighthouse", size="1792x1024", advanced={"quality": "high"}
    ),
    "dall-e-3 portrait hd natural": ImageRequest(
        model="dall-e-3",
        prompt="a fox",
        size="1024x1792",
        advanced={"quality": "hd", "style": "natural"},
    ),
    "dall-e-2": ImageRequest(model="dall-e-2", prompt="a fox", size="1792x1024"),
    "gpt-image-2 any size": ImageRequest(model="gpt-image-2", prompt="x", size="1792x1024"),
}


@pytest.mark.parametrize("case", OPENAI_IMAGES)
def test_openai_image_bodies_match_the_spec(openai_spec, case):
    body = OpenAIProvider("http://unused").image_body(OPENAI_IMAGES[case])
    assert openai_spec.errors("CreateImageRequest", body) == []


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
    assert openrouter_spec.errors("ChatRequest", {**body, "modalities": ["video"]})


def _recorded(path: str, body: dict) -> RecordedRequest:
    return RecordedRequest("POST", path, {"authorization": "Bearer test-key"}, {}, body)


@pytest.mark.parametrize("model", ["gpt-image-1", "dall-e-3", "dall-e-2"])
def test_fake_openai_image_answers_match_the_spec(openai_spec, model):
    request = ImageRequest(model=model, prompt="a fox")
    body = OpenAIProvider("http://unused").image_body(request)
    answer = FakeOpenAI().image_generation(_recorded("/v1/images/generations", body), Reply())
    assert openai_spec.errors("ImagesResponse", json.loads(answer.body)) == []


def test_fake_openrouter_image_answer_matches_the_spec(openrouter_spec):
    body = OpenRouterProvider("http://unused").image_body(ImageRequest(model="m/x", prompt="p"))
    answer = FakeOpenRouter().completion(_recorded("/api/v1/chat/completions", body), Reply())
    data = json.loads(answer.body)
    assert openrouter_spec.errors("ChatResult", data) == []
    images = data["choices"][0]["message"]["images"]
    assert openrouter_spec.errors("ChatAssistantImages", images) == []
    assert images[0]["image_url"]["url"].startswith("data:image/png;base64,iVBORw0KGgo")
