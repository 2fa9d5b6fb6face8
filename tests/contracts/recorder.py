"""Running our client and an official SDK against the same loopback fake, and comparing what
each one sent: the request line, the auth header(s) and the JSON body.

The fakes in tests/fakes/providers.py record every request, so they are the recorder; what they
answer must also parse in the SDK (the SDK call fails otherwise), which keeps the fakes honest.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.fakes.providers import FakeProviderAPI, RecordedRequest


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
