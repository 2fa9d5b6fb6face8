"""Secrets in transit: sealed to an X25519 public key by the interactions function, opened by a
worker that holds the private key.

Two secrets ride in a job, and neither may enter SQS in plaintext: the interaction token (for
15 minutes it lets anyone post as the app in that channel) and a key typed into the /wallet set
modal. The interactions function holds only the public half of a *transit key*
(`TRANSIT_PUBLIC_KEY`, "<key id>:<base64>"; not a secret) and seals each secret as a libsodium
sealed box (`crypto_box_seal`: an ephemeral X25519 key, XSalsa20-Poly1305), through PyNaCl, which
that function already loads to check signatures. No KMS call, no network, no secret in its
environment.

The sealed plaintext is a small JSON document holding the secret *and its binding*: purpose,
interaction id, Discord user id, provider ("" for a token) and the key id. `open_secret` checks
every bound field against what the job says; a box copied into another interaction's or user's
job, moved between purposes, or relabelled with another key id does not open
(`TransitDecryptionFailed`). The envelope (`SealedBox`) names the key id in clear so the worker
knows which private key to use (tzurot.crypto.transit_keys: KMS-wrapped in the database, opened
once per container).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Annotated, Protocol

from nacl.bindings import (
    crypto_box,
    crypto_box_seal,
    crypto_box_seal_open,
    crypto_generichash_blake2b_salt_personal,
    crypto_scalarmult_base,
)
from nacl.exceptions import CryptoError as NaclCryptoError
from pydantic import BaseModel, ConfigDict, PlainSerializer, PlainValidator, model_validator

from tzurot.crypto.errors import InvalidSecret, JobTokenInvalid, TransitDecryptionFailed

TOKEN_PURPOSE = "interaction-token"
MODAL_SECRET_PURPOSE = "modal-secret"
PURPOSES = (TOKEN_PURPOSE, MODAL_SECRET_PURPOSE)
KEY_BYTES = 32
SEAL_OVERHEAD = 48  # the ephemeral public key (32) and the Poly1305 tag (16)
MAX_SECRET_BYTES = 4096
MAX_KEY_ID_LENGTH = 32
ENVIRONMENT_VARIABLE = "TRANSIT_PUBLIC_KEY"


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


def _check_key_id(key_id: object) -> str:
    if not isinstance(key_id, str) or not key_id or len(key_id) > MAX_KEY_ID_LENGTH:
        raise ValueError(f"a key id is 1 to {MAX_KEY_ID_LENGTH} characters")
    if not all(c.isascii() and (c.isalnum() or c in "-_") for c in key_id):
        raise ValueError("a key id is letters, digits, '-' and '_'")
    return key_id


class SealedBox(BaseModel):
    """A secret as a job carries it: the transit key's id and the sealed box (base64)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kid: str
    box: Base64Bytes

    @model_validator(mode="after")
    def _valid(self) -> SealedBox:
        _check_key_id(self.kid)
        if len(self.box) <= SEAL_OVERHEAD:
            raise ValueError("box is too short")
        return self


