"""The Lambda handler end to end against moto's SQS: exact job bodies on the right queue, the
interaction token and the /wallet set key sealed to the transit public key (never plaintext in
SQS or logs; no KMS call: the KMS endpoint is a dead port here), nothing enqueued on refusal."""

from __future__ import annotations

import base64
import importlib.util
import json

import boto3
import pytest
from moto import mock_aws

from tests.fakes.interactions import DM, GUILD, PUBLIC_KEY, command, modal_submit, signed
from tests.fakes.sqs import serve_sqs
from tests.fakes.transit import KEYS
from tests.fakes.transit import PUBLIC_KEY as TRANSIT_KEY
from tzurot.crypto.errors import JobTokenInvalid, TransitDecryptionFailed
from tzurot.crypto.transit import open_modal_secret, open_token
from tzurot.discord import endpoint
from tzurot.discord.endpoint import MAX_BODY_BYTES
from tzurot.discord.interaction import Interaction
from tzurot.jobs import queue
from tzurot.jobs.model import Job

APP = importlib.util.spec_from_file_location(
    "interactions_app", endpoint.__file__.split("layers/")[0] + "functions/interactions/app.py"
)
app = importlib.util.module_from_spec(APP)
APP.loader.exec_module(app)

KEY = "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789"


class Aws:
    def __init__(self):
        self.sqs = boto3.client("sqs")
        self.urls = {k: self.sqs.create_queue(QueueName=f"t-{k}")["QueueUrl"] for k in ("g", "i")}

    def drain(self, kind: str) -> list[str]:
        reply = self.sqs.receive_message(QueueUrl=self.urls[kind], MaxNumberOfMessages=10)
        return [message["Body"] for message in reply.get("Messages", [])]


