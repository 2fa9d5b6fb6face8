"""The interactions request path's one AWS client (SQS) fits Discord's 3 seconds: tight timeouts,
one retry, and a stalled or unconfigured AWS ends as the polite "try again", never a 5xx or a
wait into the Lambda timeout. Sealing needs no AWS at all (no KMS on this path)."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest

from tests.fakes.interactions import PUBLIC_KEY, Recorder, command, modal_submit, signed
from tests.fakes.sqs import ScriptedSqs
from tests.fakes.transit import PUBLIC_KEY as TRANSIT_KEY
from tzurot.discord import aws_config
from tzurot.discord.endpoint import TRY_AGAIN, InteractionEndpoint
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
    yield
    queue.reset_client()


def test_the_request_path_sqs_client_has_tight_timeouts_and_one_retry():
    make = queue.sqs_client
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


GENERATE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/generate"


def queue_endpoint(recorder: Recorder, generate_url: str) -> InteractionEndpoint:
    """The endpoint with the real job queue (the sealers are the recorder's)."""
    return InteractionEndpoint(
        public_key=PUBLIC_KEY,
        send_job=JobQueue({"generate": generate_url}).send,
        seal=recorder.seal,
        seal_token=recorder.seal_token,
    )


def answer(endpoint: InteractionEndpoint, payload: dict) -> dict:
    headers, body = signed(payload)
    response = endpoint.handle(headers, body)
    assert response.status == 200
    return json.loads(response.body)


def test_a_stalled_sqs_ends_as_try_again_after_one_retry(stalled_aws):
    recorder = Recorder()
    endpoint = queue_endpoint(recorder, f"{stalled_aws.url}/123456789012/generate")
    started = time.monotonic()
    reply = answer(endpoint, command("chat", "personality=lilith", "message=hi"))
    assert reply["data"]["content"] == TRY_AGAIN and reply["data"]["flags"] == 64
    assert time.monotonic() - started < 2.5
    assert stalled_aws.accepted == 2


def test_sealing_needs_no_aws_at_all(stalled_aws, monkeypatch):
    # Every AWS endpoint stalls; the wallet key and the token are sealed anyway (locally, to
    # TRANSIT_PUBLIC_KEY) and only the SQS send touches the network.
    monkeypatch.setenv("TRANSIT_PUBLIC_KEY", str(TRANSIT_KEY))
    recorder = Recorder()
    endpoint = InteractionEndpoint(public_key=PUBLIC_KEY, send_job=recorder.send_job)
    key = "sk-proj-abcdefgh12345678"
    reply = answer(endpoint, modal_submit("wallet-set:openai", api_key=key))
    assert reply == {"type": 5, "data": {"flags": 64}}
    (job,) = recorder.jobs
    assert Recorder.opened_key(job) == key and Recorder.opened(job).startswith("dev-")
    assert stalled_aws.accepted == 0


@pytest.mark.parametrize(
    ("value", "logged"),
    [
        (None, "TRANSIT_PUBLIC_KEY is not set"),
        ("t1:not-base64!", "TRANSIT_PUBLIC_KEY: the key is not valid base64"),
    ],
)
def test_no_or_a_malformed_transit_key_is_try_again_and_nothing_is_enqueued(
    monkeypatch, caplog, value, logged
):
    if value is None:
        monkeypatch.delenv("TRANSIT_PUBLIC_KEY", raising=False)
    else:
        monkeypatch.setenv("TRANSIT_PUBLIC_KEY", value)
    recorder = Recorder()
    endpoint = InteractionEndpoint(public_key=PUBLIC_KEY, send_job=recorder.send_job)
    chat = answer(endpoint, command("chat", "personality=lilith", "message=hi"))
    wallet = answer(endpoint, modal_submit("wallet-set:openai", api_key="sk-proj-abcdefgh12345"))
    assert chat["data"]["content"] == wallet["data"]["content"] == TRY_AGAIN
    assert recorder.jobs == []
    errors = [r.error for r in caplog.records if r.name == "interactions"]
    assert errors == [logged, logged]


def test_no_aws_region_is_try_again_not_a_5xx(monkeypatch, tmp_path):
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    recorder = Recorder()
    endpoint = queue_endpoint(recorder, GENERATE_URL)
    chat = answer(endpoint, command("chat", "personality=lilith", "message=hi"))
    assert chat["data"]["content"] == TRY_AGAIN
    assert recorder.jobs == []


def _closed_port_url() -> str:
    with socket.create_server(("127.0.0.1", 0)) as closed:
        return f"http://127.0.0.1:{closed.getsockname()[1]}"


@pytest.mark.parametrize(
    ("failure", "reason", "attempts"),
    [
        ("refused", "AWS.SimpleQueueService.NonExistentQueue", 1),
        ("throttled twice", "RequestThrottled", 2),
        ("connection refused", "EndpointConnectionError", None),
        ("no credentials", "NoCredentialsError", 0),
    ],
)
def test_a_failed_send_is_try_again_and_one_log_line_with_the_code(
    monkeypatch, caplog, tmp_path, failure, reason, attempts
):
    """As with botocore's client before: the user gets the polite ephemeral "try again", the
    log the queue and the error code (never SQS's text, the job or the token)."""
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    recorder = Recorder()
    payload = command("chat", "personality=lilith", "message=hi")
    with ScriptedSqs() as fake:
        monkeypatch.setenv("AWS_ENDPOINT_URL", fake.url)
        if failure == "refused":
            fake.error(400, "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue")
        elif failure == "throttled twice":
            fake.error(400, "RequestThrottled", "RequestThrottled")
            fake.error(400, "RequestThrottled", "RequestThrottled")
        elif failure == "connection refused":
            monkeypatch.setenv("AWS_ENDPOINT_URL", _closed_port_url())
        else:
            for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
                monkeypatch.delenv(name)
        endpoint = queue_endpoint(recorder, GENERATE_URL)
        reply = answer(endpoint, payload)
        if attempts is not None:
            assert len(fake.requests) == attempts
    assert (reply["type"], reply["data"]["content"], reply["data"]["flags"]) == (4, TRY_AGAIN, 64)
    (record,) = [r for r in caplog.records if r.name == "interactions"]
    assert (record.getMessage(), record.error) == (
        "could not enqueue job",
        f"could not enqueue generate job: {reason}",
    )
    everything = json.dumps({k: str(v) for k, v in vars(record).items()})
    assert payload["token"] not in everything and "text we do not control" not in everything
