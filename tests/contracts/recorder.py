"""Running our client and an official SDK against the same loopback fake, and comparing what
each one sent: the request line, the auth header(s) and the JSON body.

The fakes in tests/fakes/providers.py record every request, so they are the recorder; what they
answer must also parse in the SDK (the SDK call fails otherwise), which keeps the fakes honest.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.fakes.providers import FakeProviderAPI, RecordedRequest
from tzurot.providers.base import ChatMessage, ChatRequest


def recorded(fake: FakeProviderAPI, call: Callable[[], Any]) -> tuple[RecordedRequest, Any]:
    """The one request `call` made through `fake`, and what `call` returned."""
    fake.reset()
    result = call()
    assert len(fake.requests) == 1, [r.path for r in fake.requests]
    return fake.last_request, result


def assert_same_request(
    ours: RecordedRequest, sdk: RecordedRequest, headers: tuple[str, ...]
) -> None:
    """Method, path, the named headers and the JSON body are the same; the query may only
    differ in what the SDK adds (e.g. ElevenLabs' output_format default)."""
    assert (ours.method, ours.path) == (sdk.method, sdk.path)
    for name in headers:
        assert ours.headers.get(name) == sdk.headers.get(name), name
    assert ours.json == sdk.json
    assert ours.query.items() <= sdk.query.items()


def serve(fake_cls: type[FakeProviderAPI], key: str, client_cls: type) -> tuple[Any, Any, Any]:
    """Module fixtures `served` (one fake on loopback for the module), `fake` (reset for each
    test) and `ours` (our client for it): `served, fake, ours = serve(FakeX, KEY, XProvider)`."""

    @pytest.fixture(scope="module")
    def served():
        fake = fake_cls(valid_keys={key})
        with fake.serve() as url:
            yield fake, url

    @pytest.fixture
    def fake(served):
        served[0].reset()
        return served[0]

    @pytest.fixture
    def ours(served):
        return client_cls(served[1])

    return served, fake, ours


CONVERSATION = [
    ChatMessage("user", "Hi"),
    ChatMessage("assistant", "Hey"),
    ChatMessage("user", "?"),
]


def chat_request(model: str, **changes: Any) -> ChatRequest:
    """The contract tests' chat: a system prompt, three turns, every universal value set."""
    fields: dict[str, Any] = {
        "model": model,
        "system": "You are Lilith.",
        "messages": CONVERSATION,
        "temperature": 0.8,
        "top_p": 0.9,
        "max_tokens": 400,
    }
    return ChatRequest(**{**fields, **changes})
