"""AES-256-GCM storage of provider keys: format, associated data binding, typed failures."""

from __future__ import annotations

import os
import re
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tzurot.crypto.aead import (
    EncryptedKey,
    associated_data,
    decrypt_api_key,
    encrypt_api_key,
)
from tzurot.crypto.errors import DecryptionFailed, MalformedCiphertext, MasterKeyUnavailable

MASTER = bytes(range(32))
OWNER = {"user_id": "0b9f6a3e-4a61-4f0c-9d55-0d3c5b7b6a10", "provider": "openai", "key_version": 1}
SECRET = "sk-proj-" + "Zq9" * 20


def test_storage_format_matches_the_columns():
    sealed = encrypt_api_key(MASTER, SECRET, **OWNER)
    assert re.fullmatch(r"[0-9a-f]{24}", sealed.iv)
    assert re.fullmatch(r"[0-9a-f]{32}", sealed.tag)
    assert re.fullmatch(r"(?:[0-9a-f]{2})+", sealed.content)
    assert len(sealed.content) == 2 * len(SECRET.encode())
    assert SECRET.encode().hex() != sealed.content
    assert decrypt_api_key(MASTER, sealed, **OWNER) == SECRET


def test_fresh_nonce_every_time():
    ivs = {encrypt_api_key(MASTER, SECRET, **OWNER).iv for _ in range(200)}
    assert len(ivs) == 200


def test_associated_data_layout():
    assert associated_data(**OWNER) == b"0b9f6a3e-4a61-4f0c-9d55-0d3c5b7b6a10|openai|1"


@pytest.mark.parametrize(
    "other",
    [
        {"user_id": "1b9f6a3e-4a61-4f0c-9d55-0d3c5b7b6a10"},
        {"provider": "openrouter"},
        {"key_version": 2},
    ],
)
def test_copied_to_another_owner_fails(other):
    sealed = encrypt_api_key(MASTER, SECRET, **OWNER)
    with pytest.raises(DecryptionFailed) as info:
        decrypt_api_key(MASTER, sealed, **{**OWNER, **other})
    assert SECRET not in str(info.value) and sealed.content not in str(info.value)
    assert type(info.value) is DecryptionFailed


def test_wrong_master_key_fails_with_a_clear_message():
    sealed = encrypt_api_key(MASTER, SECRET, **OWNER)
    with pytest.raises(DecryptionFailed) as info:
        decrypt_api_key(os.urandom(32), sealed, **OWNER)
    assert str(info.value) == (
        "the stored openai key does not decrypt (wrong master key, wrong owner or tampered data)"
    )


@pytest.mark.parametrize("field", ["iv", "content", "tag"])
def test_flipped_bit_in_any_field_fails(field):
    sealed = encrypt_api_key(MASTER, SECRET, **OWNER)
    value = getattr(sealed, field)
    flipped = format(int(value[0], 16) ^ 1, "x") + value[1:]
    with pytest.raises(DecryptionFailed):
        decrypt_api_key(MASTER, replace(sealed, **{field: flipped}), **OWNER)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("iv", "abc", "stored key field 'iv' is malformed (expected 24 hex characters)"),
        ("iv", "zz" * 12, "stored key field 'iv' is malformed (expected 24 hex characters)"),
        ("tag", "00" * 15, "stored key field 'tag' is malformed (expected 32 hex characters)"),
        ("tag", None, "stored key field 'tag' is malformed (expected 32 hex characters)"),
        (
            "content",
            "",
            "stored key field 'content' is malformed (expected a non-empty even-length hex string)",
        ),
        (
            "content",
            "abc",
            "stored key field 'content' is malformed (expected a non-empty even-length hex string)",
        ),
        (
            "content",
            "not hex!",
            "stored key field 'content' is malformed (expected a non-empty even-length hex string)",
        ),
    ],
)
def test_malformed_fields(field, value, message):
    sealed = replace(encrypt_api_key(MASTER, SECRET, **OWNER), **{field: value})
    with pytest.raises(MalformedCiphertext) as info:
        decrypt_api_key(MASTER, sealed, **OWNER)
    assert str(info.value) == message
    assert isinstance(info.value, DecryptionFailed)  # callers may catch both as one


def test_truncated_content_fails_to_authenticate():
    sealed = encrypt_api_key(MASTER, SECRET, **OWNER)
    with pytest.raises(DecryptionFailed):
        decrypt_api_key(MASTER, replace(sealed, content=sealed.content[:-2]), **OWNER)


def test_master_key_of_wrong_size():
    with pytest.raises(MasterKeyUnavailable, match="not a 32-byte AES-256 key"):
        encrypt_api_key(b"short", SECRET, **OWNER)


@pytest.mark.parametrize(
    ("owner", "message"),
    [
        ({"user_id": "a|b"}, "user_id must be non-empty and contain no '|'"),
        ({"provider": ""}, "provider must be non-empty and contain no '|'"),
        ({"key_version": 0}, "key_version must be a positive integer"),
        ({"key_version": True}, "key_version must be a positive integer"),
    ],
)
def test_ambiguous_associated_data_is_refused(owner, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        encrypt_api_key(MASTER, SECRET, **{**OWNER, **owner})


def test_authenticated_non_text_is_decryption_failed():
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(12)
    sealed = AESGCM(MASTER).encrypt(nonce, b"\xff\xfe", associated_data(**OWNER))
    encrypted = EncryptedKey(iv=nonce.hex(), content=sealed[:-16].hex(), tag=sealed[-16:].hex())
    with pytest.raises(DecryptionFailed, match="is not text"):
        decrypt_api_key(MASTER, encrypted, **OWNER)


@settings(max_examples=150, deadline=None)
@given(secret=st.text(min_size=1, max_size=300), key=st.binary(min_size=32, max_size=32))
def test_round_trip_any_text(secret, key):
    assert decrypt_api_key(key, encrypt_api_key(key, secret, **OWNER), **OWNER) == secret
