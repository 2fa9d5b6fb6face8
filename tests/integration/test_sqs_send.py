"""SendMessage without a botocore client (tzurot.jobs.sqs_send): the request is the one
botocore's own serialiser builds, moto (server mode on loopback) delivers it and, with its
signature checks on, accepts the signature; SQS's errors become a code, retried only when
transient; the endpoint, region and credentials come from where botocore would take them."""

from __future__ import annotations

import contextlib
import json

import boto3
import botocore.session
import httpx
import pytest
from botocore.awsrequest import AWSResponse
from moto import mock_aws

from tests.fakes.sqs import ScriptedSqs, serve_sqs
from tzurot.discord import aws_config
from tzurot.jobs import sqs_send
from tzurot.jobs.queue import JobQueue, QueueUnavailable
from tzurot.jobs.sqs_send import NotConfigured, SqsRefused, SqsSender, SqsUnreachable

REGION = "us-east-1"
QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/generate"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.fixture
def aws_env(monkeypatch, tmp_path):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_DEFAULT_REGION": REGION,
        # Nothing from the machine's own AWS setup.
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
    }.items():
        monkeypatch.setenv(name, value)
    for name in (
        "AWS_SESSION_TOKEN",
        "AWS_REGION",
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_SQS",
    ):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


class _Job:
    queue = "generate"

    def __init__(self, body: str = '{"version": 3}'):
        self.body = body

    def to_message(self) -> str:
        return self.body


def botocore_request(**params) -> object:
    """The SendMessage request botocore's own client builds for `params` (caught before it is
    sent: a `before-send` handler answers in its place)."""
    captured = []

    def catch(request, **_):
        captured.append(request)
        return AWSResponse(request.url, 200, {}, None)

    client = botocore.session.get_session().create_client("sqs")
    client.meta.events.register("before-send.sqs.SendMessage", catch)
    # The stand-in answer has no body to parse; the request is what counts.
    with contextlib.suppress(Exception):
        client.send_message(**params)
    (request,) = captured
    return request


def _authorization(request) -> dict[str, str]:
    """Credential scope and signed headers of a SigV4 Authorization header."""
    value = request.headers["Authorization"]
    value = value.decode() if isinstance(value, bytes) else value
    algorithm, rest = value.split(" ", 1)
    parts = dict(part.strip().split("=", 1) for part in rest.split(","))
    return {"algorithm": algorithm, **parts}


def _header(request, name: str) -> str:
    value = request.headers[name]
    return value.decode() if isinstance(value, bytes) else value


PARAMS = [
    {"QueueUrl": QUEUE_URL, "MessageBody": '{"version":3,"command":"chat","é":"\\u2603"}'},
    {"QueueUrl": QUEUE_URL, "MessageBody": "spooled", "DelaySeconds": 900},
]


@pytest.mark.parametrize("params", PARAMS)
@pytest.mark.parametrize(
    "override",
    [
        None,
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"),
        ("AWS_ENDPOINT_URL_SQS", "http://localhost:9324/"),
    ],
)
def test_the_request_is_the_one_botocores_serialiser_builds(aws_env, monkeypatch, params, override):
    monkeypatch.setenv("AWS_SESSION_TOKEN", "session-token-from-lambda")
    if override:
        monkeypatch.setenv(*override)
    ours = SqsSender().request(params)
    theirs = botocore_request(**params)
    assert (ours.method, ours.url) == (theirs.method, theirs.url)
    assert ours.body == theirs.body  # the same bytes, not only the same JSON
    for name in ("X-Amz-Target", "Content-Type", "x-amzn-query-mode", "X-Amz-Security-Token"):
        assert _header(ours, name) == _header(theirs, name)
    assert _header(ours, "X-Amz-Target") == "AmazonSQS.SendMessage"
    assert _header(ours, "Content-Type") == "application/x-amz-json-1.0"
    mine, boto = _authorization(ours), _authorization(theirs)
    assert mine["algorithm"] == boto["algorithm"] == "AWS4-HMAC-SHA256"
    assert mine["Credential"] == boto["Credential"]  # key id, date, region, service
    assert mine["Credential"].endswith(f"/{REGION}/sqs/aws4_request")
    # Every header we sign, botocore signs too (it adds its own SDK bookkeeping headers).
    assert set(mine["SignedHeaders"].split(";")) <= set(boto["SignedHeaders"].split(";"))
    assert {"host", "x-amz-date", "x-amz-target", "x-amz-security-token"} <= set(
        mine["SignedHeaders"].split(";")
    )


