"""A fixed transit key pair for tests that seal and open without a database or KMS."""

from __future__ import annotations

from tzurot.crypto.errors import TransitDecryptionFailed
from tzurot.crypto.transit import PublicKey, public_key_of

PRIVATE_KEY = bytes(range(32, 64))  # fixed: tests are reproducible
PUBLIC_KEY = PublicKey("ttest0001", public_key_of(PRIVATE_KEY))


class StaticKeys:
    """Private keys by id (`tzurot.crypto.transit.PrivateKeys`); unknown ids do not open."""

    def __init__(self, keys: dict[str, bytes] | None = None):
        self.keys = {PUBLIC_KEY.kid: PRIVATE_KEY} if keys is None else keys
        self.asked: list[str] = []

    def private_key(self, kid: str) -> bytes:
        self.asked.append(kid)
        try:
            return self.keys[kid]
        except KeyError:
            raise TransitDecryptionFailed(f"transit key {kid} is unknown or retired") from None


KEYS = StaticKeys()