@dataclass(frozen=True)
class Binding:
    """What a sealed secret is for; all of it is inside the box and checked on opening."""

    purpose: str
    interaction_id: str
    user_id: str  # Discord user snowflake (the interactions function has no database)
    provider: str = ""  # the /wallet set provider; "" for an interaction token

    def __post_init__(self) -> None:
        if self.purpose not in PURPOSES:
            raise ValueError(f"unknown purpose {self.purpose!r}")
        for name in ("interaction_id", "user_id"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise ValueError(f"{name} must be a non-empty string")
        if not isinstance(self.provider, str):
            raise ValueError("provider must be a string")
        if (self.purpose == MODAL_SECRET_PURPOSE) != bool(self.provider):
            raise ValueError("a modal secret names its provider, a token does not")

    @classmethod
    def token(cls, *, interaction_id: str, user_id: str) -> Binding:
        return cls(TOKEN_PURPOSE, interaction_id, user_id)

    @classmethod
    def modal_secret(cls, *, interaction_id: str, user_id: str, provider: str) -> Binding:
        return cls(MODAL_SECRET_PURPOSE, interaction_id, user_id, provider)


@dataclass(frozen=True)
class PublicKey:
    """The public half of a transit key, as the interactions function knows it."""

    kid: str
    key: bytes

    def __post_init__(self) -> None:
        _check_key_id(self.kid)
        if len(self.key) != KEY_BYTES:
            raise ValueError(f"an X25519 public key is {KEY_BYTES} bytes")

    def __str__(self) -> str:
        """The TRANSIT_PUBLIC_KEY form: "<key id>:<base64 key>"."""
        return f"{self.kid}:{_to_base64(self.key)}"

    @classmethod
    def parse(cls, text: str) -> PublicKey:
        """Read the TRANSIT_PUBLIC_KEY form; ValueError naming what is wrong (never a secret:
        this is a public key)."""
        kid, sep, encoded = (text or "").strip().partition(":")
        if not sep:
            raise ValueError(f"{ENVIRONMENT_VARIABLE} must look like <key id>:<base64 key>")
        try:
            key = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(f"{ENVIRONMENT_VARIABLE}: the key is not valid base64") from None
        return cls(_check_key_id(kid), key)


class PrivateKeys(Protocol):
    """Where a worker finds a transit private key by id (tzurot.crypto.transit_keys)."""

    def private_key(self, kid: str) -> bytes: ...


def public_key_of(private_key: bytes) -> bytes:
    return crypto_scalarmult_base(private_key)


def _plaintext(secret: str, binding: Binding, kid: str) -> bytes:
    document = {
        "purpose": binding.purpose,
        "interaction_id": binding.interaction_id,
        "user_id": binding.user_id,
        "provider": binding.provider,
        "kid": kid,
        "secret": secret,
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def seal(
    public_key: PublicKey, secret: str, binding: Binding, *, ephemeral_key: bytes | None = None
) -> SealedBox:
    """Seal `secret` for `binding` (no network; raises InvalidSecret for an empty or oversized
    secret).

    `ephemeral_key` is for reproducible samples only (events/make_events.py): left out, as it
    must be for anything real, libsodium picks a fresh ephemeral key pair for every box.
    """
    raw = secret.encode("utf-8") if isinstance(secret, str) else b""
    if not raw:
        raise InvalidSecret("the secret is empty")
    if len(raw) > MAX_SECRET_BYTES:
        raise InvalidSecret(f"the secret is too long (at most {MAX_SECRET_BYTES} bytes)")
    plaintext = _plaintext(secret, binding, public_key.kid)
    if ephemeral_key is None:
        box = crypto_box_seal(plaintext, public_key.key)
    else:  # crypto_box_seal's construction, with the given ephemeral key
        ephemeral_public = crypto_scalarmult_base(ephemeral_key)
        nonce = crypto_generichash_blake2b_salt_personal(
            ephemeral_public + public_key.key, digest_size=24
        )
        box = ephemeral_public + crypto_box(plaintext, nonce, public_key.key, ephemeral_key)
    return SealedBox(kid=public_key.kid, box=box)


def open_secret(keys: PrivateKeys, sealed: SealedBox, binding: Binding) -> str:
    """The secret in `sealed`, if it was sealed for exactly `binding` under `sealed.kid`.

    Raises TransitDecryptionFailed (unknown or retired key id, tampered box, another binding)
    or whatever `keys` raises when it cannot reach its keys (KmsUnavailable, a database error).
    """
    private = keys.private_key(sealed.kid)
    try:
        plaintext = crypto_box_seal_open(sealed.box, public_key_of(private), private)
        document = json.loads(plaintext.decode("utf-8"))
    except (NaclCryptoError, UnicodeDecodeError, ValueError):
        raise TransitDecryptionFailed(
            f"the sealed {binding.purpose} does not open with transit key {sealed.kid}"
        ) from None
    expected = json.loads(_plaintext("", binding, sealed.kid))
    expected.pop("secret")
    if not isinstance(document, dict) or not isinstance(document.get("secret"), str):
        raise TransitDecryptionFailed(f"the sealed {binding.purpose} is not a sealed secret")
    secret = document.pop("secret")
    if document != expected:
        wrong = sorted(
            k for k in expected.keys() | document.keys() if document.get(k) != expected.get(k)
        )
        raise TransitDecryptionFailed(
            f"the sealed {binding.purpose} was made for another {', '.join(wrong)}"
        )
    return secret


def open_token(keys: PrivateKeys, sealed: SealedBox, *, interaction_id: str, user_id: str) -> str:
    """A job's interaction token; JobTokenInvalid when it does not open for this interaction
    and user (KmsUnavailable and database errors pass through: worth another try)."""
    try:
        return open_secret(
            keys, sealed, Binding.token(interaction_id=interaction_id, user_id=user_id)
        )
    except TransitDecryptionFailed as exc:
        raise JobTokenInvalid(str(exc)) from None


def open_modal_secret(
    keys: PrivateKeys, sealed: SealedBox, *, user_id: str, provider: str, interaction_id: str
) -> str:
    """A /wallet set key; TransitDecryptionFailed when it was not sealed for exactly this
    user, provider and interaction."""
    binding = Binding.modal_secret(
        interaction_id=interaction_id, user_id=user_id, provider=provider
    )
    return open_secret(keys, sealed, binding)
