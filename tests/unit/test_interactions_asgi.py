"""The ASGI adapter `tzurot dev` serves: the same answers as the core, and the 1 MiB cap applied
while the body streams in (declared or chunked), before any verification work."""

from __future__ import annotations

import httpx
import pytest

from tests.fakes.interactions import Recorder, command, signed
from tests.fakes.server import serve
from tzurot.dev import simulator
from tzurot.dev.asgi import create_app
from tzurot.discord.endpoint import MAX_BODY_BYTES


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def client(recorder: Recorder):
    endpoint = recorder.endpoint()
    with serve(create_app(lambda: endpoint)) as url, httpx.Client(base_url=url) as http:
        yield http


def test_signed_ping_and_command(client, recorder):
    headers, body = signed(simulator.interaction(simulator.PING, simulator.Identity()))
    response = client.post("/interactions", content=body, headers=headers)
    assert (response.status_code, response.headers["content-type"], response.json()) == (
        200,
        "application/json",
        {"type": 1},
    )
    headers, body = signed(command("chat", "personality=lilith", "message=hi"))
    assert client.post("/interactions", content=body, headers=headers).json() == {"type": 5}
    assert [job.options for job in recorder.jobs] == [{"personality": "lilith", "message": "hi"}]


def test_unsigned_is_a_bare_401(client, recorder):
    _, body = signed(command("chat", "personality=lilith", "message=hi"))
    response = client.post("/interactions", content=body)
    assert (response.status_code, response.content) == (401, b"")
    assert not recorder.touched


def test_oversized_bodies_are_413_declared_or_streamed(client, recorder):
    big = b" " * (MAX_BODY_BYTES + 1)
    headers, _ = signed(big)  # even correctly signed
    declared = client.post("/interactions", content=big, headers=headers)

    def chunks():
        for _ in range(MAX_BODY_BYTES // 65536 + 1):
            yield b" " * 65536

    streamed = client.post("/interactions", content=chunks(), headers=headers)
    for response in (declared, streamed):
        assert (response.status_code, response.json()) == (413, {"error": "request body too large"})
    assert "content-length" not in streamed.request.headers  # it really was chunked
    assert not recorder.touched


def test_other_methods_and_health(client):
    assert client.get("/interactions").status_code == 405
    assert (client.get("/health").status_code, client.get("/health").text) == (200, "ok")
