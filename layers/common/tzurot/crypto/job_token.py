"""Interaction tokens in transit: sealed by the interactions function, opened by a worker.

A worker needs the interaction token to answer, and a token is a secret (for 15 minutes it lets
anyone post as the app in that channel), so it never travels through SQS in plaintext:

- The interactions function (allowed kms:Encrypt only) makes a *token key* on the first job of
  its container: 32 random bytes, wrapped by one KMS Encrypt under the fixed encryption context
  `CONTEXT`. It keeps the key and its wrapped blob for the container's life (`TokenKey`).
- Each token is sealed with XChaCha20-Poly1305 (libsodium, through PyNaCl, which the function
  already loads to check signatures), a random 24-byte nonce, and the interaction id as
  associated data: a sealed token copied into another interaction's job does not open.
- The job carries `SealedToken` (wrapped blob, nonce, ciphertext; base64 each in JSON).
- A worker unwraps a blob with one KMS Decrypt under the same context and keeps the key in a
  bounded cache keyed by the blob (one entry per interactions container it has served), so a
  warm worker opens tokens with no KMS call.
"""

from __future__ import annotations

import base64
import binascii
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Annotated, Any

from nacl.bindings import (
    crypto_aead_xchacha20poly1305_ietf_decrypt,
    crypto_aead_xchacha20poly1305_ietf_encrypt,
)
from nacl.exceptions import CryptoError as NaclCryptoError
from pydantic import BaseModel, ConfigDict, PlainSerializer, PlainValidator, model_validator

from tzurot.crypto import kms as _kms
from tzurot.crypto.errors import InvalidSecret, JobTokenInvalid

PURPOSE = "tzurot-job-token"
# Fixed, purpose only: IAM conditions admit exactly this context for the token key.
CONTEXT = {"purpose": PURPOSE}
KEY_BYTES = 32
NONCE_BYTES = 24
TAG_BYTES = 16
# Wrapped keys a worker keeps unwrapped: one per interactions container it heard from lately.
MAX_CACHED_KEYS = 64


def _from_base64(value: object) -> bytes:
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str):
        raise ValueError("must be base64 text")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("is not valid base64") from None


def _to_base64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


Base64Bytes = Annotated[
    bytes, PlainValidator(_from_base64), PlainSerializer(_to_base64, return_type=str)
]


class SealedToken(BaseModel):
    """An interaction token as a job carries it. Nothing here is secret without KMS Decrypt."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    wrapped_key: Base64Bytes  # the token key, wrapped by KMS under CONTEXT
    nonce: Base64Bytes
    ciphertext: Base64Bytes  # the token and the 16-byte Poly1305 tag

    @model_validator(mode="after")
    def _sizes(self) -> SealedToken:
        if not self.wrapped_key:
            raise ValueError("wrapped_key is empty")
        if len(self.nonce) != NONCE_BYTES:
            raise ValueError(f"nonce must be {NONCE_BYTES} bytes")
        if len(self.ciphertext) <= TAG_BYTES:
            raise ValueError("ciphertext is too short")
        return self


@dataclass(frozen=True)
class TokenKey:
    """An interactions container's token key and its KMS-wrapped blob (sent with every job)."""

    key: bytes = field(repr=False)
    wrapped: bytes = field(repr=False)


def _associated(interaction_id: str) -> bytes:
    if not isinstance(interaction_id, str) or not interaction_id:
        raise ValueError("interaction_id must be a non-empty string")
    return interaction_id.encode("utf-8")


def new_token_key(kms: Any, key_id: str) -> TokenKey:
    """32 random bytes, wrapped by one KMS Encrypt under CONTEXT. Raises KmsUnavailable."""
    key = os.urandom(KEY_BYTES)
    try:
        response = kms.encrypt(KeyId=key_id, Plaintext=key, EncryptionContext=CONTEXT)
    except Exception as exc:
        if _kms.is_kms_failure(exc):
            raise _kms.unavailable(exc, "wrap the job token key") from None
        raise
    return TokenKey(key=key, wrapped=bytes(response["CiphertextBlob"]))


