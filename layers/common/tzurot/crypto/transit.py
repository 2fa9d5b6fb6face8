"""Modal secrets in transit: a `/wallet set` key is sealed with KMS before it enters SQS.

The interactions function (allowed kms:Encrypt only) calls `seal_modal_secret`; a worker (allowed
kms:Decrypt) calls `open_modal_secret`. The KMS encryption context binds the blob to the Discord
user, the provider and the interaction: a blob replayed for another user, provider or interaction
does not open. The context keys are fixed (`TRANSIT_CONTEXT_KEYS`) so IAM policies can require
them with the `kms:EncryptionContextKeys` condition.
"""

from __future__ import annotations

import base64
import binascii

from tzurot.crypto import kms as _kms
from tzurot.crypto.errors import InvalidSecret, TransitDecryptionFailed

TRANSIT_PURPOSE = "tzurot-modal-secret"
TRANSIT_CONTEXT_KEYS = ("purpose", "user_id", "provider", "interaction_id")
# KMS Encrypt accepts at most 4096 bytes of plaintext.
MAX_SECRET_BYTES = 4096


def transit_context(*, user_id: str, provider: str, interaction_id: str) -> dict[str, str]:
    """The encryption context of a sealed modal secret (user_id: Discord snowflake)."""
    for name, value in (
        ("user_id", user_id),
        ("provider", provider),
        ("interaction_id", interaction_id),
    ):
        if not isinstance(value, str) or not value:
            raise ValueError(f"{name} must be a non-empty string")
    return {
        "purpose": TRANSIT_PURPOSE,
        "user_id": user_id,
        "provider": provider,
        "interaction_id": interaction_id,
    }


def seal_modal_secret(
    kms, key_id: str, secret: str, *, user_id: str, provider: str, interaction_id: str
) -> str:
    """KMS-encrypt `secret` under the transit context; return base64 text safe for an SQS body.

    Raises InvalidSecret (empty or over 4096 bytes) or KmsUnavailable (outage, access denied).
    """
    context = transit_context(user_id=user_id, provider=provider, interaction_id=interaction_id)
    plaintext = secret.encode("utf-8") if isinstance(secret, str) else b""
    if not plaintext:
        raise InvalidSecret("the key is empty")
    if len(plaintext) > MAX_SECRET_BYTES:
        raise InvalidSecret(f"the key is too long (at most {MAX_SECRET_BYTES} bytes)")
    try:
        response = kms.encrypt(KeyId=key_id, Plaintext=plaintext, EncryptionContext=context)
    except Exception as exc:
        if _kms.is_kms_failure(exc):
            raise _kms.unavailable(exc, "encrypt the submitted key") from None
        raise
    return base64.b64encode(response["CiphertextBlob"]).decode("ascii")


def open_modal_secret(
    kms,
    blob: str,
    *,
    user_id: str,
    provider: str,
    interaction_id: str,
    key_id: str | None = None,
) -> str:
    """Decrypt a blob made by `seal_modal_secret` with the same user, provider and interaction.

    `key_id`, when given, makes KMS refuse a blob made under any other key. Raises
    TransitDecryptionFailed (malformed blob, other context, other key) or KmsUnavailable.
    """
    context = transit_context(user_id=user_id, provider=provider, interaction_id=interaction_id)
    try:
        ciphertext = base64.b64decode(blob, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise TransitDecryptionFailed("the sealed key is not valid base64") from None
    if not ciphertext:
        raise TransitDecryptionFailed("the sealed key is empty")
    plaintext = _kms.decrypt(
        kms,
        ciphertext,
        context,
        key_id=key_id,
        action="decrypt the submitted key",
        refused=TransitDecryptionFailed(
            "the sealed key does not open for this user, provider and interaction"
        ),
    )
    try:
        return plaintext.decode("utf-8")
    except UnicodeDecodeError:
        raise TransitDecryptionFailed("the sealed key is not text") from None
