"""Master keyring and key store against moto KMS and a real, migrated PostgreSQL."""

from __future__ import annotations

import logging
import threading
import time
import uuid

import boto3
import psycopg
import pytest
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError

from tests.fakes.kms import mock_kms
from tzurot.crypto import key_store
from tzurot.crypto.errors import (
    DecryptionFailed,
    InvalidSecret,
    KeyInactive,
    KeyringStateError,
    MalformedCiphertext,
    MasterKeyUnavailable,
)
from tzurot.crypto.master_key import (
    WRAP_CONTEXT,
    MasterKeyring,
    forget_unwrapped_keys,
    init_master_key,
    list_versions,
)

SECRET = "sk-ant-api03-" + "Kx7" * 30


@pytest.fixture
def kms(monkeypatch):
    forget_unwrapped_keys()
    with mock_kms(monkeypatch) as mock:
        yield mock
    forget_unwrapped_keys()


@pytest.fixture
def initialised(db, kms):
    assert init_master_key(db, kms.client, kms.key_id) == 1
    return db


def make_users(conn, count: int) -> list[str]:
    rows = conn.execute(
        "INSERT INTO users (discord_id, username)"
        " SELECT (100000000000000000 + g)::text, 'u' || g FROM generate_series(1, %s) g"
        " RETURNING id::text",
        (count,),
    ).fetchall()
    return [row[0] for row in rows]


def test_init_creates_version_one_wrapped_by_kms(initialised, kms):
    versions = list_versions(initialised)
    assert [(v.version, v.status, v.kms_key_id, v.retired_at) for v in versions] == [
        (1, "active", kms.key_id, None)
    ]
    wrapped = initialised.execute("SELECT wrapped_key FROM app_master_keys").fetchone()[0]
    # The stored blob opens only with the fixed context, and holds a 32-byte key.
    plain = kms.client.decrypt(CiphertextBlob=bytes(wrapped), EncryptionContext=WRAP_CONTEXT)
    assert len(plain["Plaintext"]) == 32
    assert bytes(plain["Plaintext"]) not in bytes(wrapped)
    with pytest.raises(kms.client.exceptions.InvalidCiphertextException):
        kms.client.decrypt(CiphertextBlob=bytes(wrapped), EncryptionContext={"purpose": "x"})


def test_init_twice_is_refused(initialised, kms):
    with pytest.raises(KeyringStateError) as info:
        init_master_key(initialised, kms.client, kms.key_id)
    assert str(info.value) == (
        "master key already initialised (newest version 1); use `tzurot keys rotate` to replace it"
    )
    assert len(list_versions(initialised)) == 1


def test_store_and_load_round_trip(initialised, kms):
    (user,) = make_users(initialised, 1)
    keyring = MasterKeyring(initialised, kms.client)
    stored = key_store.store_user_key(initialised, keyring, user, "anthropic", SECRET)
    assert stored == key_store.StoredKey("anthropic", key_hint=SECRET[-4:], key_version=1)
    row = initialised.execute(
        "SELECT iv, content, tag, key_version, key_hint, is_active, last_used_at"
        " FROM user_api_keys WHERE user_id = %s",
        (user,),
    ).fetchone()
    assert row[3:] == (1, SECRET[-4:], True, None)
    assert SECRET not in "".join(row[:3]) and SECRET.encode().hex() != row[1]
    assert key_store.load_user_key(initialised, keyring, user, "anthropic") == SECRET
    used = initialised.execute(
        "SELECT last_used_at FROM user_api_keys WHERE user_id = %s", (user,)
    ).fetchone()[0]
    assert used is not None
    assert key_store.load_user_key(initialised, keyring, user, "openai") is None


def test_user_id_may_be_a_uuid_object_or_upper_case(initialised, kms):
    (user,) = make_users(initialised, 1)
    keyring = MasterKeyring(initialised, kms.client)
    key_store.store_user_key(initialised, keyring, uuid.UUID(user), "openai", SECRET)
    assert key_store.load_user_key(initialised, keyring, user.upper(), "openai") == SECRET


