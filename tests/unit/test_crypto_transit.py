"""Secrets sealed to the transit public key (tzurot.crypto.transit): the round trip, and every
way a box must refuse to open (each bound field, another user or interaction, tampered bytes, a
wrong, unknown or relabelled key id)."""

from __future__ import annotations

import base64
import json

import pytest
from nacl.bindings import crypto_box_seal

from tests.fakes.transit import PRIVATE_KEY, PUBLIC_KEY, StaticKeys
from tzurot.crypto.errors import InvalidSecret, JobTokenInvalid, TransitDecryptionFailed
from tzurot.crypto.transit import (
    MAX_SECRET_BYTES,
    Binding,
    PublicKey,
    SealedBox,
    open_modal_secret,
    open_secret,
    open_token,
    public_key_of,
    seal,
)

SECRET = "sk-proj-" + "Ab3" * 30
TOKEN = "aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzQ1Njc4OnNlY3JldA" * 3
WALLET = {"interaction_id": "987654321", "user_id": "123456789012345678", "provider": "openai"}
OTHER_PRIVATE = bytes(range(100, 132))


def keys() -> StaticKeys:
    return StaticKeys()


def sealed_wallet(secret: str = SECRET) -> SealedBox:
    return seal(PUBLIC_KEY, secret, Binding.modal_secret(**WALLET))


def sealed_token() -> SealedBox:
    return seal(PUBLIC_KEY, TOKEN, Binding.token(interaction_id="1001", user_id="2002"))


def test_round_trip_for_both_purposes_and_nothing_readable_in_the_envelope():
    wallet, token = sealed_wallet(), sealed_token()
    assert open_modal_secret(keys(), wallet, **WALLET) == SECRET
    assert open_token(keys(), token, interaction_id="1001", user_id="2002") == TOKEN
    for box, secret in ((wallet, SECRET), (token, TOKEN)):
        body = box.model_dump_json()
        assert json.loads(body)["kid"] == PUBLIC_KEY.kid
        assert secret not in body and secret.encode() not in box.box
        assert WALLET["user_id"].encode() not in box.box  # the binding is inside, sealed too
        assert SealedBox.model_validate_json(body) == box
    # Fresh ephemeral keys: the same secret never seals to the same box.
    assert sealed_wallet().box != wallet.box


def test_unicode_secret_round_trips():
    assert open_modal_secret(keys(), sealed_wallet("clé-ü-🔑"), **WALLET) == "clé-ü-🔑"


@pytest.mark.parametrize(
    ("field", "value"),
    [("interaction_id", "987654322"), ("user_id", "123456789012345679"), ("provider", "anthropic")],
)
def test_a_modal_secret_opens_only_for_its_own_binding(field, value):
    with pytest.raises(TransitDecryptionFailed, match=rf"made for another {field}$"):
        open_modal_secret(keys(), sealed_wallet(), **(WALLET | {field: value}))


def test_a_token_opens_only_for_its_interaction_and_user():
    token = sealed_token()
    with pytest.raises(JobTokenInvalid, match="another interaction_id"):
        open_token(keys(), token, interaction_id="1002", user_id="2002")  # another interaction
    with pytest.raises(JobTokenInvalid, match="another user_id"):
        open_token(keys(), token, interaction_id="1001", user_id="2003")  # another user


def test_purposes_do_not_mix():
    # A wallet box in a token's place (same interaction and user) and the other way round.
    wallet = sealed_wallet()
    with pytest.raises(JobTokenInvalid, match="another provider, purpose"):
        open_token(
            keys(), wallet, interaction_id=WALLET["interaction_id"], user_id=WALLET["user_id"]
        )
    token = seal(PUBLIC_KEY, SECRET, Binding.token(interaction_id="9", user_id="8"))
    with pytest.raises(TransitDecryptionFailed, match="another provider, purpose"):
        open_modal_secret(keys(), token, interaction_id="9", user_id="8", provider="openai")


