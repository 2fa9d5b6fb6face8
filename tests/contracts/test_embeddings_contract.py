"""The embedding requests, checked against the official SDKs (openai, google-genai; test-only
dependencies): the SDK and our client call the same loopback fake, and must send the same
method, path, auth header and JSON body; the SDK must read the fake's answer (so the fake speaks
the real format) and our client must read the same vector out of it."""

from __future__ import annotations

import pytest

from tests.contracts.recorder import assert_same_request
from tests.fakes.providers import FakeAnthropic, FakeGemini, FakeOpenAI, FakeOpenRouter
from tzurot.config import Settings
from tzurot.providers.embeddings import Embedding, get_embedding_client
from tzurot.providers.errors import (
    InvalidKey,
    ProviderUnavailable,
    RateLimited,
    UnknownProvider,
)
from tzurot_fakes.embeddings import bag_of_words, cosine

KEY = "test-key"
TEXT = "Do you remember what my cat is called?"
HEADERS = ("authorization", "x-goog-api-key", "content-type")


def _client(provider: str, url: str):
    attr = {"openai": "openai_base_url", "openrouter": "openrouter_base_url"}
    settings = Settings(**{attr.get(provider, "gemini_base_url"): url})
    return get_embedding_client(provider, settings)


@pytest.mark.parametrize(
    ("fake_class", "provider", "model"),
    [
        (FakeOpenAI, "openai", "text-embedding-3-small"),
        (FakeOpenRouter, "openrouter", "openai/text-embedding-3-small"),
    ],
)
def test_openai_compatible_embeddings_match_the_openai_sdk(fake_class, provider, model):
    import openai

    fake = fake_class()
    with fake.serve() as url:
        sdk = openai.OpenAI(api_key=KEY, base_url=url, max_retries=0)
        answer = sdk.embeddings.create(model=model, input=TEXT, dimensions=256)
        ours = _client(provider, url).embed(KEY, model, TEXT, 256)
    sdk_request, our_request = fake.embeddings.requests
    assert_same_request(our_request, sdk_request, HEADERS)
    assert our_request.json == {
        "model": model,
        "input": TEXT,
        "dimensions": 256,
        "encoding_format": "base64",
    }
    assert fake.requests == []  # the chat script and record are untouched
    expected = bag_of_words(TEXT, 256)
    assert answer.data[0].embedding == pytest.approx(expected, abs=1e-6)
    assert ours == Embedding(pytest.approx(expected, abs=1e-6), model, 8)
    assert answer.usage.prompt_tokens == ours.tokens == 8


def test_openai_embeddings_without_dimensions_and_as_floats():
    fake = FakeOpenAI()
    with fake.serve() as url:
        ours = _client("openai", url).embed(KEY, "text-embedding-3-small", TEXT, None)
    assert "dimensions" not in fake.embeddings.last_json
    assert ours.dims == 1536


def test_gemini_embeddings_match_the_google_genai_sdk():
    from google import genai
    from google.genai import types

    fake = FakeGemini()
    with fake.serve() as url:
        sdk = genai.Client(api_key=KEY, http_options=types.HttpOptions(base_url=url))
        answer = sdk.models.embed_content(
            model="gemini-embedding-001",
            contents=TEXT,
            config=types.EmbedContentConfig(
                task_type="SEMANTIC_SIMILARITY", output_dimensionality=768
            ),
        )
        ours = _client("google", url).embed(KEY, "models/gemini-embedding-001", TEXT, 768)
    sdk_request, our_request = fake.embeddings.requests
    assert_same_request(our_request, sdk_request, HEADERS)
    assert our_request.path == "/v1/models/gemini-embedding-001:batchEmbedContents"
    assert our_request.headers["x-goog-api-key"] == KEY and "key" not in our_request.query
    assert answer.embeddings[0].values == pytest.approx(bag_of_words(TEXT, 768))
    assert ours.vector == pytest.approx(bag_of_words(TEXT, 768))
    assert (ours.model, ours.tokens) == ("gemini-embedding-001", 10)  # 38 chars / 4, rounded up


@pytest.mark.parametrize(
    ("fake_class", "provider"),
    [(FakeOpenAI, "openai"), (FakeOpenRouter, "openrouter"), (FakeGemini, "google")],
)
def test_embedding_errors_are_provider_errors(fake_class, provider):
    fake = fake_class()
    with fake.serve() as url:
        client = _client(provider, url)
        with pytest.raises(InvalidKey):
            client.embed("wrong-key", "m", TEXT, None)
        fake.embeddings.queue_error("rate_limit")
        with pytest.raises(RateLimited):
            client.embed(KEY, "m", TEXT, None)
        fake.embeddings.queue_error("server_error")
        with pytest.raises(ProviderUnavailable):
            client.embed(KEY, "m", TEXT, None)


def test_an_answer_without_a_usable_vector_is_unavailable(monkeypatch):
    fake = FakeOpenAI()
    with fake.serve() as url:
        client = _client("openai", url)
        for bad in ("not base64!", [], ["x"], [1.0, float("nan")]):
            monkeypatch.setattr(
                client.http, "call", lambda *a, bad=bad, **k: {"data": [{"embedding": bad}]}
            )
            with pytest.raises(ProviderUnavailable):
                client.embed(KEY, "m", TEXT, None)


def test_anthropic_has_no_embeddings():
    with pytest.raises(UnknownProvider):
        get_embedding_client("anthropic", Settings())
    assert not FakeAnthropic.has_embeddings


def test_the_fake_vectors_put_related_texts_close_and_unrelated_ones_apart():
    question = bag_of_words("what is my cat called", 1536)
    assert cosine(question, bag_of_words("my cat is called Miso", 1536)) > 0.7
    assert cosine(question, bag_of_words("rainy weather tomorrow", 1536)) == 0.0