def test_use_tells_a_switched_off_key_from_none_without_stamping_it(initialised, kms):
    (user,) = make_users(initialised, 1)
    keyring = MasterKeyring(initialised, kms.client)
    assert key_store.use_user_key(initialised, keyring, user, "openai") is None
    key_store.store_user_key(initialised, keyring, user, "openai", SECRET)
    key_store.deactivate(initialised, user, "openai")
    with pytest.raises(KeyInactive) as info:
        key_store.use_user_key(initialised, keyring, user, "openai")
    assert (info.value.provider, str(info.value)) == (
        "openai",
        "the stored openai key is switched off",
    )
    assert key_store.load_user_key(initialised, keyring, user, "openai") is None
    stamped = initialised.execute("SELECT last_used_at FROM user_api_keys").fetchone()[0]
    assert stamped is None  # a switched-off key is not "used"
    key_store.activate(initialised, user, "openai")
    assert key_store.use_user_key(initialised, keyring, user, "openai") == SECRET
    assert initialised.execute("SELECT last_used_at FROM user_api_keys").fetchone()[0]


def test_upsert_replaces_and_reactivates(initialised, kms):
    (user,) = make_users(initialised, 1)
    keyring = MasterKeyring(initialised, kms.client)
    key_store.store_user_key(initialised, keyring, user, "openai", "sk-old-" + "a" * 30)
    assert key_store.load_user_key(initialised, keyring, user, "openai") == "sk-old-" + "a" * 30
    assert key_store.deactivate(initialised, user, "openai") is True
    assert key_store.deactivate(initialised, user, "openai") is False
    assert key_store.load_user_key(initialised, keyring, user, "openai") is None
    key_store.store_user_key(initialised, keyring, user, "openai", "sk-new-" + "b" * 30)
    assert key_store.load_user_key(initialised, keyring, user, "openai") == "sk-new-" + "b" * 30
    (summary,) = key_store.list_user_keys(initialised, user)
    assert (summary.provider, summary.key_hint, summary.is_active) == ("openai", "bbbb", True)
    assert initialised.execute("SELECT count(*) FROM user_api_keys").fetchone()[0] == 1
    assert key_store.delete(initialised, user, "openai") is True
    assert key_store.delete(initialised, user, "openai") is False
    assert key_store.list_user_keys(initialised, user) == []


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        (("not-a-uuid", "openai", SECRET), ValueError, "user_id must be the users.id uuid"),
        ((None, "mistral", SECRET), ValueError, "unknown provider 'mistral'"),
        ((None, "openai", "   "), InvalidSecret, "the key is empty"),
    ],
)
def test_store_refuses_bad_input(initialised, kms, args, error, message):
    (user,) = make_users(initialised, 1)
    user_id, provider, secret = args
    keyring = MasterKeyring(initialised, kms.client)
    with pytest.raises(error, match=message):
        key_store.store_user_key(initialised, keyring, user_id or user, provider, secret)


def test_store_before_init_is_master_key_unavailable(db, kms):
    (user,) = make_users(db, 1)
    with pytest.raises(MasterKeyUnavailable) as info:
        key_store.store_user_key(db, MasterKeyring(db, kms.client), user, "openai", SECRET)
    assert str(info.value) == "no master key: an operator must run `tzurot keys init`"


def test_warm_keyring_makes_no_kms_call(initialised, kms):
    users = make_users(initialised, 3)
    writer = MasterKeyring(initialised, kms.client)
    for user in users:
        key_store.store_user_key(initialised, writer, user, "google", "AIza" + "Q" * 35)
    forget_unwrapped_keys()  # a cold container
    kms.calls.clear()
    cold = MasterKeyring(initialised, kms.client)
    assert key_store.load_user_key(initialised, cold, users[0], "google") == "AIza" + "Q" * 35
    assert kms.calls == {"Decrypt": 1}
    for user in users:  # same invocation
        key_store.load_user_key(initialised, cold, user, "google")
    # The next invocation builds a new keyring: still no KMS call.
    warm = MasterKeyring(initialised, kms.client)
    for user in users:
        assert key_store.load_user_key(initialised, warm, user, "google") == "AIza" + "Q" * 35
    assert warm.active()[0] == 1
    assert kms.calls == {"Decrypt": 1}


