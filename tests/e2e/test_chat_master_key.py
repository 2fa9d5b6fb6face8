"""The app master key through the real generate handler: a cold container unwraps it with one KMS
Decrypt (and the transit private key with another), warm invocations make no
KMS call at all, and a failing master-key unwrap loses no job (SQS delivers it again; the last
receive answers the user). A KMS outage before the worker could open the job's interaction token
cannot be answered at all: the token is the only way to reply."""

from __future__ import annotations

import base64
import json

import pytest
from botocore.exceptions import EndpointConnectionError

from tests.e2e.chat_stack import KEYS
from tzurot.crypto import kms as kms_module
from tzurot.crypto import transit_keys
from tzurot.crypto.master_key import WRAP_CONTEXT, forget_unwrapped_keys
from tzurot.crypto.transit_keys import PURPOSE as TOKEN_PURPOSE

MASTER = WRAP_CONTEXT["purpose"]

TEMPORARY = (
    "I can't answer right now: a service I depend on is having trouble. Please try again "
    "in a little while."
)


class WorkerKms:
    """What the worker container's keyring gets as its KMS client: the real (moto) one, its
    calls counted, able to play an outage (Decrypt fails to connect, as botocore does when KMS
    cannot be reached): `down` is "all", or the one encryption-context purpose whose Decrypts
    fail (KMS throttling or dropping that call), or None."""

    def __init__(self):
        self.down: str | None = None
        self.calls: list[str] = []
        self.purposes: list[str] = []  # of the Decrypts that reached KMS
        self.clients = 0

    def make(self, **kwargs):
        self.clients += 1
        self.client = real_kms_client(**kwargs)
        self.client.meta.events.register(
            "before-call.kms", lambda event_name, **_: self.calls.append(event_name.split(".")[-1])
        )
        return self

    def decrypt(self, **params):
        purpose = params["EncryptionContext"]["purpose"]
        if self.down in ("all", purpose):
            self.calls.append("Decrypt (unreachable)")
            raise EndpointConnectionError(endpoint_url="https://kms.us-east-1.amazonaws.com/")
        self.purposes.append(purpose)
        return self.client.decrypt(**params)


real_kms_client = kms_module.kms_client


@pytest.fixture
def worker_kms(chat, monkeypatch) -> WorkerKms:
    """A cold worker container: nothing unwrapped yet, its KMS client made through here."""
    kms = WorkerKms()
    monkeypatch.setattr(kms_module, "kms_client", kms.make)
    chat.store_key("openai")  # through the test's own keyring, before the container starts
    forget_unwrapped_keys()
    transit_keys.forget_unwrapped_keys()
    return kms


def answer(chat, payload) -> str:
    (call,) = chat.calls(payload["token"])
    assert call.line.startswith("PATCH /webhooks/") and call.status == 200
    return call.json.get("content") or call.json["embeds"][0]["description"]


def test_warm_invocations_make_no_kms_call(chat, worker_kms):
    fake = chat.provider("openai")
    for number in range(3):
        fake.queue_reply(text=f"Answer {number}.")
    first, result = chat.chat("ada", "hello")
    assert result == {"batchItemFailures": []}
    assert answer(chat, first) == "Answer 0."
    # The cold job unwraps the transit private key and the master key, once each.
    assert worker_kms.calls == ["Decrypt", "Decrypt"]
    assert worker_kms.purposes == [TOKEN_PURPOSE, MASTER]

    for number in (1, 2):  # warm invocations of the same container
        payload, result = chat.chat("ada", f"hello {number}")
        assert result == {"batchItemFailures": []}
        assert answer(chat, payload) == f"Answer {number}."
    assert worker_kms.calls == ["Decrypt", "Decrypt"]
    assert worker_kms.clients == 1  # made on first need, kept for the container's life
    # The provider got the user's own key each time.
    assert [r.headers["authorization"] for r in fake.requests] == [f"Bearer {KEYS['openai']}"] * 3


def test_kms_outage_retries_through_sqs_and_the_job_is_answered_later(chat, worker_kms, caplog):
    chat.provider("openai").queue_reply(text="Back again.", tokens_in=5, tokens_out=2)
    payload = chat.interact("ada", "hello")
    worker_kms.down = MASTER
    first = chat.receive()
    assert chat.deliver(first) == {"batchItemFailures": [{"itemIdentifier": first[0]["MessageId"]}]}
    assert chat.calls(payload["token"]) == []  # nothing shown while a retry is coming
    assert chat.provider("openai").requests == []
    assert chat.status(payload["id"]) == ("processing", 1)
    assert chat.usage_rows() == []

    worker_kms.down = None
    assert chat.deliver() == {"batchItemFailures": []}
    assert answer(chat, payload) == "Back again."
    assert chat.status(payload["id"]) == ("done", 2)
    assert [row[4:7] for row in chat.usage_rows()] == [(5, 2, 7)]
    # The transit key unwrapped on the first receive stays cached for the second.
    assert worker_kms.calls == ["Decrypt", "Decrypt (unreachable)", "Decrypt"]
    assert worker_kms.purposes == [TOKEN_PURPOSE, MASTER]
    assert_no_key_material_logged(chat, caplog, "retryable failure")


