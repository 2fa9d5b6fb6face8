"""The KMS client and the one translation of KMS failures into crypto errors.

boto3 is imported lazily: the interactions function pays for it only on the path that seals a
modal secret. `boto3.client("kms")` honours AWS_ENDPOINT_URL (moto, LocalStack) and the usual
region variables.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tzurot.crypto.errors import CryptoError, KmsUnavailable

# KMS answers these when the ciphertext or its encryption context is not the one it made.
CIPHERTEXT_ERROR_CODES = frozenset({"InvalidCiphertextException", "IncorrectKeyException"})

# Tight timeouts: a Lambda should fail fast and let SQS redeliver rather than hang on KMS.
_CONNECT_TIMEOUT_SECONDS = 2
_READ_TIMEOUT_SECONDS = 5
_MAX_ATTEMPTS = 3


def kms_client(**kwargs: Any):
    """A boto3 KMS client with short timeouts and a few standard retries.

    No region configured is a KmsUnavailable naming the fix (boto3 raises it here, before any
    call, where the translation of call failures would not see it).
    """
    import boto3
    from botocore.config import Config
    from botocore.exceptions import NoRegionError

    config = Config(
        connect_timeout=_CONNECT_TIMEOUT_SECONDS,
        read_timeout=_READ_TIMEOUT_SECONDS,
        retries={"max_attempts": _MAX_ATTEMPTS, "mode": "standard"},
    )
    try:
        return boto3.client("kms", config=config, **kwargs)
    except NoRegionError:
        from tzurot.config import NO_REGION_HINT

        raise KmsUnavailable(f"no AWS region is set for KMS: {NO_REGION_HINT}") from None


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a botocore ClientError, else None (e.g. a connection failure)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return response.get("Error", {}).get("Code")
    return None


def is_ciphertext_error(exc: BaseException) -> bool:
    return error_code(exc) in CIPHERTEXT_ERROR_CODES


# Answers that waiting will not change: the key id, the key's state or the caller's rights are
# wrong. An operator reading "try again later" for these would wait for nothing.
_KEY_OR_PERMISSION_CODES = frozenset(
    {
        "NotFoundException",
        "DisabledException",
        "KMSInvalidStateException",
        "InvalidKeyUsageException",
        "AccessDeniedException",
        "UnrecognizedClientException",
    }
)
_SETUP_ERRORS = frozenset(
    {"NoCredentialsError", "PartialCredentialsError", "NoRegionError", "ParamValidationError"}
)


def explain(exc: BaseException) -> str:
    """The AWS error code (or exception type) in brackets and what to do about it.

    Only the code: botocore messages can quote request parameters.
    """
    reason = error_code(exc) or type(exc).__name__
    if reason in _KEY_OR_PERMISSION_CODES:
        return f"({reason}): check the KMS key id, that the key is enabled, and the KMS permissions"
    if reason in _SETUP_ERRORS:
        return f"({reason}): check the AWS region, credentials and the KMS key id"
    return f"({reason}); try again later"


def unavailable(exc: BaseException, action: str) -> KmsUnavailable:
    """A KmsUnavailable naming the action, the AWS error code (or exception type) and a fix."""
    return KmsUnavailable(f"KMS could not {action} {explain(exc)}")


def is_kms_failure(exc: BaseException) -> bool:
    """True for botocore's client and transport errors (what a KMS call can raise)."""
    from botocore.exceptions import BotoCoreError, ClientError

    return isinstance(exc, BotoCoreError | ClientError)


def generate_data_key(
    kms: Any,
    key_id: str,
    context: Mapping[str, str],
    *,
    action: str,
    failure: Callable[[str], CryptoError] = KmsUnavailable,
) -> tuple[bytes, bytes]:
    """(wrapped, plaintext) of one KMS GenerateDataKey (AES_256: 32 bytes) under `context`; a
    KMS failure raises `failure("KMS could not <action> (<code>)...")`."""
    try:
        response = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256", EncryptionContext=context)
    except Exception as exc:
        if is_kms_failure(exc):
            raise failure(f"KMS could not {action} {explain(exc)}") from None
        raise
    return bytes(response["CiphertextBlob"]), bytes(response["Plaintext"])


def decrypt(
    kms: Any,
    blob: bytes,
    context: Mapping[str, str],
    *,
    key_id: str | None,
    action: str,
    refused: CryptoError,
    failure: Callable[[str], CryptoError] = KmsUnavailable,
) -> bytes:
    """The plaintext of one KMS Decrypt of `blob` under `context`.

    `key_id`, when given, makes KMS refuse a blob made under any other key. A blob KMS will not
    open (another key or context, a forgery) raises `refused`; a KMS failure raises
    `failure("KMS could not <action> (<code>)...")`; anything else propagates.
    """
    params: dict[str, Any] = {"CiphertextBlob": blob, "EncryptionContext": context}
    if key_id:
        params["KeyId"] = key_id
    try:
        return bytes(kms.decrypt(**params)["Plaintext"])
    except Exception as exc:
        if is_ciphertext_error(exc):
            raise refused from None
        if is_kms_failure(exc):
            raise failure(f"KMS could not {action} {explain(exc)}") from None
        raise
