"""Sealing a key typed into the /wallet set modal before it goes anywhere (SQS included).

The interactions function may only kms:Encrypt; the worker opens the blob (tzurot.crypto.transit).
The KMS client is created on first use and kept for the container, with timeouts that fit
Discord's 3 seconds (tzurot.discord.aws_config).
"""

from __future__ import annotations

import os
from typing import Any, Protocol

from tzurot.errors import TzurotError

_kms_client: Any = None


class SealingFailed(TzurotError):
    """The key could not be sealed (KMS not configured, unreachable or refusing, bad secret)."""


class Sealer(Protocol):
    def __call__(self, secret: str, *, user_id: str, provider: str, interaction_id: str) -> str: ...


def kms_client() -> Any:
    global _kms_client
    if _kms_client is None:
        import boto3

        from tzurot.discord.aws_config import request_path_config

        _kms_client = boto3.client("kms", config=request_path_config())
    return _kms_client


def reset_client() -> None:
    """Forget the cached client (tests that switch between moto instances)."""
    global _kms_client
    _kms_client = None


class KmsSealer:
    """Seals under `key_id` (default: KMS_KEY_ID, read at call time)."""

    def __init__(self, key_id: str | None = None, client: Any = None):
        self._key_id = key_id
        self._client = client

    def __call__(self, secret: str, *, user_id: str, provider: str, interaction_id: str) -> str:
        key_id = self._key_id or os.environ.get("KMS_KEY_ID", "").strip()
        if not key_id:
            raise SealingFailed("KMS_KEY_ID is not set")
        from botocore.exceptions import BotoCoreError

        from tzurot.crypto.kms import unavailable
        from tzurot.crypto.transit import seal_modal_secret

        try:
            client = self._client or kms_client()
        except BotoCoreError as exc:  # no region or credentials: the client cannot be made
            raise SealingFailed(str(unavailable(exc, "encrypt the submitted key"))) from None
        try:
            return seal_modal_secret(
                client,
                key_id,
                secret,
                user_id=user_id,
                provider=provider,
                interaction_id=interaction_id,
            )
        except TzurotError as exc:
            # The security core's errors (KmsUnavailable, InvalidSecret) hold no key material.
            raise SealingFailed(str(exc)) from None