def test_kms_down_on_every_receive_tells_the_user_on_the_last(chat, worker_kms, caplog):
    worker_kms.down = MASTER
    payload = chat.interact("ada", "hello")
    for receive in (1, 2):
        messages = chat.receive()
        assert chat.deliver(messages)["batchItemFailures"] == [
            {"itemIdentifier": messages[0]["MessageId"]}
        ]
        assert chat.status(payload["id"]) == ("processing", receive)
    assert chat.deliver() == {"batchItemFailures": []}  # the last receive (max 3) answers
    reference = chat.db.execute(
        "SELECT reference FROM processed_interactions WHERE interaction_id = %s", (payload["id"],)
    ).fetchone()[0]
    assert answer(chat, payload) == f"{TEMPORARY}\n||ref: {reference}||"
    assert chat.status(payload["id"]) == ("failed", 3)
    assert chat.provider("openai").requests == []
    assert chat.usage_rows() == []
    assert_no_key_material_logged(chat, caplog, "chat failed")


def test_a_cold_worker_cannot_answer_through_a_whole_kms_outage(chat, worker_kms, caplog):
    """Without KMS a worker cannot unwrap a transit key it has not seen: every receive fails (no
    claim, no provider call, nothing sent), and the job ends in the DLQ, said so in the log."""
    worker_kms.down = "all"
    payload = chat.interact("ada", "hello")
    for receive in (1, 2, 3):
        messages = chat.receive()
        assert messages[0]["Attributes"]["ApproximateReceiveCount"] == str(receive)
        assert chat.deliver(messages) == {
            "batchItemFailures": [{"itemIdentifier": messages[0]["MessageId"]}]
        }
    assert chat.calls(payload["token"]) == []
    assert chat.status(payload["id"]) is None
    assert chat.provider("openai").requests == []
    assert worker_kms.calls == ["Decrypt (unreachable)"] * 3
    from tzurot.logs import RedactingFormatter

    lines = [json.loads(RedactingFormatter().format(r)) for r in caplog.records]
    opened = [(line["level"], line["message"]) for line in lines if "token" in line["message"]]
    assert opened == [
        ("WARNING", "could not open the job's interaction token; SQS will deliver it again"),
        ("WARNING", "could not open the job's interaction token; SQS will deliver it again"),
        ("ERROR", "could not open the job's interaction token; the user cannot be answered"),
    ]
    assert {line["error"] for line in lines if "token" in line["message"]} == {
        f"KMS could not unwrap transit key {transit_keys.current_key(chat.db).kid} "
        "(EndpointConnectionError); "
        "try again later"
    }
    for record in caplog.records:
        assert payload["token"] not in json.dumps({k: str(v) for k, v in vars(record).items()})


def test_a_warm_worker_answers_through_a_kms_outage(chat, worker_kms):
    """Both keys cached: a job from an interactions container the worker has heard from needs
    no KMS call at all."""
    fake = chat.provider("openai")
    fake.queue_reply(text="Before.")
    fake.queue_reply(text="During.")
    first, _ = chat.chat("ada", "hello")
    worker_kms.down = "all"
    second, result = chat.chat("ada", "again")
    assert result == {"batchItemFailures": []}
    assert (answer(chat, first), answer(chat, second)) == ("Before.", "During.")
    assert worker_kms.calls == ["Decrypt", "Decrypt"]


def assert_no_key_material_logged(chat, caplog, expected: str) -> None:
    from tzurot.logs import RedactingFormatter

    formatter = RedactingFormatter()
    text = "\n".join(formatter.format(record) for record in caplog.records)
    assert expected in text
    assert "MasterKeyUnavailable" in text
    wrapped = chat.db.execute("SELECT wrapped_key FROM app_master_keys").fetchone()[0]
    master = chat.kms.decrypt(CiphertextBlob=bytes(wrapped), EncryptionContext=WRAP_CONTEXT)[
        "Plaintext"
    ]
    for secret in (KEYS["openai"], master.hex(), base64.b64encode(master).decode()):
        assert secret not in text
    for record in caplog.records:  # the records themselves, before any formatter
        assert KEYS["openai"] not in json.dumps({k: str(v) for k, v in vars(record).items()})
