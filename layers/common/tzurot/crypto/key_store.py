"""Users' provider keys at rest in `user_api_keys`, encrypted under the active master key.

`user_id` here is the `users.id` uuid (as text or uuid.UUID), NOT the Discord snowflake: it is
what the associated data binds, in its canonical lowercase form. Plaintext keys never reach a
column, a log line or an exception message; `key_hint` keeps the last four characters only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from psycopg.rows import tuple_row

from tzurot.crypto.aead import EncryptedKey, decrypt_api_key, encrypt_api_key
from tzurot.crypto.errors import InvalidSecret, KeyInactive
from tzurot.crypto.master_key import MasterKeyring, active_version
from tzurot.storable import storable

PROVIDERS = ("openai", "anthropic", "google", "openrouter", "elevenlabs")
HINT_CHARS = 4


@dataclass(frozen=True)
class StoredKey:
    provider: str
    key_hint: str
    key_version: int


@dataclass(frozen=True)
class KeySummary:
    """What /wallet list shows: never the key, only its last characters and state."""

    provider: str
    key_hint: str | None
    is_active: bool
    created_at: datetime
    updated_at: datetime
    last_used_at: datetime | None


def canonical_user_id(user_id: str | uuid.UUID) -> str:
    try:
        return str(uuid.UUID(str(user_id)))
    except ValueError:
        raise ValueError("user_id must be the users.id uuid (not a Discord id)") from None


def _check_provider(provider: str) -> str:
    if provider not in PROVIDERS:
        raise ValueError(f"unknown provider {provider!r}; expected one of {', '.join(PROVIDERS)}")
    return provider


def store_user_key(
    conn, keyring: MasterKeyring, user_id: str | uuid.UUID, provider: str, plaintext: str
) -> StoredKey:
    """Encrypt and upsert the user's key for `provider`; it becomes active, unused so far."""
    user_id, provider = canonical_user_id(user_id), _check_provider(provider)
    if not isinstance(plaintext, str) or not plaintext.strip():
        raise InvalidSecret("the key is empty")
    with conn.transaction():
        # Share-locks the active version's row: a rotation cannot start until this commits,
        # so this row is either written under the new version or re-encrypted by the rotation.
        version, wrapped, kms_key_id = active_version(conn, lock=True)
        master = keyring.resolve(version, wrapped, kms_key_id)
        sealed = encrypt_api_key(
            master, plaintext, user_id=user_id, provider=provider, key_version=version
        )
        hint = storable(plaintext[-HINT_CHARS:])  # a text column (tzurot.storable)
        conn.execute(
            """
            INSERT INTO user_api_keys
                (user_id, provider, iv, content, tag, key_version, key_hint, is_active)
            VALUES (%s, %s, %s, %s, %s, %s, %s, true)
            ON CONFLICT (user_id, provider) DO UPDATE SET
                iv = EXCLUDED.iv, content = EXCLUDED.content, tag = EXCLUDED.tag,
                key_version = EXCLUDED.key_version, key_hint = EXCLUDED.key_hint,
                is_active = true, updated_at = now(), last_used_at = NULL
            """,
            (user_id, provider, sealed.iv, sealed.content, sealed.tag, version, hint),
        )
    return StoredKey(provider=provider, key_hint=hint, key_version=version)


# Stamps and returns the active key; an inactive key comes back as one row of NULLs, so that a
# caller can tell "switched off" from "none" in the same round trip. (user_id, provider) is
# unique, so at most one row comes back; both halves read the same snapshot.
_USE_KEY = """
WITH used AS (
    UPDATE user_api_keys SET last_used_at = now()
    WHERE user_id = %(user_id)s AND provider = %(provider)s AND is_active
    RETURNING iv, content, tag, key_version
)
SELECT iv, content, tag, key_version FROM used
UNION ALL
SELECT NULL, NULL, NULL, NULL FROM user_api_keys
WHERE user_id = %(user_id)s AND provider = %(provider)s AND NOT is_active
"""


