"""Ed25519 request signatures: Discord signs `X-Signature-Timestamp + raw body`.

Anything wrong (missing or malformed headers, a bad signature, a timestamp outside the window)
is the same answer: not verified. Callers reply 401 without saying which check failed.
"""

from __future__ import annotations

from functools import lru_cache

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from tzurot.errors import TzurotError

# Discord's signatures are fresh; a replay of a captured request older (or newer) than this fails.
MAX_SKEW_SECONDS = 300
_HEX = frozenset("0123456789abcdefABCDEF")


class InvalidPublicKey(TzurotError):
    """DISCORD_PUBLIC_KEY is not 64 hex characters (an Ed25519 public key)."""


class SignatureVerifier:
    def __init__(self, public_key_hex: str):
        key = public_key_hex.strip()
        if len(key) != 64 or not _HEX.issuperset(key):
            raise InvalidPublicKey("DISCORD_PUBLIC_KEY must be 64 hex characters")
        self._key = VerifyKey(bytes.fromhex(key))

    def verify(self, signature: str | None, timestamp: str | None, body: bytes, now: float) -> bool:
        """True only for a well-formed, correct signature over a timestamp within the window."""
        if not signature or not timestamp:
            return False
        # 128 hex chars = 64 signature bytes; timestamps are unix seconds (digits only, bounded so
        # int() stays cheap on hostile input).
        if len(signature) != 128 or not _HEX.issuperset(signature):
            return False
        if len(timestamp) > 12 or not timestamp.isascii() or not timestamp.isdigit():
            return False
        if abs(now - int(timestamp)) > MAX_SKEW_SECONDS:
            return False
        try:
            self._key.verify(timestamp.encode() + body, bytes.fromhex(signature))
        except BadSignatureError:
            return False
        return True


@lru_cache(maxsize=2)
def verifier_for(public_key_hex: str) -> SignatureVerifier:
    """The verifier for a key, built once per container (key parsing is not free)."""
    return SignatureVerifier(public_key_hex)