@pytest.fixture
def aws(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    # Any KMS call would fail: the interactions function has no business with KMS.
    monkeypatch.setenv("AWS_ENDPOINT_URL_KMS", "http://127.0.0.1:9")
    monkeypatch.setenv("KMS_KEY_ID", "arn:aws:kms:us-east-1:123456789012:key/not-for-this-function")
    with mock_aws():
        env = Aws()
        monkeypatch.setenv("DISCORD_PUBLIC_KEY", PUBLIC_KEY)
        monkeypatch.setenv("GENERATE_QUEUE_URL", env.urls["g"])
        monkeypatch.setenv("IMAGE_QUEUE_URL", env.urls["i"])
        monkeypatch.setenv("TRANSIT_PUBLIC_KEY", str(TRANSIT_KEY))
        serve_sqs(monkeypatch)  # the endpoint's signed SendMessage reaches these queues
        for reset in (queue.reset_client, endpoint.reset_default_endpoint):
            reset()
        yield env
        for reset in (queue.reset_client, endpoint.reset_default_endpoint):
            reset()


def invoke(payload: dict | bytes, headers: dict | None = None, *, b64: bool = False) -> dict:
    signed_headers, body = signed(payload)
    event = {
        "version": "2.0",
        "headers": {k.lower(): v for k, v in (headers or signed_headers).items()},
        "requestContext": {"http": {"method": "POST"}},
        "body": base64.b64encode(body).decode() if b64 else body.decode(),
        "isBase64Encoded": b64,
    }
    return app.handler(event, None)


def test_chat_job_lands_on_the_generate_queue_exactly(aws):
    payload = command("chat", "personality=lilith", "message=hi there")
    result = invoke(payload, b64=True)
    assert (result["statusCode"], json.loads(result["body"])) == (200, {"type": 5})
    bodies = aws.drain("g")
    assert len(bodies) == 1
    assert payload["token"] not in bodies[0] and payload["token"][-12:] not in bodies[0]
    job = json.loads(bodies[0])
    sealed = job.pop("token_sealed")
    assert set(sealed) == {"kid", "box"} and sealed["kid"] == TRANSIT_KEY.kid
    parsed = Job.from_message(bodies[0])
    opened = open_token(
        KEYS, parsed.token_sealed, interaction_id=payload["id"], user_id=GUILD.user_id
    )
    assert opened == payload["token"]
    created = Interaction.model_validate(payload).created_at
    assert job == {
        "version": 3,
        "queue": "generate",
        "source": "command",
        "interaction_id": payload["id"],
        "application_id": payload["application_id"],
        "user_id": GUILD.user_id,
        "username": "dev-user",
        "guild_id": GUILD.guild_id,
        "channel_id": GUILD.channel_id,
        "locale": "en-US",
        "command": "chat",
        "options": {"personality": "lilith", "message": "hi there"},
        "ephemeral": False,
        "attachment_size_limit": 10485760,
        "created_at": created.isoformat().replace("+00:00", "Z"),
    }
    assert aws.drain("i") == []


def test_no_token_reaches_sqs_and_a_sealed_token_opens_only_for_its_interaction(aws):
    """Every command's body is free of its token; a sealed token moved to another interaction
    (or user) does not open."""
    payloads = [
        command("chat", "personality=lilith", "message=hi"),
        command("imagine", "prompt=a lighthouse"),
        command("wallet", "list"),
        command("config", "show", who=DM),
        command("timezone", "set", "zone=Europe/London"),
        command("usage"),
        command("help"),
        modal_submit("wallet-set:openai", api_key=KEY),
        modal_submit("config-advanced:lilith", advanced_parameters='{"topK": 40}'),
    ]
    for payload in payloads:
        assert invoke(payload)["statusCode"] == 200
    bodies = aws.drain("g") + aws.drain("i")
    assert len(bodies) == len(payloads)
    jobs = {job.interaction_id: job for job in map(Job.from_message, bodies)}
    for payload in payloads:
        body = next(b for b in bodies if payload["id"] in b)
        assert payload["token"] not in body and payload["token"][-12:] not in body
        job = jobs[payload["id"]]
        assert (
            open_token(KEYS, job.token_sealed, interaction_id=payload["id"], user_id=job.user_id)
            == payload["token"]
        )
    first = jobs[payloads[0]["id"]]
    with pytest.raises(JobTokenInvalid) as info:
        open_token(
            KEYS, first.token_sealed, interaction_id=payloads[1]["id"], user_id=first.user_id
        )
    assert str(info.value) == "the sealed interaction-token was made for another interaction_id"
    with pytest.raises(JobTokenInvalid, match="another user_id"):
        open_token(KEYS, first.token_sealed, interaction_id=first.interaction_id, user_id="1")


def test_imagine_job_lands_on_the_image_queue(aws):
    payload = command("imagine", "prompt=a lighthouse", "size=1024x1792", who=DM)
    assert json.loads(invoke(payload)["body"]) == {"type": 5}
    (body,) = aws.drain("i")
    job = Job.from_message(body)
    assert (job.queue, job.command, job.options, job.guild_id) == (
        "image",
        "imagine",
        {"prompt": "a lighthouse", "size": "1024x1792"},
        None,
    )
    assert aws.drain("g") == []


def test_wallet_key_travels_sealed_and_opens_only_in_its_context(aws):
    payload = modal_submit("wallet-set:anthropic", api_key=KEY)
    result = invoke(payload)
    assert json.loads(result["body"]) == {"type": 5, "data": {"flags": 64}}
    (body,) = aws.drain("g")
    assert KEY not in body and KEY[-20:] not in body
    job = Job.from_message(body)
    assert (job.command, job.subcommand, job.options) == (
        "wallet",
        "set",
        {"provider": "anthropic"},
    )
    context = {"user_id": GUILD.user_id, "provider": "anthropic", "interaction_id": payload["id"]}
    assert open_modal_secret(KEYS, job.sealed_key, **context) == KEY
    for wrong in (
        {"user_id": "999"},
        {"provider": "openai"},
        {"interaction_id": str(int(payload["id"]) + 1)},
    ):
        with pytest.raises(TransitDecryptionFailed):
            open_modal_secret(KEYS, job.sealed_key, **(context | wrong))


def test_a_missing_transit_key_is_polite_and_logs_no_secret(aws, monkeypatch, caplog):
    monkeypatch.delenv("TRANSIT_PUBLIC_KEY")
    payload = modal_submit("wallet-set:openai", api_key=KEY)
    answer = json.loads(invoke(payload)["body"])
    assert answer["type"] == 4 and answer["data"]["flags"] == 64
    assert answer["data"]["content"] == endpoint.TRY_AGAIN
    assert aws.drain("g") == []
    (record,) = [r for r in caplog.records if r.name == "interactions"]
    assert (record.getMessage(), record.error) == (
        "could not seal wallet key",
        "TRANSIT_PUBLIC_KEY is not set",
    )
    # Checked before redaction: the record itself never held the key or the token.
    everything = json.dumps({k: str(v) for k, v in vars(record).items()})
    for secret in (KEY, payload["token"]):
        assert secret not in everything


def test_nothing_is_enqueued_on_401_400_413(aws):
    chat = command("chat", "personality=lilith", "message=hi")
    headers, _ = signed(chat)
    other = command("chat", "personality=lilith", "message=something else")
    assert invoke(other, headers)["statusCode"] == 401  # signature of another body
    assert invoke(b"{not json")["statusCode"] == 400
    assert invoke({**chat, "type": 42})["statusCode"] == 400
    assert invoke(b" " * (MAX_BODY_BYTES + 1))["statusCode"] == 413
    assert invoke(b" " * (MAX_BODY_BYTES + 1), b64=True)["statusCode"] == 413
    assert aws.drain("g") == [] and aws.drain("i") == []


def test_missing_queue_configuration_is_polite(aws, monkeypatch):
    monkeypatch.delenv("IMAGE_QUEUE_URL")
    endpoint.reset_default_endpoint()
    answer = json.loads(invoke(command("imagine", "prompt=x"))["body"])
    assert answer["data"]["content"] == endpoint.TRY_AGAIN