def use_user_key(
    conn, keyring: MasterKeyring, user_id: str | uuid.UUID, provider: str
) -> str | None:
    """The user's active key for `provider` (last_used_at stamped in the same statement), None
    when they have none, and KeyInactive when their key is switched off.

    Raises DecryptionFailed / MalformedCiphertext for a row that does not decrypt, and
    MasterKeyUnavailable when its master key version cannot be had (KMS outage: retryable).
    On a non-autocommit connection the caller commits (the last_used_at stamp).
    """
    user_id, provider = canonical_user_id(user_id), _check_provider(provider)
    row = (
        conn.cursor(row_factory=tuple_row)
        .execute(_USE_KEY, {"user_id": user_id, "provider": provider})
        .fetchone()
    )
    if row is None:
        return None
    iv, content, tag, version = row
    if version is None:
        raise KeyInactive(provider)
    return decrypt_api_key(
        keyring.get(version),
        EncryptedKey(iv=iv, content=content, tag=tag),
        user_id=user_id,
        provider=provider,
        key_version=version,
    )


def load_user_key(
    conn, keyring: MasterKeyring, user_id: str | uuid.UUID, provider: str
) -> str | None:
    """The user's active key for `provider`, or None (no key, or a switched-off one); as
    `use_user_key` otherwise."""
    try:
        return use_user_key(conn, keyring, user_id, provider)
    except KeyInactive:
        return None


def deactivate(conn, user_id: str | uuid.UUID, provider: str) -> bool:
    """Mark the key inactive (it failed at the provider); True when an active key was changed."""
    return _set_active(conn, user_id, provider, False)


def activate(conn, user_id: str | uuid.UUID, provider: str) -> bool:
    """Mark the key active again (it passed a check); True when an inactive key was changed."""
    return _set_active(conn, user_id, provider, True)


def _set_active(conn, user_id: str | uuid.UUID, provider: str, active: bool) -> bool:
    user_id, provider = canonical_user_id(user_id), _check_provider(provider)
    cursor = conn.execute(
        "UPDATE user_api_keys SET is_active = %(active)s, updated_at = now()"
        " WHERE user_id = %(user_id)s AND provider = %(provider)s AND is_active <> %(active)s",
        {"active": active, "user_id": user_id, "provider": provider},
    )
    return cursor.rowcount > 0


def read_user_key(
    conn, keyring: MasterKeyring, user_id: str | uuid.UUID, provider: str
) -> tuple[str, bool] | None:
    """(key, is_active) of the user's key for `provider` whatever its state, or None; for
    re-checking a key (/wallet test). Does not stamp last_used_at: a check is not a use."""
    user_id, provider = canonical_user_id(user_id), _check_provider(provider)
    row = (
        conn.cursor(row_factory=tuple_row)
        .execute(
            "SELECT iv, content, tag, key_version, is_active FROM user_api_keys"
            " WHERE user_id = %s AND provider = %s",
            (user_id, provider),
        )
        .fetchone()
    )
    if row is None:
        return None
    iv, content, tag, version, is_active = row
    key = decrypt_api_key(
        keyring.get(version),
        EncryptedKey(iv=iv, content=content, tag=tag),
        user_id=user_id,
        provider=provider,
        key_version=version,
    )
    return key, is_active


def delete(conn, user_id: str | uuid.UUID, provider: str) -> bool:
    """Remove the key; True when there was one."""
    user_id, provider = canonical_user_id(user_id), _check_provider(provider)
    cursor = conn.execute(
        "DELETE FROM user_api_keys WHERE user_id = %s AND provider = %s", (user_id, provider)
    )
    return cursor.rowcount > 0


def list_user_keys(conn, user_id: str | uuid.UUID) -> list[KeySummary]:
    """Every key of the user (active or not), by provider; no decryption, no KMS."""
    rows = (
        conn.cursor(row_factory=tuple_row)
        .execute(
            "SELECT provider, key_hint, is_active, created_at, updated_at, last_used_at"
            " FROM user_api_keys WHERE user_id = %s ORDER BY provider",
            (canonical_user_id(user_id),),
        )
        .fetchall()
    )
    return [KeySummary(*row) for row in rows]