def test_the_endpoint_is_the_sqs_override_then_the_global_one_then_the_region():
    assert sqs_send.endpoint_url("eu-west-2", {}) == "https://sqs.eu-west-2.amazonaws.com/"
    env = {"AWS_ENDPOINT_URL": "http://127.0.0.1:4566"}
    assert sqs_send.endpoint_url("eu-west-2", env) == "http://127.0.0.1:4566/"
    env["AWS_ENDPOINT_URL_SQS"] = "http://127.0.0.1:9324/"
    assert sqs_send.endpoint_url("eu-west-2", env) == "http://127.0.0.1:9324/"


@mock_aws
def test_a_job_reaches_moto_exactly_and_a_delay_is_honoured(aws_env, monkeypatch):
    serve_sqs(monkeypatch)
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="generate")["QueueUrl"]
    queue = JobQueue({"generate": url})
    body = json.dumps({"version": 3, "message": "hi ☃", "padding": "x" * 900})
    message_id = queue.send(_Job(body))
    (received,) = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert (received["MessageId"], received["Body"]) == (message_id, body)
    queue.send(_Job("later"), delay_seconds=30)
    assert sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages") is None
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessagesDelayed"] == "1"


@mock_aws
def test_moto_checking_signatures_accepts_ours_and_refuses_a_wrong_secret(aws_env, monkeypatch):
    """moto rebuilds the signature from what arrived on the wire and compares."""
    server = serve_sqs(monkeypatch)
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="signed")["QueueUrl"]
    iam = boto3.client("iam")
    iam.create_user(UserName="interactions")
    policy = {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}
    iam.put_user_policy(
        UserName="interactions",
        PolicyName="send",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [policy]}),
    )
    key = iam.create_access_key(UserName="interactions")["AccessKey"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    httpx.post(f"{server}/moto-api/reset-auth", content=b"0").raise_for_status()  # checks on
    try:
        accepted = SqsSender().send_message(QueueUrl=url, MessageBody="signed")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
        with pytest.raises(SqsRefused) as refused:
            SqsSender().send_message(QueueUrl=url, MessageBody="forged")
    finally:
        httpx.post(f"{server}/moto-api/reset-auth", content=b"inf").raise_for_status()
    assert refused.value.status == 403
    assert SECRET not in str(refused.value) and "forged" not in str(refused.value)
    bodies = [m["Body"] for m in sqs.receive_message(QueueUrl=url).get("Messages", [])]
    assert bodies == ["signed"] and accepted["MessageId"]


def test_a_4xx_is_not_retried_and_names_its_code_only(aws_env, monkeypatch):
    with ScriptedSqs() as fake:
        monkeypatch.setenv("AWS_ENDPOINT_URL", fake.url)
        fake.error(400, "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue")
        with pytest.raises(QueueUnavailable) as caught:
            JobQueue({"generate": QUEUE_URL}).send(_Job('{"token": "not-for-logs"}'))
        assert str(caught.value) == (
            "could not enqueue generate job: AWS.SimpleQueueService.NonExistentQueue"
        )
        assert len(fake.requests) == 1
        fake.error(400, "InvalidParameterValue")  # no query-compatible header: the __type
        with pytest.raises(SqsRefused) as refused:
            SqsSender().send_message(QueueUrl=QUEUE_URL, MessageBody="x")
        assert (refused.value.reason, refused.value.status) == ("InvalidParameterValue", 400)
        assert len(fake.requests) == 2


@pytest.mark.parametrize(
    ("first", "args"),
    [
        ("error", (500, "InternalError")),
        ("error", (503, "ServiceUnavailable")),
        ("error", (400, "RequestThrottled", "RequestThrottled")),
        ("answer", (502, b"<html>bad gateway</html>", "text/html")),
    ],
)
def test_a_transient_failure_is_retried_once_and_the_retry_sends(aws_env, monkeypatch, first, args):
    with ScriptedSqs() as fake:
        monkeypatch.setenv("AWS_ENDPOINT_URL", fake.url)
        getattr(fake, first)(*args)
        assert JobQueue({"generate": QUEUE_URL}).send(_Job("retried")) == "m-1"
        assert [json.loads(body)["MessageBody"] for _, body in fake.requests] == ["retried"] * 2
        # Signed afresh for the retry (the signature carries the time; here, at least, valid).
        assert all(
            headers["authorization"].startswith("AWS4-HMAC-SHA256 ") for headers, _ in fake.requests
        )


def test_two_transient_failures_give_up_with_the_last_code(aws_env, monkeypatch):
    with ScriptedSqs() as fake:
        monkeypatch.setenv("AWS_ENDPOINT_URL", fake.url)
        fake.error(500, "InternalError")
        fake.answer(500, b"")
        with pytest.raises(QueueUnavailable, match=r"^could not enqueue generate job: 500$"):
            JobQueue({"generate": QUEUE_URL}).send(_Job())
        assert len(fake.requests) == 2


def test_an_answer_without_a_message_id_is_a_refusal(aws_env, monkeypatch):
    with ScriptedSqs() as fake:
        monkeypatch.setenv("AWS_ENDPOINT_URL", fake.url)
        fake.answer(200, b"<SendMessageResponse/>", "text/xml")
        with pytest.raises(SqsRefused) as refused:
            SqsSender().send_message(QueueUrl=QUEUE_URL, MessageBody="x")
        assert refused.value.reason == "UnreadableAnswer"


def test_connection_refused_is_unreachable_after_one_retry(aws_env, monkeypatch):
    import socket

    with socket.create_server(("127.0.0.1", 0)) as closed:
        port = closed.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    with pytest.raises(SqsUnreachable) as caught:
        SqsSender().send_message(QueueUrl=QUEUE_URL, MessageBody="x")
    assert caught.value.reason == "EndpointConnectionError"


def test_region_and_credentials_missing_from_the_environment_come_from_the_profile(
    aws_env, monkeypatch
):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name)
    (aws_env / "config").write_text("[profile dev]\nregion = eu-west-1\n")
    (aws_env / "credentials").write_text(
        f"[dev]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = {SECRET}\n"
    )
    monkeypatch.setenv("AWS_PROFILE", "dev")
    request = SqsSender().request({"QueueUrl": QUEUE_URL, "MessageBody": "x"})
    assert request.url == "https://sqs.eu-west-1.amazonaws.com/"
    assert _authorization(request)["Credential"].startswith("AKIDPROFILE/")
    assert _authorization(request)["Credential"].endswith("/eu-west-1/sqs/aws4_request")


