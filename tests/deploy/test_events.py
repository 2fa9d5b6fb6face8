"""events/: the committed samples are the generator's output, and the handlers accept them
(interactions: freshly signed; workers: the committed job, which is past its token)."""

from __future__ import annotations

import importlib.util
import io
import json
import logging
import time

import boto3
import pytest
from moto import mock_aws

from tests.deploy.handlers import FUNCTIONS_DIR, load_app
from tests.fakes.sqs import serve_sqs
from tests.fakes.transit import KEYS, StaticKeys
from tests.fakes.transit import PUBLIC_KEY as TRANSIT_KEY
from tzurot.crypto.transit import open_token
from tzurot.discord import endpoint
from tzurot.jobs import queue
from tzurot.jobs.model import Job
from tzurot.logs import get_logger

EVENTS_DIR = FUNCTIONS_DIR.parent / "events"


def _load_generator():
    spec = importlib.util.spec_from_file_location("make_events", EVENTS_DIR / "make_events.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_events = _load_generator()


def committed(name: str) -> dict:
    return json.loads((EVENTS_DIR / f"{name}.json").read_text())


@pytest.fixture
def interactions(monkeypatch):
    monkeypatch.setenv("DISCORD_PUBLIC_KEY", make_events.DEV_PUBLIC_KEY)
    endpoint.reset_default_endpoint()
    yield load_app("interactions").handler
    endpoint.reset_default_endpoint()


def _reply(response: dict) -> tuple[int, dict | None]:
    body = response.get("body") or ""
    return response["statusCode"], json.loads(body) if body else None


def test_committed_samples_are_the_generator_output():
    expected = make_events.build()
    assert sorted(p.stem for p in EVENTS_DIR.glob("*.json")) == sorted([*expected, "env"])
    for name, event in expected.items():
        assert committed(name) == event, f"events/{name}.json is stale: run make_events.py"
    assert committed("env") == make_events.sam_env()
    assert committed("env")["Parameters"]["DISCORD_PUBLIC_KEY"] == make_events.DEV_PUBLIC_KEY


def test_fresh_ping_is_answered_with_pong(interactions):
    event = make_events.build(int(time.time()))["interactions-ping"]

    assert _reply(interactions(event, None)) == (200, {"type": 1})


def test_committed_samples_are_refused_as_stale(interactions):
    # Signed at 2026-01-01: more than 5 minutes ago, so the signature check refuses them.
    assert _reply(interactions(committed("interactions-ping"), None))[0] == 401
    assert _reply(interactions(committed("interactions-chat"), None))[0] == 401


def test_tampered_sample_is_refused(interactions):
    event = make_events.build(int(time.time()))["interactions-ping"]
    event["body"] = event["body"].replace('"type":1', '"type":2')

    assert _reply(interactions(event, None))[0] == 401


@pytest.fixture
def sqs(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client("sqs")
        urls = {}
        for kind, env_name in (("generate", "GENERATE_QUEUE_URL"), ("image", "IMAGE_QUEUE_URL")):
            urls[kind] = client.create_queue(QueueName=f"events-{kind}")["QueueUrl"]
            monkeypatch.setenv(env_name, urls[kind])
        monkeypatch.setenv("TRANSIT_PUBLIC_KEY", str(TRANSIT_KEY))
        serve_sqs(monkeypatch)  # the endpoint's signed SendMessage reaches these queues
        for reset in (queue.reset_client, endpoint.reset_default_endpoint):
            reset()

        def drain(kind: str) -> list[str]:
            reply = client.receive_message(QueueUrl=urls[kind], MaxNumberOfMessages=10)
            return [message["Body"] for message in reply.get("Messages", [])]

        yield drain
        for reset in (queue.reset_client, endpoint.reset_default_endpoint):
            reset()


@pytest.mark.parametrize(("sample", "kind"), [("chat", "generate"), ("imagine", "image")])
def test_commands_enqueue_exactly_the_sqs_sample(interactions, sqs, sample, kind):
    events = make_events.build(int(time.time()))

    assert _reply(interactions(events[f"interactions-{sample}"], None)) == (200, {"type": 5})

    # The same job, but for its sealed token: the function's is sealed to its transit key with a
    # random ephemeral key, the sample's to the sample key with a fixed one. Both open to the
    # interaction's token.
    (body,) = sqs(kind)
    sample_body = events[f"sqs-{kind}"]["Records"][0]["body"]
    enqueued, expected = Job.from_message(body), Job.from_message(sample_body)
    assert enqueued.model_dump(exclude={"token_sealed"}) == expected.model_dump(
        exclude={"token_sealed"}
    )
    token = json.loads(events[f"interactions-{sample}"]["body"])["token"]
    assert token not in body and token not in sample_body
    ids = {"interaction_id": enqueued.interaction_id, "user_id": enqueued.user_id}
    assert open_token(KEYS, enqueued.token_sealed, **ids) == token
    sample_keys = StaticKeys(
        {make_events.SAMPLE_TRANSIT_KEY.kid: make_events.SAMPLE_TRANSIT_PRIVATE_KEY}
    )
    assert open_token(sample_keys, expected.token_sealed, **ids) == token
    other = "image" if kind == "generate" else "generate"
    assert sqs(other) == []


@pytest.fixture
def worker_logs(monkeypatch):
    """The JSON log lines of the workers' loggers during the test."""
    stream = io.StringIO()
    get_logger("tzurot.worker")
    for handler in logging.getLogger("tzurot.worker").handlers:
        monkeypatch.setattr(handler, "stream", stream)
    return lambda: [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.mark.parametrize("kind", ["generate", "image"])
def test_worker_drops_the_committed_job_as_past_its_token(worker_logs, monkeypatch, kind):
    monkeypatch.delenv("DATABASE_URL", raising=False)  # the expired path must not need it
    event = committed(f"sqs-{kind}")
    interaction_id = json.loads(event["Records"][0]["body"])["interaction_id"]

    assert load_app(kind).handler(event, None) == {"batchItemFailures": []}

    (dropped,) = [log for log in worker_logs() if log["message"].startswith("job dropped")]
    assert dropped["message"] == "job dropped: older than the 15-minute interaction token"
    assert dropped["correlation_id"] == interaction_id
    assert dropped["function_name"] == kind


def test_interactions_log_lines_carry_the_interaction_id(interactions, monkeypatch):
    stream = io.StringIO()
    get_logger("interactions")
    for handler in logging.getLogger("interactions").handlers:
        monkeypatch.setattr(handler, "stream", stream)
    # No transit key configured: sealing the job's token fails and is logged.
    monkeypatch.delenv("TRANSIT_PUBLIC_KEY", raising=False)
    event = make_events.build(int(time.time()))["interactions-chat"]
    interaction_id = json.loads(event["body"])["id"]

    status, reply = _reply(interactions(event, None))

    assert (status, reply["type"]) == (200, 4)
    (line,) = [json.loads(text) for text in stream.getvalue().splitlines()]
    assert (line["message"], line["error"]) == (
        "could not seal interaction token",
        "TRANSIT_PUBLIC_KEY is not set",
    )
    assert (line["correlation_id"], line["function_name"]) == (interaction_id, "interactions")


def test_fresh_copies_are_written_and_a_bad_folder_is_one_line(tmp_path, capsys):
    target = tmp_path / "fresh" / "events"

    assert make_events.main(["--fresh", str(target)]) == 0

    assert sorted(p.name for p in target.iterdir()) == sorted(
        p.name for p in EVENTS_DIR.glob("*.json")
    )
    ping = json.loads((target / "interactions-ping.json").read_text())
    assert abs(int(ping["headers"]["x-signature-timestamp"]) - time.time()) < 60
    capsys.readouterr()
    blocker = tmp_path / "a-file"
    blocker.write_text("")

    with pytest.raises(SystemExit) as exited:
        make_events.main(["--fresh", str(blocker / "events")])

    assert exited.value.code == 1
    assert capsys.readouterr().err == (
        f"make_events.py: error: cannot write to {blocker / 'events'}: Not a directory\n"
    )


def test_fresh_jobs_can_be_sealed_to_a_real_transit_key(tmp_path, capsys):
    assert (
        make_events.main(["--fresh", str(tmp_path), "--transit-public-key", str(TRANSIT_KEY)]) == 0
    )
    event = json.loads((tmp_path / "sqs-generate.json").read_text())
    job = Job.from_message(event["Records"][0]["body"])
    token = open_token(
        KEYS, job.token_sealed, interaction_id=job.interaction_id, user_id=job.user_id
    )
    assert token == f"sample-interaction-token-{job.interaction_id}"
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        make_events.main(["--fresh", str(tmp_path), "--transit-public-key", "nonsense"])
    assert exited.value.code == 1
    assert capsys.readouterr().err == (
        "make_events.py: error: TRANSIT_PUBLIC_KEY must look like <key id>:<base64 key>\n"
    )
