"""Interaction tokens sealed for SQS (tzurot.crypto.job_token) against moto's KMS: one Encrypt
per interactions container, one Decrypt per distinct wrapped key per worker container (bounded
cache), the interaction id bound as associated data, and failures that name no secret."""

from __future__ import annotations

import base64
import json

import pytest
from botocore.exceptions import EndpointConnectionError
from botocore.stub import Stubber
from pydantic import ValidationError

from tests.fakes.kms import mock_kms
from tzurot.crypto import job_token
from tzurot.crypto.errors import InvalidSecret, JobTokenInvalid, KmsUnavailable
from tzurot.crypto.job_token import (
    CONTEXT,
    MAX_CACHED_KEYS,
    SealedToken,
    new_token_key,
    open_token,
    seal_token,
)
from tzurot.crypto.kms import kms_client

TOKEN = "aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzQ1Njc4OmFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6MDEyMzQ1"
INTERACTION = "1300000000000000001"


@pytest.fixture
def kms(monkeypatch):
    job_token.forget_token_keys()
    with mock_kms(monkeypatch) as mock:
        yield mock
    job_token.forget_token_keys()


def test_round_trip_one_encrypt_per_container_one_decrypt_per_worker(kms):
    key = new_token_key(kms.client, kms.key_id)
    assert kms.calls == {"Encrypt": 1}
    sealed = [seal_token(key, f"{TOKEN}{n}", interaction_id=f"{INTERACTION}{n}") for n in range(5)]
    assert kms.calls == {"Encrypt": 1}  # sealing is local once the container has its key
    assert len({s.nonce for s in sealed}) == 5
    assert {s.wrapped_key for s in sealed} == {key.wrapped}
    opened = [
        open_token(kms.client, s, interaction_id=f"{INTERACTION}{n}") for n, s in enumerate(sealed)
    ]
    assert opened == [f"{TOKEN}{n}" for n in range(5)]
    assert kms.calls == {"Encrypt": 1, "Decrypt": 1}  # cold once, warm after
    # The blob is KMS's, under the fixed purpose-only context.
    assert (
        kms.client.decrypt(CiphertextBlob=key.wrapped, EncryptionContext=CONTEXT)["Plaintext"]
        == key.key
    )
    assert CONTEXT == {"purpose": "tzurot-job-token"}


def test_wire_form_is_base64_and_holds_no_token(kms):
    key = new_token_key(kms.client, kms.key_id)
    sealed = seal_token(key, TOKEN, interaction_id=INTERACTION)
    wire = json.loads(sealed.model_dump_json())
    assert set(wire) == {"wrapped_key", "nonce", "ciphertext"}
    raw = {name: base64.b64decode(value, validate=True) for name, value in wire.items()}
    assert raw["wrapped_key"] == key.wrapped and len(raw["nonce"]) == 24
    assert len(raw["ciphertext"]) == len(TOKEN) + 16
    text = sealed.model_dump_json()
    assert TOKEN not in text and TOKEN[-12:] not in text
    assert SealedToken.model_validate_json(text) == sealed
    assert repr(key) == "TokenKey()"  # neither half is shown


def test_a_token_moved_to_another_interaction_or_tampered_does_not_open(kms):
    key = new_token_key(kms.client, kms.key_id)
    sealed = seal_token(key, TOKEN, interaction_id=INTERACTION)
    flipped = bytes([sealed.ciphertext[0] ^ 1]) + sealed.ciphertext[1:]
    for interaction_id, candidate in (
        ("1300000000000000002", sealed),
        (INTERACTION, sealed.model_copy(update={"ciphertext": flipped})),
        (INTERACTION, sealed.model_copy(update={"nonce": bytes(24)})),
    ):
        with pytest.raises(JobTokenInvalid) as info:
            open_token(kms.client, candidate, interaction_id=interaction_id)
        assert str(info.value) == "the sealed interaction token does not open for this interaction"


