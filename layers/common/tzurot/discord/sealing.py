"""Sealing secrets on the interactions request path before they go anywhere (SQS included).

Two kinds, both with the one KMS permission this function has, kms:Encrypt:

- `KmsSealer`: a key typed into the /wallet set modal, one KMS Encrypt per key, under a
  context bound to the user, provider and interaction (tzurot.crypto.transit);
- `KmsTokenSealer`: the interaction token of every job, sealed with this container's token key,
  which one KMS Encrypt wraps on the container's first job (tzurot.crypto.job_token). PING and
  autocomplete never get here.

The workers open both. The KMS client is created on first use and kept for the container, with
timeouts that fit Discord's 3 seconds (tzurot.discord.aws_config).
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any, Protocol

from tzurot.errors import TzurotError

if TYPE_CHECKING:
    from tzurot.crypto.job_token import SealedToken, TokenKey

_kms_client: Any = None


class SealingFailed(TzurotError):
    """A secret could not be sealed (KMS not configured, unreachable or refusing, bad secret)."""


class Sealer(Protocol):
    def __call__(self, secret: str, *, user_id: str, provider: str, interaction_id: str) -> str: ...


class TokenSealer(Protocol):
    def __call__(self, token: str, *, interaction_id: str) -> SealedToken: ...


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


class _KmsTarget:
    """The KMS key (default: KMS_KEY_ID, read at call time) and client a sealer encrypts with."""

    def __init__(self, key_id: str | None = None, client: Any = None):
        self._key_id = key_id
        self._client = client

    def key_id(self) -> str:
        key_id = self._key_id or os.environ.get("KMS_KEY_ID", "").strip()
        if not key_id:
            raise SealingFailed("KMS_KEY_ID is not set")
        return key_id

    def client(self, action: str) -> Any:
        from botocore.exceptions import BotoCoreError

        from tzurot.crypto.kms import unavailable

        try:
            return self._client or kms_client()
        except BotoCoreError as exc:  # no region or credentials: the client cannot be made
            raise SealingFailed(str(unavailable(exc, action))) from None


class KmsSealer(_KmsTarget):
    """Seals a /wallet set key: one KMS Encrypt per key."""

    def __call__(self, secret: str, *, user_id: str, provider: str, interaction_id: str) -> str:
        key_id = self.key_id()
        from tzurot.crypto.transit import seal_modal_secret

        client = self.client("encrypt the submitted key")
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


class KmsTokenSealer(_KmsTarget):
    """Seals interaction tokens with the container's token key: one KMS Encrypt on the first
    job (and again only if KMS_KEY_ID changes), none after that."""

    def __init__(self, key_id: str | None = None, client: Any = None):
        super().__init__(key_id, client)
        self._key: TokenKey | None = None
        self._wrapped_under: str | None = None
        self._lock = threading.Lock()  # the local ASGI server may serve requests side by side

    def __call__(self, token: str, *, interaction_id: str) -> SealedToken:
        from tzurot.crypto.job_token import seal_token

        try:
            return seal_token(self._container_key(), token, interaction_id=interaction_id)
        except TzurotError as exc:  # KmsUnavailable or InvalidSecret: no token in the message
            raise SealingFailed(str(exc)) from None

    def _container_key(self) -> TokenKey:
        key_id = self.key_id()
        with self._lock:
            if self._key is None or self._wrapped_under != key_id:
                from tzurot.crypto.job_token import new_token_key

                self._key = new_token_key(self.client("wrap the job token key"), key_id)
                self._wrapped_under = key_id
            return self._key