def seal_token(
    key: TokenKey, token: str, *, interaction_id: str, nonce: bytes | None = None
) -> SealedToken:
    """Seal `token` for the job of `interaction_id` (no KMS call).

    `nonce` is for reproducible samples only (events/make_events.py): left out, it is 24 fresh
    random bytes, as it must be for anything real (XChaCha20's nonces are long enough to pick
    at random without ever repeating under one key).
    """
    plaintext = token.encode("utf-8") if isinstance(token, str) else b""
    if not plaintext:
        raise InvalidSecret("the interaction token is empty")
    nonce = os.urandom(NONCE_BYTES) if nonce is None else nonce
    if len(nonce) != NONCE_BYTES:
        raise ValueError(f"nonce must be {NONCE_BYTES} bytes")
    ciphertext = crypto_aead_xchacha20poly1305_ietf_encrypt(
        plaintext, _associated(interaction_id), nonce, key.key
    )
    return SealedToken(wrapped_key=key.wrapped, nonce=nonce, ciphertext=ciphertext)


_unwrapped: OrderedDict[bytes, bytes] = OrderedDict()  # wrapped blob -> token key, LRU order
_unwrapped_lock = threading.Lock()


def forget_token_keys() -> None:
    """Drop every cached token key (tests; a container normally keeps them)."""
    with _unwrapped_lock:
        _unwrapped.clear()


def unwrap_token_key(kms: Any, wrapped: bytes, *, key_id: str | None = None) -> bytes:
    """The token key of a wrapped blob: from the cache, else one KMS Decrypt (then cached).

    Raises JobTokenInvalid (KMS will not unwrap it: another key or context, a forged blob) or
    KmsUnavailable (outage, throttling, access denied: worth another try later).
    """
    wrapped = bytes(wrapped)
    with _unwrapped_lock:
        cached = _unwrapped.get(wrapped)
        if cached is not None:
            _unwrapped.move_to_end(wrapped)
            return cached
    # No single flight: the batch is one record in Lambda; a second concurrent Decrypt of the
    # same blob (local poller, cold container) costs one KMS call and changes nothing.
    key = _kms.decrypt(
        kms,
        wrapped,
        CONTEXT,
        key_id=key_id,
        action="unwrap the job token key",
        refused=JobTokenInvalid(
            "KMS will not unwrap the job's token key (another KMS key or encryption context)"
        ),
    )
    if len(key) != KEY_BYTES:
        raise JobTokenInvalid("the job's token key is not a 32-byte key")
    with _unwrapped_lock:
        _unwrapped[wrapped] = key
        while len(_unwrapped) > MAX_CACHED_KEYS:
            _unwrapped.popitem(last=False)
    return key


def open_token(
    kms: Any, sealed: SealedToken, *, interaction_id: str, key_id: str | None = None
) -> str:
    """The interaction token of a job. Raises JobTokenInvalid (tampered, another interaction's,
    unwrappable key) or KmsUnavailable (only when the key is not cached yet)."""
    key = unwrap_token_key(kms, sealed.wrapped_key, key_id=key_id)
    return open_with_key(key, sealed, interaction_id=interaction_id)


def open_with_key(key: bytes, sealed: SealedToken, *, interaction_id: str) -> str:
    """Open `sealed` with its already unwrapped token key (JobTokenInvalid if it does not)."""
    try:
        plaintext = crypto_aead_xchacha20poly1305_ietf_decrypt(
            sealed.ciphertext, _associated(interaction_id), sealed.nonce, key
        )
        return plaintext.decode("utf-8")
    except (NaclCryptoError, UnicodeDecodeError):
        raise JobTokenInvalid(
            "the sealed interaction token does not open for this interaction"
        ) from None