class SlowKms:
    """A KMS client whose Decrypt takes a while (and can fail), counting the calls."""

    def __init__(self, client=None, *, delay: float = 0.3, down: bool = False):
        self.client, self.delay, self.down = client, delay, down
        self.decrypts = 0
        self._lock = threading.Lock()

    def decrypt(self, **params):
        with self._lock:
            self.decrypts += 1
        time.sleep(self.delay)
        if self.down:
            raise EndpointConnectionError(endpoint_url="https://kms.us-east-1.amazonaws.com/")
        return self.client.decrypt(**params)


def in_threads(count: int, work) -> list:
    """Run `work()` on `count` threads released together; its results or exceptions."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = work()
        except Exception as exc:
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_cold_container_unwraps_once_for_a_concurrent_batch(initialised, kms, db_url):
    (user,) = make_users(initialised, 1)
    key_store.store_user_key(
        initialised, MasterKeyring(initialised, kms.client), user, "openai", SECRET
    )
    forget_unwrapped_keys()  # a cold container; its worker threads share one keyring
    slow = SlowKms(kms.client)
    local = threading.local()

    def connection():
        if not hasattr(local, "conn"):
            local.conn = psycopg.connect(db_url, autocommit=True)
        return local.conn

    keyring = MasterKeyring(connection, slow)

    def load():
        try:
            return key_store.load_user_key(connection(), keyring, user, "openai")
        finally:
            connection().close()

    assert in_threads(6, load) == [SECRET] * 6
    assert slow.decrypts == 1


def test_kms_outage_fails_a_concurrent_batch_together(initialised, kms):
    forget_unwrapped_keys()
    slow = SlowKms(delay=0.3, down=True)
    keyring = MasterKeyring(initialised, slow)
    wrapped = bytes(initialised.execute("SELECT wrapped_key FROM app_master_keys").fetchone()[0])
    started = time.monotonic()
    results = in_threads(5, lambda: keyring.resolve(1, wrapped, kms.key_id))
    # One Decrypt for the batch: the waiting threads share its failure instead of each waiting
    # out a KMS timeout of its own, one after another.
    assert slow.decrypts == 1
    assert time.monotonic() - started < 1.2
    assert [type(r) for r in results] == [MasterKeyUnavailable] * 5
    assert {str(r) for r in results} == {
        "KMS could not unwrap master key version 1 (EndpointConnectionError); try again later"
    }
    assert all(r.retryable for r in results)
    # KMS is back: the next job unwraps (the failure was not cached).
    slow.down, slow.client = False, kms.client
    assert len(keyring.resolve(1, wrapped, kms.key_id)) == 32
    assert slow.decrypts == 2


def test_keyring_accepts_a_connection_factory(initialised, kms, db_url):
    (user,) = make_users(initialised, 1)
    opened: list[psycopg.Connection] = []

    def connect():
        if not opened:
            opened.append(psycopg.connect(db_url, autocommit=True))
        return opened[0]

    keyring = MasterKeyring(connect, kms.client)
    key_store.store_user_key(initialised, keyring, user, "openai", SECRET)
    assert keyring.get(1) == keyring.active()[1]
    assert len(opened) == 1
    opened[0].close()


def test_kms_outage_is_master_key_unavailable_and_retryable(initialised, kms, monkeypatch):
    (user,) = make_users(initialised, 1)
    key_store.store_user_key(
        initialised, MasterKeyring(initialised, kms.client), user, "openai", SECRET
    )
    forget_unwrapped_keys()
    dead = boto3.client(
        "kms",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1),
    )
    with pytest.raises(MasterKeyUnavailable) as info:
        key_store.load_user_key(initialised, MasterKeyring(initialised, dead), user, "openai")
    assert str(info.value) == (
        "KMS could not unwrap master key version 1 (EndpointConnectionError); try again later"
    )
    assert info.value.retryable is True


def test_wrapped_key_under_another_context_is_not_retryable(initialised, kms):
    # A blob wrapped without our fixed context (e.g. restored from another system).
    blob = kms.client.encrypt(KeyId=kms.key_id, Plaintext=b"k" * 32)["CiphertextBlob"]
    initialised.execute("UPDATE app_master_keys SET wrapped_key = %s", (blob,))
    forget_unwrapped_keys()
    with pytest.raises(MasterKeyUnavailable) as info:
        MasterKeyring(initialised, kms.client).get(1)
    assert str(info.value) == (
        "KMS will not unwrap master key version 1 (wrong KMS key or encryption context)"
    )
    assert info.value.retryable is False


def test_unknown_version(initialised, kms):
    with pytest.raises(MasterKeyUnavailable, match="master key version 7 does not exist"):
        MasterKeyring(initialised, kms.client).get(7)


def test_row_copied_to_another_user_or_provider_fails(initialised, kms):
    alice, bob = make_users(initialised, 2)
    keyring = MasterKeyring(initialised, kms.client)
    key_store.store_user_key(initialised, keyring, alice, "openai", SECRET)
    # An attacker with write access copies alice's ciphertext into bob's row, and relabels it.
    initialised.execute(
        "INSERT INTO user_api_keys (user_id, provider, iv, content, tag, key_version)"
        " SELECT %s, provider, iv, content, tag, key_version FROM user_api_keys"
        " WHERE user_id = %s",
        (bob, alice),
    )
    initialised.execute(
        "INSERT INTO user_api_keys (user_id, provider, iv, content, tag, key_version)"
        " SELECT user_id, 'openrouter', iv, content, tag, key_version FROM user_api_keys"
        " WHERE user_id = %s AND provider = 'openai'",
        (alice,),
    )
    for user, provider in ((bob, "openai"), (alice, "openrouter")):
        with pytest.raises(DecryptionFailed) as info:
            key_store.load_user_key(initialised, keyring, user, provider)
        assert SECRET not in str(info.value)
    assert key_store.load_user_key(initialised, keyring, alice, "openai") == SECRET


def test_truncated_and_non_hex_rows(initialised, kms):
    alice, bob = make_users(initialised, 2)
    keyring = MasterKeyring(initialised, kms.client)
    for user in (alice, bob):
        key_store.store_user_key(initialised, keyring, user, "openai", SECRET)
    initialised.execute(
        "UPDATE user_api_keys SET content = left(content, length(content) - 2) WHERE user_id = %s",
        (alice,),
    )
    with pytest.raises(DecryptionFailed):
        key_store.load_user_key(initialised, keyring, alice, "openai")
    # The CHECK constraints keep non-hex out; drop them to see what a corrupt row does.
    initialised.execute("ALTER TABLE user_api_keys DROP CONSTRAINT user_api_keys_content_check")
    initialised.execute(
        "UPDATE user_api_keys SET content = 'zz' || content WHERE user_id = %s", (bob,)
    )
    with pytest.raises(MalformedCiphertext) as info:
        key_store.load_user_key(initialised, keyring, bob, "openai")
    assert str(info.value) == (
        "stored key field 'content' is malformed (expected a non-empty even-length hex string)"
    )


def test_no_plaintext_key_reaches_a_log(initialised, kms, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    (user,) = make_users(initialised, 1)
    forget_unwrapped_keys()
    keyring = MasterKeyring(initialised, kms.client)
    key_store.store_user_key(initialised, keyring, user, "anthropic", SECRET)
    assert key_store.load_user_key(initialised, keyring, user, "anthropic") == SECRET
    master = keyring.get(1)
    out = capsys.readouterr()
    logged = caplog.text + out.out + out.err
    assert SECRET not in logged
    assert master.hex() not in logged
    import base64

    assert base64.b64encode(master).decode() not in logged
