"""tzurot.crypto.kms: the workers' and the operator's KMS client, and the one translation of KMS
failures (what a GenerateDataKey or Decrypt of a master or transit key reports)."""

from __future__ import annotations

import pytest
from botocore.stub import Stubber

from tzurot.crypto.errors import KmsUnavailable, TransitDecryptionFailed
from tzurot.crypto.kms import decrypt, generate_data_key, kms_client

SECRET = "sk-proj-" + "Ab3" * 30
CONTEXT = {"purpose": "tzurot-transit-key", "key_id": "t1"}
CHECK_KEY = "check the KMS key id, that the key is enabled, and the KMS permissions"


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
        generate_data_key(dead, "alias/x", CONTEXT, action="generate a transit key")
    assert str(info.value) == (
        "KMS could not generate a transit key (EndpointConnectionError); try again later"
    )
    assert info.value.retryable is True
    refused = TransitDecryptionFailed("refused")
    with pytest.raises(KmsUnavailable) as info:
        decrypt(dead, b"x" * 40, CONTEXT, key_id=None, action="unwrap it", refused=refused)
    assert str(info.value) == "KMS could not unwrap it (EndpointConnectionError); try again later"


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
        stub.add_client_error("generate_data_key", service_error_code=code, service_message=SECRET)
        with pytest.raises(KmsUnavailable) as info:
            generate_data_key(client, "alias/k", CONTEXT, action="generate a transit key")
    assert str(info.value) == f"KMS could not generate a transit key ({code}){advice}"
    assert info.value.retryable is True


@pytest.mark.parametrize("code", ["InvalidCiphertextException", "IncorrectKeyException"])
def test_ciphertext_errors_are_the_callers_refusal(code):
    client = kms_client(region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    refused = TransitDecryptionFailed("KMS will not unwrap transit key t1")
    with Stubber(client) as stub:
        stub.add_client_error("decrypt", service_error_code=code, service_message=SECRET)
        with pytest.raises(TransitDecryptionFailed) as info:
            decrypt(client, b"x" * 40, CONTEXT, key_id=None, action="unwrap", refused=refused)
    assert info.value is refused


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
