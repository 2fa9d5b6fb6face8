"""Finding 16: the local interactions server times out a client that sends its body slowly,
and closes idle keep-alive connections."""

from __future__ import annotations

import socket
import time

from tests.fakes.interactions import Recorder
from tzurot.dev import asgi
from tzurot.dev.stack import serve_app


def test_a_slow_body_gets_408_and_the_server_keeps_answering(monkeypatch):
    monkeypatch.setattr(asgi, "BODY_SECONDS", 0.5)
    # A short keep-alive, well inside the client's own socket timeout: on a loaded machine a
    # 5 s keep-alive against a 5 s socket timeout raced (the recv timed out first).
    monkeypatch.setattr(asgi, "KEEP_ALIVE_SECONDS", 1)
    recorder = Recorder()
    endpoint = recorder.endpoint()
    serving = serve_app(asgi.create_app(lambda: endpoint), 0, name="slow-client-test")
    try:
        host, port = serving.socket.getsockname()[:2]
        with socket.create_connection((host, port), timeout=5) as slow:
            slow.sendall(
                b"POST /interactions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 100\r\n\r\n{"
            )
            started, answer = time.monotonic(), b""
            while not answer.endswith(b"}") and (chunk := slow.recv(4096)):
                answer += chunk  # headers and body may come in separate packets
            assert time.monotonic() - started < 3
        assert answer.startswith(b"HTTP/1.1 408 ")
        assert answer.endswith(b'{"error":"request timeout"}')
        assert recorder.jobs == []
        with socket.create_connection((host, port), timeout=10) as fresh:
            fresh.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            started, received = time.monotonic(), b""
            while chunk := fresh.recv(4096):  # until the server closes the idle connection
                received += chunk
            assert received.startswith(b"HTTP/1.1 200 ") and received.endswith(b"ok")
            assert time.monotonic() - started < asgi.KEEP_ALIVE_SECONDS + 5
    finally:
        serving.stop()
