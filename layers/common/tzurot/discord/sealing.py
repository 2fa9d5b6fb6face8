"""Sealing secrets on the interactions request path before they go anywhere (SQS included).

Every job's interaction token and a key typed into the /wallet set modal are sealed to the
transit public key in `TRANSIT_PUBLIC_KEY` (tzurot.crypto.transit): a local libsodium call of
some tens of microseconds, no KMS, no network, nothing secret in this function's environment.
The workers open them (tzurot.crypto.transit_keys). PING and autocomplete never get here.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Protocol

from tzurot.errors import TzurotError

if TYPE_CHECKING:
    from tzurot.crypto.transit import PublicKey, SealedBox


class SealingFailed(TzurotError):
    """A secret could not be sealed (no or malformed TRANSIT_PUBLIC_KEY, a bad secret)."""


class Sealer(Protocol):
    def __call__(
        self, secret: str, *, user_id: str, provider: str, interaction_id: str
    ) -> SealedBox: ...


class TokenSealer(Protocol):
    def __call__(self, token: str, *, interaction_id: str, user_id: str) -> SealedBox: ...


class TransitSealer:
    """Seals with the transit public key given, or TRANSIT_PUBLIC_KEY read on first use (and
    again if it changes, as it does between tests and local runs)."""

    def __init__(self, public_key: PublicKey | str | None = None):
        self._given = public_key
        self._parsed: tuple[str, PublicKey] | None = None

    def public_key(self) -> PublicKey:
        from tzurot.crypto.transit import ENVIRONMENT_VARIABLE, PublicKey

        if isinstance(self._given, PublicKey):
            return self._given
        text = self._given or os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
        if not text:
            raise SealingFailed(f"{ENVIRONMENT_VARIABLE} is not set")
        if self._parsed is None or self._parsed[0] != text:
            try:
                self._parsed = (text, PublicKey.parse(text))
            except ValueError as exc:
                raise SealingFailed(str(exc)) from None
        return self._parsed[1]

    def seal_secret(self, secret: str, *, user_id: str, provider: str, interaction_id: str):
        from tzurot.crypto.transit import Binding

        binding = Binding.modal_secret(
            interaction_id=interaction_id, user_id=user_id, provider=provider
        )
        return self._seal(secret, binding)

    def seal_token(self, token: str, *, interaction_id: str, user_id: str):
        from tzurot.crypto.transit import Binding

        return self._seal(token, Binding.token(interaction_id=interaction_id, user_id=user_id))

    def _seal(self, secret: str, binding) -> SealedBox:
        from tzurot.crypto.transit import seal

        try:
            return seal(self.public_key(), secret, binding)
        except TzurotError as exc:  # InvalidSecret: the message names no secret
            raise SealingFailed(str(exc)) from None
