"""Master key rotation: a new version, every stored key re-encrypted in batches, no downtime.

1. Start: a new master key (KMS GenerateDataKey) becomes 'active' and the old active version
   becomes 'previous', in one transaction. That transaction waits for in-flight `store_user_key`
   calls (they share-lock the active row), so every key stored afterwards uses the new version.
2. Batches: rows whose key_version is not the active one are locked (FOR UPDATE), decrypted with
   their version, encrypted with the new one and updated; one transaction per batch. A worker
   reading a row meanwhile sees either the old row (its version is still readable) or the new.
3. Finish: versions no row uses any more become 'retired' (kept, never deleted, still readable).

Resumable: a 'previous' version means a rotation is under way; running `rotate` again carries on
from whatever rows still carry an old version (committed batches stay done, an interrupted batch
rolled back whole). Pass an autocommit connection: each batch must commit on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from psycopg.rows import tuple_row

from tzurot.crypto.aead import EncryptedKey, decrypt_api_key, encrypt_api_key
from tzurot.crypto.errors import DecryptionFailed, KeyringStateError, RotationIncomplete
from tzurot.crypto.master_key import MasterKeyring, generate_wrapped_key

DEFAULT_BATCH_SIZE = 100


@dataclass(frozen=True)
class RotationResult:
    to_version: int
    kms_key_id: str  # the KMS key that wraps `to_version`
    resumed: bool
    reencrypted: int
    batches: int
    retired: tuple[int, ...]
    undecryptable: tuple[str, ...]  # user_api_keys ids left as they were


def _start_or_resume(conn, kms, kms_key_id: str | None) -> tuple[int, str, bool]:
    """(target version, its KMS key id, resumed): resume an unfinished rotation or start one.

    Resuming finishes the rotation under way whatever `kms_key_id` says: its target version
    already exists (the caller can tell from the result and rotate again to change keys).
    """
    cursor = conn.cursor(row_factory=tuple_row)
    rows = cursor.execute("SELECT version, status, kms_key_id FROM app_master_keys").fetchall()
    active = [row for row in rows if row[1] == "active"]
    if not active:
        raise KeyringStateError("no master key to rotate: run `tzurot keys init` first")
    if any(row[1] == "previous" for row in rows):
        return active[0][0], active[0][2], True
    key_id = kms_key_id or active[0][2]
    wrapped = generate_wrapped_key(kms, key_id)  # before the transaction: no lock held on KMS
    with conn.transaction():
        conn.execute("LOCK TABLE app_master_keys IN SHARE ROW EXCLUSIVE MODE")
        states = cursor.execute(
            "SELECT version, status, kms_key_id FROM app_master_keys"
        ).fetchall()
        current = [(version, key) for version, status, key in states if status == "active"]
        if any(status == "previous" for _, status, _ in states):  # a concurrent run started one
            return current[0][0], current[0][1], True
        new_version = max(version for version, _, _ in states) + 1
        conn.execute("UPDATE app_master_keys SET status = 'previous' WHERE status = 'active'")
        conn.execute(
            "INSERT INTO app_master_keys (version, wrapped_key, kms_key_id, status)"
            " VALUES (%s, %s, %s, 'active')",
            (new_version, wrapped, key_id),
        )
    return new_version, key_id, False


def _reencrypt_batch(
    conn, keyring: MasterKeyring, target: int, batch_size: int, skip: list[str]
) -> tuple[int, list[str]] | None:
    """Re-encrypt one batch; (rows rewritten, ids that did not decrypt), or None when done."""
    with conn.transaction():
        rows = (
            conn.cursor(row_factory=tuple_row)
            .execute(
                """
                SELECT id::text, user_id::text, provider, iv, content, tag, key_version
                FROM user_api_keys
                WHERE key_version <> %s AND NOT (id = ANY(%s::uuid[]))
                ORDER BY id LIMIT %s
                FOR UPDATE
                """,
                (target, skip, batch_size),
            )
            .fetchall()
        )
        if not rows:
            return None
        new_key = keyring.get(target)
        updates, failed = [], []
        for row_id, user_id, provider, iv, content, tag, version in rows:
            owner = {"user_id": user_id, "provider": provider}
            try:
                plaintext = decrypt_api_key(
                    keyring.get(version),
                    EncryptedKey(iv=iv, content=content, tag=tag),
                    **owner,
                    key_version=version,
                )
            except DecryptionFailed:  # corrupt row: leave it for the operator, carry on
                failed.append(row_id)
                continue
            sealed = encrypt_api_key(new_key, plaintext, **owner, key_version=target)
            updates.append((sealed.iv, sealed.content, sealed.tag, target, row_id))
        if updates:
            conn.cursor().executemany(
                "UPDATE user_api_keys SET iv = %s, content = %s, tag = %s, key_version = %s"
                " WHERE id = %s",
                updates,
            )
    return len(updates), failed


def _retire_unused(conn) -> tuple[int, ...]:
    rows = (
        conn.cursor(row_factory=tuple_row)
        .execute(
            """
            UPDATE app_master_keys m SET status = 'retired', retired_at = now()
            WHERE status = 'previous'
              AND NOT EXISTS (SELECT 1 FROM user_api_keys k WHERE k.key_version = m.version)
            RETURNING version
            """
        )
        .fetchall()
    )
    return tuple(sorted(row[0] for row in rows))


def rotate(
    conn,
    kms,
    kms_key_id: str | None = None,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_batch: Callable[[int, int], None] | None = None,
) -> RotationResult:
    """Rotate to a new master key version (or finish an interrupted rotation).

    `kms_key_id`: the KMS key to wrap the new version; default: the current version's key.
    An unfinished rotation is finished first, under the key its new version already has.
    `on_batch(batches_done, keys_reencrypted)` runs after each committed batch (progress).
    Raises RotationIncomplete when some rows do not decrypt (they are left untouched, and their
    version stays readable); KeyringStateError before `keys init`; MasterKeyUnavailable on a
    KMS outage (run again later: the rotation resumes).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    target, target_key_id, resumed = _start_or_resume(conn, kms, kms_key_id)
    keyring = MasterKeyring(conn, kms)
    reencrypted, batches, undecryptable = 0, 0, []
    while (done := _reencrypt_batch(conn, keyring, target, batch_size, undecryptable)) is not None:
        count, failed = done
        reencrypted += count
        undecryptable += failed
        batches += 1
        if on_batch is not None:
            on_batch(batches, reencrypted)
    result = RotationResult(
        to_version=target,
        kms_key_id=target_key_id,
        resumed=resumed,
        reencrypted=reencrypted,
        batches=batches,
        retired=_retire_unused(conn),
        undecryptable=tuple(undecryptable),
    )
    if undecryptable:
        raise RotationIncomplete(
            f"{len(undecryptable)} stored key(s) do not decrypt and were left as they were "
            f"(user_api_keys ids: {', '.join(undecryptable[:10])}"
            f"{', ...' if len(undecryptable) > 10 else ''}); delete them (their owners must set "
            "them again) and run `tzurot keys rotate` again to finish",
            result,
        )
    return result
