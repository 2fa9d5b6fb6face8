"""AES-256-GCM for stored provider keys, bound to their owner by associated data.

Storage format (the `user_api_keys` columns, all lowercase hex):
- `iv`: the 96-bit nonce, fresh from the OS CSPRNG for every encryption (24 hex chars);
- `content`: the ciphertext, as long as the UTF-8 plaintext;
- `tag`: the 128-bit GCM authentication tag (32 hex chars).

Associated data is `"{user_id}|{provider}|{key_version}"` (UTF-8), so a row copied to another
user, another provider or relabelled with another master-key version fails to authenticate.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tzurot.crypto.errors import DecryptionFailed, MalformedCiphertext, MasterKeyUnavailable

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16

_IV_RE = re.compile(r"[0-9a-f]{24}")
_TAG_RE = re.compile(r"[0-9a-f]{32}")
_CONTENT_RE = re.compile(r"(?:[0-9a-f]{2})+")


@dataclass(frozen=True)
class EncryptedKey:
    """The three stored columns; hex text. Not secret, but never logged for tidiness."""

    iv: str
    content: str
    tag: str


def associated_data(*, user_id: str, provider: str, key_version: int) -> bytes:
    """The AD binding a stored key to its row's owner, provider and master-key version."""
    if not user_id or "|" in user_id:
        raise ValueError("user_id must be non-empty and contain no '|'")
    if not provider or "|" in provider:
        raise ValueError("provider must be non-empty and contain no '|'")
    if not isinstance(key_version, int) or isinstance(key_version, bool) or key_version < 1:
        raise ValueError("key_version must be a positive integer")
    return f"{user_id}|{provider}|{key_version}".encode()


def _cipher(master_key: bytes) -> AESGCM:
    if not isinstance(master_key, bytes | bytearray) or len(master_key) != KEY_BYTES:
        raise MasterKeyUnavailable("the master key is not a 32-byte AES-256 key")
    return AESGCM(bytes(master_key))


def encrypt_api_key(
    master_key: bytes, plaintext: str, *, user_id: str, provider: str, key_version: int
) -> EncryptedKey:
    aad = associated_data(user_id=user_id, provider=provider, key_version=key_version)
    if not isinstance(plaintext, str) or not plaintext:
        raise ValueError("plaintext must be a non-empty string")
    nonce = os.urandom(NONCE_BYTES)
    sealed = _cipher(master_key).encrypt(nonce, plaintext.encode("utf-8"), aad)
    return EncryptedKey(
        iv=nonce.hex(), content=sealed[:-TAG_BYTES].hex(), tag=sealed[-TAG_BYTES:].hex()
    )


def _parse(encrypted: EncryptedKey) -> tuple[bytes, bytes]:
    """(nonce, ciphertext||tag) or MalformedCiphertext naming the bad field, never its value."""
    fields = (
        ("iv", encrypted.iv, _IV_RE, "24 hex characters"),
        ("tag", encrypted.tag, _TAG_RE, "32 hex characters"),
        ("content", encrypted.content, _CONTENT_RE, "a non-empty even-length hex string"),
    )
    for name, value, pattern, shape in fields:
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise MalformedCiphertext(f"stored key field {name!r} is malformed (expected {shape})")
    return bytes.fromhex(encrypted.iv), bytes.fromhex(encrypted.content + encrypted.tag)


def decrypt_api_key(
    master_key: bytes, encrypted: EncryptedKey, *, user_id: str, provider: str, key_version: int
) -> str:
    """The plaintext key, or DecryptionFailed (wrong key/AD, tampered) / MalformedCiphertext."""
    aad = associated_data(user_id=user_id, provider=provider, key_version=key_version)
    nonce, sealed = _parse(encrypted)
    try:
        plaintext = _cipher(master_key).decrypt(nonce, sealed, aad)
    except InvalidTag:
        raise DecryptionFailed(
            f"the stored {provider} key does not decrypt (wrong master key, wrong owner or "
            "tampered data)"
        ) from None
    try:
        return plaintext.decode("utf-8")
    except UnicodeDecodeError:  # authenticated but not text: written by something else
        raise DecryptionFailed(f"the stored {provider} key is not text") from None