def test_a_relabelled_key_id_does_not_open():
    # The same private key known under a second id: the kid inside the box still says the first.
    both = StaticKeys({PUBLIC_KEY.kid: PRIVATE_KEY, "tother": PRIVATE_KEY})
    relabelled = SealedBox(kid="tother", box=sealed_wallet().box)
    with pytest.raises(TransitDecryptionFailed, match=r"made for another kid$"):
        open_modal_secret(both, relabelled, **WALLET)


def test_a_box_under_another_key_or_an_unknown_key_id_does_not_open():
    other = PublicKey(PUBLIC_KEY.kid, public_key_of(OTHER_PRIVATE))  # same id, wrong key pair
    with pytest.raises(TransitDecryptionFailed, match="does not open with transit key ttest0001"):
        open_modal_secret(keys(), seal(other, SECRET, Binding.modal_secret(**WALLET)), **WALLET)
    retired = SealedBox(kid="tretired", box=sealed_wallet().box)
    with pytest.raises(TransitDecryptionFailed, match="tretired is unknown or retired"):
        open_modal_secret(keys(), retired, **WALLET)


def test_tampered_boxes_do_not_open():
    box = bytearray(sealed_wallet().box)
    for position in (0, 40, len(box) - 1):  # ephemeral key, tag, ciphertext
        tampered = bytearray(box)
        tampered[position] ^= 1
        with pytest.raises(TransitDecryptionFailed, match="does not open"):
            open_modal_secret(keys(), SealedBox(kid=PUBLIC_KEY.kid, box=bytes(tampered)), **WALLET)


def test_a_well_sealed_box_without_the_binding_document_does_not_open():
    for plaintext in (b"just the key", b'["a"]', b'{"secret": 5}'):
        box = SealedBox(kid=PUBLIC_KEY.kid, box=crypto_box_seal(plaintext, PUBLIC_KEY.key))
        with pytest.raises(TransitDecryptionFailed):
            open_secret(keys(), box, Binding.modal_secret(**WALLET))


def test_empty_or_oversized_secrets_are_refused_before_sealing():
    for secret in ("", "x" * (MAX_SECRET_BYTES + 1)):
        with pytest.raises(InvalidSecret) as caught:
            sealed_wallet(secret)
        assert "x" * 20 not in str(caught.value)
    assert open_modal_secret(keys(), sealed_wallet("x" * MAX_SECRET_BYTES), **WALLET)


@pytest.mark.parametrize(
    "binding",
    [
        {"purpose": "other", "interaction_id": "1", "user_id": "2"},
        {"purpose": "interaction-token", "interaction_id": "", "user_id": "2"},
        {"purpose": "interaction-token", "interaction_id": "1", "user_id": "2", "provider": "x"},
        {"purpose": "modal-secret", "interaction_id": "1", "user_id": "2"},
    ],
)
def test_bindings_are_checked_when_made(binding):
    with pytest.raises(ValueError):
        Binding(**binding)


def test_public_key_text_form():
    text = str(PUBLIC_KEY)
    assert text == f"ttest0001:{base64.b64encode(PUBLIC_KEY.key).decode()}"
    assert PublicKey.parse(f"  {text}\n") == PUBLIC_KEY
    for bad, problem in (
        ("no-colon", "must look like <key id>:<base64 key>"),
        ("t1:not base64!", "not valid base64"),
        ("t1:" + base64.b64encode(b"short").decode(), "32 bytes"),
        ("bad id:" + base64.b64encode(bytes(32)).decode(), "letters, digits"),
    ):
        with pytest.raises(ValueError, match=problem):
            PublicKey.parse(bad)


@pytest.mark.parametrize(
    "envelope",
    [
        {"kid": "ttest0001", "box": "AAAA"},  # shorter than the seal overhead
        {"kid": "", "box": base64.b64encode(bytes(64)).decode()},
        {"kid": "ttest0001", "box": "not base64!"},
        {"kid": "ttest0001", "box": base64.b64encode(bytes(64)).decode(), "extra": 1},
    ],
)
def test_malformed_envelopes_are_validation_errors(envelope):
    with pytest.raises(ValueError):
        SealedBox.model_validate(envelope)
