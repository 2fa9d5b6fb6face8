"""The AWS clients of the interactions request path fit Discord's 3 seconds: tight timeouts, one
retry, and a stalled or unconfigured AWS ends as the polite "try again", never a 5xx or a wait
into the Lambda timeout."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest

from tests.fakes.interactions import PUBLIC_KEY, Recorder, command, modal_submit, signed
from tzurot.discord import aws_config, sealing
from tzurot.discord.endpoint import TRY_AGAIN, InteractionEndpoint
from tzurot.discord.sealing import KmsSealer, KmsTokenSealer
from tzurot.jobs import queue
from tzurot.jobs.queue import JobQueue


@pytest.fixture(autouse=True)
def aws_env(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    queue.reset_client()
    sealing.reset_client()
    yield
    queue.reset_client()
    sealing.reset_client()


@pytest.mark.parametrize("make", [queue.sqs_client, sealing.kms_client])
def test_request_path_clients_have_tight_timeouts_and_one_retry(make):
    config = make().meta.config
    assert (config.connect_timeout, config.read_timeout) == (0.5, 1.0)
    assert config.retries == {"total_max_attempts": 2, "mode": "standard"}
    assert make() is make()  # once per container


class BlackHole:
    """A TCP server that accepts connections and never answers (a stalled AWS endpoint)."""

    def __init__(self):
        self.accepted = 0
        self._server = socket.create_server(("127.0.0.1", 0))
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.getsockname()[1]}"

    def _accept(self):
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            self.accepted += 1
            self._held.append(conn)

    def close(self):
        self._server.close()
        for conn in self._held:
            conn.close()


@pytest.fixture
def stalled_aws(monkeypatch):
    hole = BlackHole()
    monkeypatch.setenv("AWS_ENDPOINT_URL", hole.url)
    # Shorter than in production so the test is quick; the values above are the real ones.
    monkeypatch.setattr(aws_config, "READ_TIMEOUT_SECONDS", 0.2)
    yield hole
    hole.close()


def answer(endpoint: InteractionEndpoint, payload: dict) -> dict:
    headers, body = signed(payload)
    response = endpoint.handle(headers, body)
    assert response.status == 200
    return json.loads(response.body)


def test_a_stalled_sqs_ends_as_try_again_after_one_retry(stalled_aws):
    recorder = Recorder()
    url = f"{stalled_aws.url}/123456789012/generate"
    endpoint = InteractionEndpoint(
        public_key=PUBLIC_KEY,
        send_job=JobQueue({"generate": url}).send,
        seal=recorder.seal,
        seal_token=recorder.seal_token,
    )
    started = time.monotonic()
    reply = answer(endpoint, command("chat", "personality=lilith", "message=hi"))
    assert reply["data"]["content"] == TRY_AGAIN and reply["data"]["flags"] == 64
    assert time.monotonic() - started < 2.5
    assert stalled_aws.accepted == 2


def test_a_stalled_kms_ends_as_try_again_and_nothing_is_enqueued(stalled_aws):
    recorder = Recorder()
    endpoint = InteractionEndpoint(
        public_key=PUBLIC_KEY, send_job=recorder.send_job, seal=KmsSealer("alias/any")
    )
    reply = answer(endpoint, modal_submit("wallet-set:openai", api_key="sk-proj-abcdefgh12345678"))
    assert reply["data"]["content"] == TRY_AGAIN
    assert recorder.jobs == [] and stalled_aws.accepted == 2


def test_a_stalled_kms_on_a_containers_first_job_ends_as_try_again(stalled_aws):
    recorder = Recorder()
    endpoint = InteractionEndpoint(
        public_key=PUBLIC_KEY,
        send_job=recorder.send_job,
        seal=recorder.seal,
        seal_token=KmsTokenSealer("alias/any"),
    )
    started = time.monotonic()
    reply = answer(endpoint, command("chat", "personality=lilith", "message=hi"))
    assert reply["data"]["content"] == TRY_AGAIN and reply["data"]["flags"] == 64
    assert time.monotonic() - started < 2.5
    assert recorder.jobs == [] and stalled_aws.accepted == 2


def test_no_aws_region_is_try_again_not_a_5xx(monkeypatch, tmp_path):
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    recorder = Recorder()
    url = "https://sqs.us-east-1.amazonaws.com/123456789012/generate"
    endpoint = InteractionEndpoint(
        public_key=PUBLIC_KEY,
        send_job=JobQueue({"generate": url}).send,
        seal=KmsSealer("k"),
        seal_token=recorder.seal_token,
    )
    chat = answer(endpoint, command("chat", "personality=lilith", "message=hi"))
    wallet = answer(endpoint, modal_submit("wallet-set:openai", api_key="sk-proj-abcdefgh12345"))
    token_only = InteractionEndpoint(
        public_key=PUBLIC_KEY,
        send_job=recorder.send_job,
        seal=recorder.seal,
        seal_token=KmsTokenSealer("k"),
    )
    first_job = answer(token_only, command("help"))
    assert chat["data"]["content"] == wallet["data"]["content"] == TRY_AGAIN
    assert first_job["data"]["content"] == TRY_AGAIN
    assert recorder.jobs == []
