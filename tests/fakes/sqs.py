"""moto's SQS as a server on loopback, for code that sends without a botocore client.

`mock_aws` intercepts botocore clients only; the interactions function sends its jobs with a
signed HTTP request of its own (tzurot.jobs.sqs_send). moto's server keeps no state of its own:
it serves the process's moto backends, so a queue made through a `mock_aws` client is the queue
the server delivers to, and what the server received is what that client receives. One server
per test process, started on first use.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import logging

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tzurot.jobs import queue

_url: str | None = None


def moto_server_url() -> str:
    """The process's moto server (started on first use, stopped at exit)."""
    global _url
    if _url is None:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        atexit.register(server.stop)
        host, port = server.get_host_and_port()
        _url = f"http://{host}:{port}"
    return _url


def serve_sqs(monkeypatch: pytest.MonkeyPatch) -> str:
    """Point SQS (and only SQS) at the moto server for this test; returns its URL."""
    url = moto_server_url()
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", url)
    queue.reset_client()  # a sender or client made before would talk to another endpoint
    return url


class ScriptedSqs:
    """A fake SQS endpoint on loopback that answers SendMessage as scripted, in SQS's JSON
    protocol (status, `x-amzn-query-error`, a `__type` body), and records what it received.
    Unscripted requests succeed. Use as a context manager; `url` is its endpoint."""

    def __init__(self):
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self._script: list[tuple[int, dict[str, str], bytes]] = []
        self.url = ""
        self._serving = None

    def error(self, status: int, type_: str, query_code: str | None = None) -> None:
        """Next answer: an error as SQS sends it (`query_code` as its query-compatible code)."""
        headers = {"content-type": "application/x-amz-json-1.0"}
        if query_code:
            headers["x-amzn-query-error"] = f"{query_code};Sender"
        body = {"__type": f"com.amazonaws.sqs#{type_}", "message": "text we do not control"}
        self._script.append((status, headers, json.dumps(body).encode()))

    def answer(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
        """Next answer: anything at all."""
        self._script.append((status, {"content-type": content_type}, body))

    async def _send_message(self, request: Request) -> Response:
        body = await request.body()
        self.requests.append((dict(request.headers), body))
        if self._script:
            status, headers, out = self._script.pop(0)
            return Response(out, status, headers)
        sent = json.loads(body)["MessageBody"].encode()
        answer = {"MD5OfMessageBody": hashlib.md5(sent).hexdigest(), "MessageId": "m-1"}
        return Response(json.dumps(answer), 200, media_type="application/x-amz-json-1.0")

    def __enter__(self) -> ScriptedSqs:
        from tzurot.dev.stack import serve_app

        app = Starlette(routes=[Route("/", self._send_message, methods=["POST"])])
        self._serving = serve_app(app, 0, name="scripted-sqs")
        self.url = self._serving.url
        return self

    def __exit__(self, *exc) -> None:
        self._serving.stop()
