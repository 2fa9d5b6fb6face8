"""The app master key: 32 random bytes that exist at rest only wrapped by KMS.

Each version lives in `app_master_keys` as the KMS ciphertext of the key (`wrapped_key`, made by
GenerateDataKey under `kms_key_id` with the fixed encryption context `WRAP_CONTEXT`). Workers
unwrap a version with one KMS Decrypt per container: unwrapped keys are cached in this module,
keyed by the wrapped blob, so a warm invocation (even with a new `MasterKeyring`) makes no KMS
call. Versions are never deleted: 'previous' and 'retired' keys stay readable, so a reader that
fetched a row just before a rotation rewrote it still decrypts.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.rows import tuple_row

from tzurot.crypto import kms as _kms
from tzurot.crypto.aead import KEY_BYTES
from tzurot.crypto.errors import KeyringStateError, MasterKeyUnavailable, MasterKeyVersionMissing

# Fixed: IAM policies may require it (kms:EncryptionContext:purpose) for the wrap/unwrap grants.
WRAP_CONTEXT = {"purpose": "tzurot-app-master-key"}

_unwrapped: dict[bytes, bytes] = {}  # wrapped blob -> plaintext key, for the container's life
_unwrapped_lock = threading.Lock()
_in_flight: dict[bytes, Future] = {}  # wrapped blob -> the one KMS Decrypt under way for it


@dataclass(frozen=True)
class MasterKeyVersion:
    version: int
    kms_key_id: str
    status: str  # 'active' | 'previous' | 'retired'
    created_at: datetime
    retired_at: datetime | None


def forget_unwrapped_keys() -> None:
    """Drop every cached plaintext key (tests; a container normally keeps them for its life)."""
    with _unwrapped_lock:
        _unwrapped.clear()


def generate_wrapped_key(kms, kms_key_id: str) -> bytes:
    """A new master key from KMS GenerateDataKey; returns the wrapped blob to store.

    The plaintext half is cached right away, so the process that creates a version (e.g. a
    rotation) never needs to Decrypt it.
    """
    wrapped, plaintext = _kms.generate_data_key(
        kms,
        kms_key_id,
        WRAP_CONTEXT,
        action="generate a master key",
        failure=functools.partial(MasterKeyUnavailable, retryable=True),
    )
    if len(plaintext) != KEY_BYTES:
        raise MasterKeyUnavailable("KMS returned a data key that is not 32 bytes")
    with _unwrapped_lock:
        _unwrapped[wrapped] = plaintext
    return wrapped


def unwrap(kms, wrapped: bytes, *, version: int, kms_key_id: str | None = None) -> bytes:
    """The plaintext of a wrapped master key: from the cache, else one KMS Decrypt.

    Single flight: the records of a batch run on several threads; on a cold container the
    first one asks KMS and the others wait for its answer (its key, or its error: during an
    outage they fail together instead of queueing up one KMS timeout after another).
    """
    wrapped = bytes(wrapped)
    cached = _unwrapped.get(wrapped)
    if cached is not None:
        return cached
    with _unwrapped_lock:
        cached = _unwrapped.get(wrapped)
        if cached is not None:
            return cached
        pending = _in_flight.get(wrapped)
        if pending is None:
            pending = _in_flight[wrapped] = Future()
            leader = True
        else:
            leader = False
    if not leader:
        return pending.result()  # the leader's key, or its exception raised here
    try:
        key = _decrypt_wrapped(kms, wrapped, version=version, kms_key_id=kms_key_id)
    except BaseException as exc:
        pending.set_exception(exc)
        raise
    else:
        pending.set_result(key)
        return key
    finally:
        with _unwrapped_lock:
            _in_flight.pop(wrapped, None)


def _decrypt_wrapped(kms, wrapped: bytes, *, version: int, kms_key_id: str | None) -> bytes:
    plaintext = _kms.decrypt(
        kms,
        wrapped,
        WRAP_CONTEXT,
        key_id=kms_key_id,
        action=f"unwrap master key version {version}",
        refused=MasterKeyUnavailable(
            f"KMS will not unwrap master key version {version} "
            "(wrong KMS key or encryption context)"
        ),
        failure=functools.partial(MasterKeyUnavailable, retryable=True),
    )
    if len(plaintext) != KEY_BYTES:
        raise MasterKeyUnavailable(f"master key version {version} is not a 32-byte key")
    with _unwrapped_lock:
        _unwrapped[wrapped] = plaintext
    return plaintext


def active_version(conn, *, lock: bool = False) -> tuple[int, bytes, str]:
    """(version, wrapped_key, kms_key_id) of the active master key.

    `lock=True` (inside a transaction) takes a share lock on the row, so a rotation cannot
    demote this version until the caller's transaction ends: a key stored under it is then
    always seen, and re-encrypted, by that rotation.
    """
    sql = "SELECT version, wrapped_key, kms_key_id FROM app_master_keys WHERE status = 'active'"
    row = (
        conn.cursor(row_factory=tuple_row).execute(sql + (" FOR SHARE" if lock else "")).fetchone()
    )
    if row is None:
        raise MasterKeyUnavailable("no master key: an operator must run `tzurot keys init`")
    return row[0], bytes(row[1]), row[2]


def list_versions(conn) -> list[MasterKeyVersion]:
    rows = (
        conn.cursor(row_factory=tuple_row)
        .execute(
            "SELECT version, kms_key_id, status, created_at, retired_at"
            " FROM app_master_keys ORDER BY version"
        )
        .fetchall()
    )
    return [MasterKeyVersion(*row) for row in rows]


def insert_version(conn, kms, kms_key_id: str, version: int, status: str) -> None:
    """Store a freshly generated wrapped key as `version` (callers hold a transaction)."""
    wrapped = generate_wrapped_key(kms, kms_key_id)
    conn.execute(
        "INSERT INTO app_master_keys (version, wrapped_key, kms_key_id, status)"
        " VALUES (%s, %s, %s, %s)",
        (version, wrapped, kms_key_id, status),
    )


def init_master_key(conn, kms, kms_key_id: str) -> int:
    """Create master key version 1; KeyringStateError when any version already exists."""
    import psycopg

    if not kms_key_id:
        raise KeyringStateError("KMS_KEY_ID is not set: which KMS key should wrap the master key?")
    try:
        with conn.transaction():
            # Serialise concurrent inits; the primary key would catch a race anyway.
            conn.execute("LOCK TABLE app_master_keys IN SHARE ROW EXCLUSIVE MODE")
            existing = conn.execute("SELECT max(version) FROM app_master_keys").fetchone()[0]
            if existing is not None:
                raise KeyringStateError(
                    f"master key already initialised (newest version {existing}); "
                    "use `tzurot keys rotate` to replace it"
                )
            insert_version(conn, kms, kms_key_id, 1, "active")
    except psycopg.errors.UniqueViolation:
        raise KeyringStateError("master key already initialised by a concurrent run") from None
    return 1


Connector = Any  # a psycopg Connection, or a zero-argument callable returning one


class MasterKeyring:
    """Master keys by version for one container: `active()` to encrypt, `get(version)` to decrypt.

    `conn` is a psycopg connection or a callable returning one (e.g. the worker's
    `thread_connection`, which survives reconnects). `kms` defaults to
    `kms_client()`, created on first need. Create one per container and keep it: unwrapped
    versions are cached here and in the module.
    """

    def __init__(self, conn: Connector, kms=None):
        self._connect: Callable[[], Any] = conn if callable(conn) else (lambda: conn)
        self._kms = kms
        self._kms_lock = threading.Lock()
        self._by_version: dict[int, bytes] = {}

    @property
    def kms(self):
        if self._kms is None:
            # Worker threads share a keyring, and creating boto3 clients from the default
            # session concurrently is not thread-safe: create the one client under a lock.
            with self._kms_lock:
                if self._kms is None:
                    self._kms = _kms.kms_client()
        return self._kms

    def active(self) -> tuple[int, bytes]:
        """(version, key) of the master key new keys are encrypted with (one query, no KMS warm)."""
        version, wrapped, kms_key_id = active_version(self._connect())
        return version, self.resolve(version, wrapped, kms_key_id)

    def get(self, version: int) -> bytes:
        """The key of `version`, whatever its status; no query and no KMS call once cached."""
        key = self._by_version.get(version)
        if key is not None:
            return key
        row = (
            self._connect()
            .cursor(row_factory=tuple_row)
            .execute(
                "SELECT wrapped_key, kms_key_id FROM app_master_keys WHERE version = %s",
                (version,),
            )
            .fetchone()
        )
        if row is None:
            raise MasterKeyVersionMissing(version)
        return self.resolve(version, bytes(row[0]), row[1])

    def resolve(self, version: int, wrapped: bytes, kms_key_id: str) -> bytes:
        """The key of a row the caller already read from app_master_keys (saves a query)."""
        key = self._by_version.get(version)
        if key is None:
            # Only the KMS call is skipped for a known blob; a version's blob never changes.
            key = unwrap(self.kms, wrapped, version=version, kms_key_id=kms_key_id)
            self._by_version[version] = key
        return key