@pytest.mark.parametrize(
    ("missing", "profile", "reason"),
    [
        (("AWS_DEFAULT_REGION",), None, "NoRegionError"),
        (("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"), None, "NoCredentialsError"),
        (("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"), "not-there", "ProfileNotFound"),
    ],
)
def test_no_region_or_no_credentials_anywhere_is_not_configured(
    aws_env, monkeypatch, missing, profile, reason
):
    for name in missing:
        monkeypatch.delenv(name)
    if profile:
        monkeypatch.setenv("AWS_PROFILE", profile)
    with pytest.raises(NotConfigured) as caught:
        SqsSender().send_message(QueueUrl=QUEUE_URL, MessageBody="x")
    assert caught.value.reason == reason
    with pytest.raises(QueueUnavailable, match=f"^could not enqueue generate job: {reason}$"):
        JobQueue({"generate": QUEUE_URL}).send(_Job())


def test_what_is_retried_is_what_botocores_standard_retry_mode_retries():
    """Read from botocore's own checkers (private lists: this test notices when they move)."""
    from botocore.retries import standard

    transient = standard.TransientRetryableChecker
    throttled = standard.ThrottledRetryableChecker
    status = standard.ThrottlingStatusCodeChecker
    assert {
        *transient._TRANSIENT_ERROR_CODES,
        *throttled._THROTTLED_ERROR_CODES,
    } == sqs_send.RETRYABLE_CODES
    assert {
        *transient._TRANSIENT_STATUS_CODES,
        *status._THROTTLING_STATUS_CODES,
    } == sqs_send.RETRYABLE_STATUS


def test_a_stall_in_the_middle_of_the_answer_is_unreachable_after_one_retry(aws_env, monkeypatch):
    """SQS sends its headers and part of the body, then nothing: the read timeout ends it."""
    import socket
    import threading

    server = socket.create_server(("127.0.0.1", 0))
    held, accepted = [], []

    def half_answer():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            accepted.append(conn.recv(65536))
            head = b"HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\n"
            conn.sendall(head + b'Content-Length: 100\r\n\r\n{"MessageId"')
            held.append(conn)

    threading.Thread(target=half_answer, daemon=True).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{server.getsockname()[1]}")
    monkeypatch.setattr(aws_config, "READ_TIMEOUT_SECONDS", 0.2)
    try:
        with pytest.raises(QueueUnavailable) as caught:
            JobQueue({"generate": QUEUE_URL}).send(_Job())
    finally:
        server.close()
        for conn in held:
            conn.close()
    assert str(caught.value) == "could not enqueue generate job: ReadTimeoutError"
    assert len(accepted) == 2
