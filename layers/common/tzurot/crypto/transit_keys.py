"""Transit key pairs at rest: the private halves KMS-wrapped in `transit_keys`, opened by workers.

A transit key's private half is 32 bytes from KMS GenerateDataKey (any 32 bytes are an X25519
scalar), so it exists in plaintext only in KMS, in the process that made it, and in workers'
memory. The wrap's encryption context names the purpose and the key id, so a blob copied to
another row does not unwrap. The public half goes to the interactions function's environment
(`TRANSIT_PUBLIC_KEY`, printed by `tzurot keys rotate-transit`).

Rotation (`rotate`): a new key becomes current and every older key that still opens boxes keeps
opening them for `grace` more (default 15 minutes, an interaction token's life; a job older than
that is dropped by the worker anyway). After that a box under it does not open.

Workers keep a `TransitKeyring` per container: one query loads the keys that still open boxes
(again after `REFRESH_SECONDS`, or when a job names a key it has not seen), one KMS Decrypt per
key unwraps it (cached for the container, keyed by the wrapped blob, as master keys are).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from psycopg.rows import tuple_row

from tzurot.crypto import kms as _kms
from tzurot.crypto.errors import KmsUnavailable, TransitDecryptionFailed
from tzurot.crypto.transit import KEY_BYTES, PublicKey, public_key_of

PURPOSE = "tzurot-transit-key"
GRACE = timedelta(minutes=15)
REFRESH_SECONDS = 60.0
# A job naming a key this worker has not loaded makes it look again, at most this often.
UNKNOWN_KEY_RELOAD_SECONDS = 5.0


@dataclass(frozen=True)
class _Usable:
    wrapped: bytes
    kms_key_id: str
    until: float | None  # monotonic time after which it no longer opens boxes; None: current


_unwrapped: dict[bytes, bytes] = {}  # wrapped blob -> private key, for the container's life
_unwrapped_lock = threading.Lock()
# The keys of the last successful load in this process: a keyring whose query fails (database
# down, e.g. a new Worker after a settings change) still opens boxes under keys seen before.
_last_known: dict[str, _Usable] = {}


def wrap_context(key_id: str) -> dict[str, str]:
    return {"purpose": PURPOSE, "key_id": key_id}


def forget_unwrapped_keys() -> None:
    """Drop every cached private key (tests; a container keeps them for its life)."""
    with _unwrapped_lock:
        _unwrapped.clear()
        _last_known.clear()


@dataclass(frozen=True)
class TransitKeyInfo:
    public_key: PublicKey
    kms_key_id: str
    created_at: datetime
    retired_at: datetime | None  # None: the current key

    @property
    def key_id(self) -> str:
        return self.public_key.kid


def new_key_id() -> str:
    return "t" + secrets.token_hex(4)


def _generate(kms: Any, kms_key_id: str, key_id: str) -> tuple[bytes, bytes]:
    """(wrapped private key, public key) from one KMS GenerateDataKey."""
    wrapped, private = _kms.generate_data_key(
        kms, kms_key_id, wrap_context(key_id), action="generate a transit key"
    )
    if len(private) != KEY_BYTES:
        raise KmsUnavailable("KMS returned a data key that is not 32 bytes")
    with _unwrapped_lock:
        _unwrapped[wrapped] = private
    return wrapped, public_key_of(private)


_COLUMNS = "key_id, public_key, kms_key_id, created_at, retired_at"


def _info(row: tuple) -> TransitKeyInfo:
    return TransitKeyInfo(PublicKey(row[0], bytes(row[1])), row[2], row[3], row[4])


def rotate(conn, kms: Any, kms_key_id: str, *, grace: timedelta = GRACE) -> TransitKeyInfo:
    """Make a new current transit key; older keys open boxes for `grace` more (at most).

    The first call on an empty table is the initial key. Raises KmsUnavailable.
    """
    key_id = new_key_id()
    wrapped, public = _generate(kms, kms_key_id, key_id)
    with conn.transaction():
        conn.execute("LOCK TABLE transit_keys IN SHARE ROW EXCLUSIVE MODE")
        conn.execute(
            "UPDATE transit_keys SET retired_at = now() + %s"
            " WHERE retired_at IS NULL OR retired_at > now() + %s",
            (grace, grace),
        )
        row = (
            conn.cursor(row_factory=tuple_row)
            .execute(
                "INSERT INTO transit_keys (key_id, public_key, wrapped_private_key, kms_key_id)"
                f" VALUES (%s, %s, %s, %s) RETURNING {_COLUMNS}",
                (key_id, public, wrapped, kms_key_id),
            )
            .fetchone()
        )
    return _info(row)


def list_keys(conn) -> list[TransitKeyInfo]:
    rows = (
        conn.cursor(row_factory=tuple_row)
        .execute(f"SELECT {_COLUMNS} FROM transit_keys ORDER BY created_at, key_id")
        .fetchall()
    )
    return [_info(row) for row in rows]


def current_key(conn) -> PublicKey | None:
    row = (
        conn.cursor(row_factory=tuple_row)
        .execute(f"SELECT {_COLUMNS} FROM transit_keys WHERE retired_at IS NULL")
        .fetchone()
    )
    return None if row is None else _info(row).public_key


class TransitKeyring:
    """The transit private keys a worker container opens boxes with (`private_key(kid)`).

    `conn` is a psycopg connection or a zero-argument callable returning one; `kms` a KMS
    client or a zero-argument callable returning one (e.g. the master keyring's, so a worker
    has one KMS client).
    """

    def __init__(
        self,
        conn: Any,
        kms: Any = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        refresh_seconds: float = REFRESH_SECONDS,
    ):
        self._connect: Callable[[], Any] = conn if callable(conn) else (lambda: conn)
        self._kms = kms
        self._clock = clock
        self._refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._usable: dict[str, _Usable] = {}
        self._loaded_at: float | None = None

    def private_key(self, kid: str) -> bytes:
        """Raises TransitDecryptionFailed (unknown or retired key id), KmsUnavailable, or a
        database error (both worth another try)."""
        usable = self._lookup(kid)
        if usable is None:
            raise TransitDecryptionFailed(f"transit key {kid} is unknown or retired")
        if usable.until is not None and self._clock() >= usable.until:
            raise TransitDecryptionFailed(f"transit key {kid} is retired")
        return self._unwrap(kid, usable)

    def _lookup(self, kid: str) -> _Usable | None:
        now = self._clock()
        with self._lock:
            age = None if self._loaded_at is None else now - self._loaded_at
            stale = age is None or age >= self._refresh_seconds
            unknown = kid not in self._usable and (age is None or age >= UNKNOWN_KEY_RELOAD_SECONDS)
            if stale or unknown:
                try:
                    self._load(now)
                except Exception:
                    if kid not in _last_known:
                        raise
                    return _last_known[kid]  # the database is down; a key seen before
            return self._usable.get(kid)

    def _load(self, now: float) -> None:
        rows = (
            self._connect()
            .cursor(row_factory=tuple_row)
            .execute(
                "SELECT key_id, wrapped_private_key, kms_key_id,"
                " extract(epoch FROM retired_at - now())::float8"
                " FROM transit_keys WHERE retired_at IS NULL OR retired_at > now()"
            )
            .fetchall()
        )
        self._usable = {
            kid: _Usable(bytes(wrapped), kms_key_id, None if left is None else now + left)
            for kid, wrapped, kms_key_id, left in rows
        }
        self._loaded_at = now
        with _unwrapped_lock:
            _last_known.clear()
            _last_known.update(self._usable)

    def _client(self) -> Any:
        if self._kms is None:
            self._kms = _kms.kms_client()
        return self._kms() if callable(self._kms) else self._kms

    def _unwrap(self, kid: str, usable: _Usable) -> bytes:
        cached = _unwrapped.get(usable.wrapped)
        if cached is not None:
            return cached
        private = _kms.decrypt(
            self._client(),
            usable.wrapped,
            wrap_context(kid),
            key_id=usable.kms_key_id,
            action=f"unwrap transit key {kid}",
            refused=TransitDecryptionFailed(f"KMS will not unwrap transit key {kid}"),
        )
        if len(private) != KEY_BYTES:
            raise TransitDecryptionFailed(f"transit key {kid} is not a 32-byte key")
        with _unwrapped_lock:
            _unwrapped[usable.wrapped] = private
        return private
