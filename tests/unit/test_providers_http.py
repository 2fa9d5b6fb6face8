"""The shared transport: client reuse, status defaults, scrubbing, Retry-After, transport errors."""

from __future__ import annotations

import socket
from email.utils import formatdate

import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from tests.fakes.server import serve
from tzurot.providers import http
from tzurot.providers.errors import (
    BadRequest,
    InvalidKey,
    MissingPermissions,
    ProviderError,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
)
from tzurot.providers.http import ErrorInfo, ProviderHTTP

KEY = "sk-proj-SECRETsecretSECRETsecret123456"


def no_detail(status, body) -> ErrorInfo:
    return ErrorInfo()


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (400, BadRequest),
        (401, InvalidKey),
        (402, QuotaExhausted),
        (403, MissingPermissions),
        (404, BadRequest),
        (408, ProviderUnavailable),
        (422, BadRequest),
        (429, RateLimited),
        (500, ProviderUnavailable),
        (502, ProviderUnavailable),
        (529, ProviderUnavailable),
    ],
)
def test_status_code_defaults(status, error_type):
    assert http.class_for_status(status) is error_type


def test_scrub_removes_the_key_masked_echoes_and_known_secret_shapes():
    text = (
        f"Incorrect API key provided: sk-pro********3456. Also {KEY} and "
        "Bearer abc.def and AIzaSyA-abcdefghijklmnopqrstuvwxyz0123456"
    )
    scrubbed = http.scrub(text, KEY)
    assert scrubbed == (
        "Incorrect API key provided: [REDACTED] Also [REDACTED] and Bearer [REDACTED] "
        "and [REDACTED]"
    )


def test_scrub_makes_one_short_line():
    assert http.scrub("  many\n\n  lines\there ", None) == "many lines here"
    long = http.scrub("word " * 200, None)
    assert len(long) == http.DETAIL_LIMIT
    assert long.endswith("…")
    assert http.scrub("", KEY) is None
    assert http.scrub({"not": "text"}, KEY) is None


def test_retry_after_forms():
    assert http.retry_after_seconds({"retry-after": "7"}) == 7.0
    assert http.retry_after_seconds({"retry-after": "0.5"}) == 0.5
    assert http.retry_after_seconds({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert http.retry_after_seconds({"retry-after": "soon"}) is None
    assert http.retry_after_seconds({}) is None
    date = formatdate(1_000_030, usegmt=True)
    assert http.retry_after_seconds({"retry-after": date}, now=1_000_000) == 30.0
    assert http.retry_after_seconds({"retry-after": date}, now=2_000_000) == 0.0


def test_error_messages_are_user_safe():
    assert str(InvalidKey(provider="OpenAI", detail=KEY)) == (
        "OpenAI rejected the API key (invalid, revoked or expired)"
    )
    assert str(RateLimited(provider="X", retry_after=1.5)) == (
        "X is rate limiting requests (retry after 1.5 s)"
    )
    assert str(QuotaExhausted()) == "The provider says the account is out of quota or credits"
    assert str(BadRequest("custom text")) == "custom text"
    categories = {
        t.category for t in (InvalidKey, QuotaExhausted, MissingPermissions, RateLimited,
                             BadRequest, ProviderUnavailable)
    }  # fmt: skip
    assert len(categories) == 6
    assert [t.retryable for t in (RateLimited, ProviderUnavailable, InvalidKey)] == [
        True,
        True,
        False,
    ]


def test_shared_client_is_reused_until_closed():
    first = http.shared_client()
    assert http.shared_client() is first
    assert first.timeout.connect == 5.0
    assert first.timeout.read == 60.0
    http.close_shared_client()
    assert first.is_closed
    second = http.shared_client()
    assert second is not first and not second.is_closed


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_connection_refused_is_unavailable():
    transport = ProviderHTTP("OpenAI", f"http://127.0.0.1:{_closed_port()}", parse_error=no_detail)
    with pytest.raises(ProviderUnavailable) as caught:
        transport.call("GET", "/models", api_key=KEY, headers={})
    assert str(caught.value) == "OpenAI is unreachable or failing right now: could not be reached"
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


async def _html_502(request):
    return PlainTextResponse("<html>Bad gateway</html>", status_code=502)


async def _text_200(request):
    return PlainTextResponse("surprise")


@pytest.fixture(scope="module")
def odd_server():
    async def leaky(request):
        message = f"Key {request.headers['x-key']} was rejected"
        return JSONResponse({"error": {"message": message}}, status_code=400)

    app = Starlette(
        routes=[
            Route("/html502", _html_502),
            Route("/text200", _text_200),
            Route("/leaky", leaky),
        ]
    )
    with serve(app) as url:
        yield url


def test_non_json_error_page_falls_back_to_status(odd_server):
    transport = ProviderHTTP("Anthropic", odd_server, parse_error=no_detail)
    with pytest.raises(ProviderUnavailable) as caught:
        transport.call("GET", "/html502", api_key=KEY, headers={})
    assert (caught.value.status, caught.value.detail) == (502, None)


def test_non_json_success_is_unavailable(odd_server):
    transport = ProviderHTTP("Anthropic", odd_server, parse_error=no_detail)
    with pytest.raises(ProviderUnavailable) as caught:
        transport.call("GET", "/text200", api_key=KEY, headers={})
    assert str(caught.value) == (
        "Anthropic is unreachable or failing right now: sent a response that is not JSON"
    )


def test_provider_detail_never_carries_the_key(odd_server):
    def read(status, body) -> ErrorInfo:
        return ErrorInfo(detail=body["error"]["message"])

    transport = ProviderHTTP("OpenRouter", odd_server, parse_error=read)
    with pytest.raises(ProviderError) as caught:
        transport.call("GET", "/leaky", api_key=KEY, headers={"x-key": KEY})
    assert KEY not in str(caught.value)
    assert str(caught.value) == "OpenRouter rejected the request: Key [REDACTED] was rejected"
