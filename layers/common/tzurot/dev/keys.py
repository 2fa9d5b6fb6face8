"""The dev Ed25519 key pair: `tzurot dev` verifies with it, `tzurot simulate` signs with it.

Local development only (no real Discord application involved). The private seed is kept under
the state folder (.tzurot/, git-ignored), readable by the owner only.
"""

from __future__ import annotations

import os
from pathlib import Path

from nacl.signing import SigningKey

from tzurot.errors import TzurotError

KEY_FILE_NAME = "dev-ed25519.key"


class DevKeyMissing(TzurotError):
    """No dev signing key exists yet."""


def key_path(state_dir: Path | None = None) -> Path:
    if state_dir is None:
        from tzurot.db.embedded import STATE_DIR

        state_dir = STATE_DIR
    return state_dir / KEY_FILE_NAME


def load_signing_key(path: Path | None = None) -> SigningKey:
    path = path or key_path()
    try:
        seed = bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        raise DevKeyMissing(
            f"no dev signing key at {path}; start `tzurot dev` (without DISCORD_PUBLIC_KEY) once"
        ) from None
    except ValueError:
        raise DevKeyMissing(
            f"{path} is not a hex Ed25519 seed; delete it to make a new one"
        ) from None
    if len(seed) != 32:
        raise DevKeyMissing(f"{path} is not a 32-byte Ed25519 seed; delete it to make a new one")
    return SigningKey(seed)


def load_or_create_signing_key(path: Path | None = None) -> SigningKey:
    path = path or key_path()
    if path.exists():
        return load_signing_key(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = SigningKey.generate()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return load_signing_key(path)
    with os.fdopen(fd, "w") as handle:
        handle.write(bytes(key).hex() + "\n")
    return key


def public_key_hex(key: SigningKey) -> str:
    return bytes(key.verify_key).hex()


def sign(key: SigningKey, timestamp: str, body: bytes) -> str:
    """The X-Signature-Ed25519 value Discord would send for this timestamp and body."""
    return key.sign(timestamp.encode() + body).signature.hex()