def test_a_key_wrapped_under_another_context_or_kms_key_is_refused(kms):
    # A blob the interactions role could make under the modal-secret context, passed off as a
    # token key, does not unwrap: the context is part of the ciphertext.
    transit = kms.client.encrypt(
        KeyId=kms.key_id,
        Plaintext=bytes(32),
        EncryptionContext={"purpose": "tzurot-modal-secret", "user_id": "1", "provider": "openai",
                           "interaction_id": INTERACTION},
    )["CiphertextBlob"]  # fmt: skip
    forged = job_token.TokenKey(key=bytes(32), wrapped=bytes(transit))
    sealed = seal_token(forged, TOKEN, interaction_id=INTERACTION)
    with pytest.raises(JobTokenInvalid) as info:
        open_token(kms.client, sealed, interaction_id=INTERACTION)
    assert str(info.value) == (
        "KMS will not unwrap the job's token key (another KMS key or encryption context)"
    )
    genuine = seal_token(new_token_key(kms.client, kms.key_id), TOKEN, interaction_id=INTERACTION)
    # Real KMS answers IncorrectKeyException (below, stubbed); moto answers AccessDenied.
    with pytest.raises(KmsUnavailable, match="AccessDeniedException"):
        open_token(kms.client, genuine, interaction_id=INTERACTION, key_id=kms.new_key())
    assert open_token(kms.client, genuine, interaction_id=INTERACTION, key_id=kms.key_id) == TOKEN


@pytest.mark.parametrize("code", ["IncorrectKeyException", "InvalidCiphertextException"])
def test_ciphertext_error_codes_are_invalid_tokens_not_outages(code):
    client = kms_client(region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    sealed = seal_token(job_token.TokenKey(bytes(32), b"w" * 40), TOKEN, interaction_id=INTERACTION)
    with Stubber(client) as stub:
        stub.add_client_error("decrypt", service_error_code=code, service_message=TOKEN)
        with pytest.raises(JobTokenInvalid) as info:
            open_token(client, sealed, interaction_id=INTERACTION)
    assert TOKEN not in str(info.value)


def test_cache_is_bounded_least_recently_used_first(kms):
    keys = [new_token_key(kms.client, kms.key_id) for _ in range(MAX_CACHED_KEYS + 1)]
    sealed = [seal_token(k, TOKEN, interaction_id=INTERACTION) for k in keys]
    for s in sealed[:MAX_CACHED_KEYS]:
        open_token(kms.client, s, interaction_id=INTERACTION)
    open_token(kms.client, sealed[0], interaction_id=INTERACTION)  # used again: most recent
    assert kms.calls["Decrypt"] == MAX_CACHED_KEYS
    open_token(kms.client, sealed[-1], interaction_id=INTERACTION)  # evicts sealed[1]'s key
    open_token(kms.client, sealed[0], interaction_id=INTERACTION)
    assert kms.calls["Decrypt"] == MAX_CACHED_KEYS + 1
    open_token(kms.client, sealed[1], interaction_id=INTERACTION)
    assert kms.calls["Decrypt"] == MAX_CACHED_KEYS + 2


class _Unreachable:
    def encrypt(self, **_):
        raise EndpointConnectionError(endpoint_url="https://kms.us-east-1.amazonaws.com/")

    decrypt = encrypt


def test_kms_outage_is_retryable_and_caches_nothing(kms):
    with pytest.raises(KmsUnavailable) as info:
        new_token_key(_Unreachable(), kms.key_id)
    assert str(info.value) == (
        "KMS could not wrap the job token key (EndpointConnectionError); try again later"
    )
    assert info.value.retryable is True
    sealed = seal_token(new_token_key(kms.client, kms.key_id), TOKEN, interaction_id=INTERACTION)
    with pytest.raises(KmsUnavailable) as info:
        open_token(_Unreachable(), sealed, interaction_id=INTERACTION)
    assert str(info.value) == (
        "KMS could not unwrap the job token key (EndpointConnectionError); try again later"
    )
    assert open_token(kms.client, sealed, interaction_id=INTERACTION) == TOKEN
    assert kms.calls["Decrypt"] == 1


def test_malformed_sealed_tokens_are_not_accepted():
    good = {"wrapped_key": "d3JhcHBlZA==", "nonce": base64.b64encode(bytes(24)).decode(),
            "ciphertext": base64.b64encode(bytes(40)).decode()}  # fmt: skip
    assert SealedToken.model_validate(good).nonce == bytes(24)
    for change in (
        {"nonce": base64.b64encode(bytes(12)).decode()},
        {"ciphertext": base64.b64encode(bytes(16)).decode()},
        {"wrapped_key": ""},
        {"nonce": "not base64!"},
        {"ciphertext": 5},
        {"extra": "x"},
    ):
        with pytest.raises(ValidationError):
            SealedToken.model_validate(good | change)


def test_empty_token_or_interaction_id_is_refused():
    key = job_token.TokenKey(key=bytes(32), wrapped=b"w")
    with pytest.raises(InvalidSecret, match=r"^the interaction token is empty$"):
        seal_token(key, "", interaction_id=INTERACTION)
    with pytest.raises(ValueError, match="interaction_id"):
        seal_token(key, TOKEN, interaction_id="")
