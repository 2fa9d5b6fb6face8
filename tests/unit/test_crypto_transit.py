"""Modal secrets sealed with KMS Encrypt under a user/provider/interaction context (moto KMS)."""

from __future__ import annotations

import base64

import pytest
from botocore.stub import Stubber

from tests.fakes.kms import mock_kms
from tzurot.crypto.errors import InvalidSecret, KmsUnavailable, TransitDecryptionFailed
from tzurot.crypto.kms import kms_client
from tzurot.crypto.transit import (
    TRANSIT_CONTEXT_KEYS,
    open_modal_secret,
    seal_modal_secret,
    transit_context,
)

SECRET = "sk-proj-" + "Ab3" * 30
CONTEXT = {"user_id": "123456789012345678", "provider": "openai", "interaction_id": "987654321"}


@pytest.fixture
def kms(monkeypatch):
    with mock_kms(monkeypatch) as mock:
        yield mock


def test_round_trip_and_blob_is_base64_without_plaintext(kms):
    blob = seal_modal_secret(kms.client, kms.key_id, SECRET, **CONTEXT)
    assert isinstance(blob, str)
    raw = base64.b64decode(blob, validate=True)
    assert SECRET.encode() not in raw and SECRET not in blob
    assert open_modal_secret(kms.client, blob, **CONTEXT) == SECRET
    assert open_modal_secret(kms.client, blob, **CONTEXT, key_id=kms.key_id) == SECRET
    assert kms.calls == {"Encrypt": 1, "Decrypt": 2}


def test_unicode_secret_round_trips(kms):
    blob = seal_modal_secret(kms.client, kms.key_id, "clé-ü-🔑", **CONTEXT)
    assert open_modal_secret(kms.client, blob, **CONTEXT) == "clé-ü-🔑"


def test_context_keys_are_the_documented_contract():
    context = transit_context(**CONTEXT)
    assert tuple(context) == TRANSIT_CONTEXT_KEYS
    assert context == {"purpose": "tzurot-modal-secret", **CONTEXT}


@pytest.mark.parametrize(
    "tampered",
    [
        {"user_id": "123456789012345679"},
        {"provider": "anthropic"},
        {"interaction_id": "987654322"},
    ],
)
def test_other_context_fails(kms, tampered):
    blob = seal_modal_secret(kms.client, kms.key_id, SECRET, **CONTEXT)
    with pytest.raises(TransitDecryptionFailed) as info:
        open_modal_secret(kms.client, blob, **{**CONTEXT, **tampered})
    assert str(info.value) == "the sealed key does not open for this user, provider and interaction"
    assert info.value.retryable is False


def test_other_key_id_does_not_open(kms):
    blob = seal_modal_secret(kms.client, kms.key_id, SECRET, **CONTEXT)
    other = kms.new_key()
    # Real KMS answers IncorrectKeyException (mapped below); moto answers AccessDenied.
    with pytest.raises(KmsUnavailable, match="AccessDeniedException"):
        open_modal_secret(kms.client, blob, **CONTEXT, key_id=other)


@pytest.mark.parametrize("code", ["IncorrectKeyException", "InvalidCiphertextException"])
def test_ciphertext_error_codes_map_to_transit_failure(code):
    client = kms_client(region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        stub.add_client_error("decrypt", service_error_code=code, service_message=SECRET)
        with pytest.raises(TransitDecryptionFailed) as info:
            open_modal_secret(client, base64.b64encode(b"x" * 40).decode(), **CONTEXT)
    assert SECRET not in str(info.value)


@pytest.mark.parametrize(
    ("blob", "message"),
    [
        ("not base64!!", "the sealed key is not valid base64"),
        ("", "the sealed key is empty"),
    ],
)
def test_malformed_blob(kms, blob, message):
    with pytest.raises(TransitDecryptionFailed) as info:
        open_modal_secret(kms.client, blob, **CONTEXT)
    assert str(info.value) == message


def test_flipped_byte_fails(kms):
    raw = bytearray(base64.b64decode(seal_modal_secret(kms.client, kms.key_id, SECRET, **CONTEXT)))
    raw[-1] ^= 0x01
    with pytest.raises(TransitDecryptionFailed):
        open_modal_secret(kms.client, base64.b64encode(bytes(raw)).decode(), **CONTEXT)


@pytest.mark.parametrize(
    ("secret", "message"),
    [("", "the key is empty"), ("x" * 4097, "the key is too long (at most 4096 bytes)")],
)
def test_unsealable_secret(kms, secret, message):
    with pytest.raises(InvalidSecret) as info:
        seal_modal_secret(kms.client, kms.key_id, secret, **CONTEXT)
    assert str(info.value) == message
    assert kms.calls["Encrypt"] == 0


def test_missing_context_value_is_a_programming_error(kms):
    with pytest.raises(ValueError, match="interaction_id must be a non-empty string"):
        seal_modal_secret(kms.client, kms.key_id, SECRET, **{**CONTEXT, "interaction_id": ""})


def test_kms_outage_is_retryable_and_names_no_secret(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    # Nothing listens on port 9 of loopback: a connection failure, fast (no retries).
    import boto3
    from botocore.config import Config

    dead = boto3.client(
        "kms",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1),
    )
    with pytest.raises(KmsUnavailable) as info:
        seal_modal_secret(dead, "alias/x", SECRET, **CONTEXT)
    assert str(info.value) == (
        "KMS could not encrypt the submitted key (EndpointConnectionError); try again later"
    )
    assert info.value.retryable is True
    with pytest.raises(KmsUnavailable) as info:
        open_modal_secret(dead, base64.b64encode(b"x" * 40).decode(), **CONTEXT)
    assert SECRET not in str(info.value)


CHECK_KEY = "check the KMS key id, that the key is enabled, and the KMS permissions"


@pytest.mark.parametrize(
    ("code", "advice"),
    [
        ("AccessDeniedException", f": {CHECK_KEY}"),
        ("DisabledException", f": {CHECK_KEY}"),
        ("NotFoundException", f": {CHECK_KEY}"),
        ("ThrottlingException", "; try again later"),
        ("KMSInternalException", "; try again later"),
    ],
)
def test_refusals_are_kms_unavailable_without_the_service_message(code, advice):
    client = kms_client(region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        # The service message could quote anything; only the code may reach our error.
        stub.add_client_error("encrypt", service_error_code=code, service_message=SECRET)
        with pytest.raises(KmsUnavailable) as info:
            seal_modal_secret(client, "alias/k", SECRET, **CONTEXT)
    assert str(info.value) == f"KMS could not encrypt the submitted key ({code}){advice}"
    assert info.value.retryable is True


def test_kms_client_without_a_region_names_the_fix(monkeypatch, tmp_path):
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    with pytest.raises(KmsUnavailable) as info:
        kms_client()
    assert str(info.value) == (
        "no AWS region is set for KMS: set AWS_DEFAULT_REGION, or `region` in your AWS profile; "
        "boto3 ignores AWS_REGION"
    )
    # What the hint says is what botocore does: AWS_REGION alone is not enough, the other is.
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    with pytest.raises(KmsUnavailable):
        kms_client()
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    assert kms_client().meta.region_name == "eu-west-2"


def test_kms_client_honours_endpoint_env(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    client = kms_client()
    assert client.meta.endpoint_url == "http://127.0.0.1:4566"
    assert client.meta.region_name == "eu-west-1"
