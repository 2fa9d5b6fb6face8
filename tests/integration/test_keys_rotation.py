"""Master key rotation against moto KMS and real PostgreSQL: many users, crashes, concurrency."""

from __future__ import annotations

import random
import threading
import time

import boto3
import psycopg
import pytest
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError

from tests.fakes.kms import mock_kms
from tzurot.crypto import key_store, rotation
from tzurot.crypto.errors import KeyringStateError, MasterKeyUnavailable, RotationIncomplete
from tzurot.crypto.master_key import MasterKeyring, forget_unwrapped_keys, init_master_key

PROVIDERS = ("openai", "anthropic", "google", "openrouter", "elevenlabs")
SHAPES = {
    "openai": "sk-proj-{}",
    "anthropic": "sk-ant-api03-{}",
    "google": "AIza{}",
    "openrouter": "sk-or-v1-{}",
    "elevenlabs": "sk_{}",
}
USERS = 220


class Crash(Exception):
    pass


@pytest.fixture
def kms(monkeypatch):
    forget_unwrapped_keys()
    with mock_kms(monkeypatch) as mock:
        yield mock
    forget_unwrapped_keys()


@pytest.fixture
def stocked(db, kms):
    """Version 1 initialised and USERS users with one or two stored keys each."""
    init_master_key(db, kms.client, kms.key_id)
    users = [
        row[0]
        for row in db.execute(
            "INSERT INTO users (discord_id, username)"
            " SELECT (200000000000000000 + g)::text, 'u' || g FROM generate_series(1, %s) g"
            " RETURNING id::text",
            (USERS,),
        ).fetchall()
    ]
    rng = random.Random(7)
    expected: dict[tuple[str, str], str] = {}
    keyring = MasterKeyring(db, kms.client)
    for index, user in enumerate(users):
        for provider in rng.sample(PROVIDERS, 1 + index % 2):
            secret = SHAPES[provider].format("".join(rng.choices("abcdefXYZ0123456789", k=40)))
            key_store.store_user_key(db, keyring, user, provider, secret)
            expected[(user, provider)] = secret
    forget_unwrapped_keys()  # rotation and readers start cold, like a fresh container
    kms.calls.clear()
    return expected


def versions(conn) -> list[tuple[int, str, bool]]:
    return [
        (v, s, r is not None)
        for v, s, r in conn.execute(
            "SELECT version, status, retired_at FROM app_master_keys ORDER BY version"
        ).fetchall()
    ]


def rows_by_version(conn) -> dict[int, int]:
    return dict(
        conn.execute("SELECT key_version, count(*) FROM user_api_keys GROUP BY 1").fetchall()
    )


def assert_all_decrypt(conn, kms, expected) -> None:
    keyring = MasterKeyring(conn, kms.client)
    for (user, provider), secret in expected.items():
        assert key_store.load_user_key(conn, keyring, user, provider) == secret


def test_rotate_reencrypts_every_key(stocked, db, kms):
    before = dict(db.execute("SELECT id, content FROM user_api_keys").fetchall())
    progress: list[tuple[int, int]] = []
    result = rotation.rotate(
        db, kms.client, kms.key_id, batch_size=40, on_batch=lambda b, n: progress.append((b, n))
    )
    total = len(stocked)
    assert total > USERS
    assert result == rotation.RotationResult(
        to_version=2,
        kms_key_id=kms.key_id,
        resumed=False,
        reencrypted=total,
        batches=-(-total // 40),
        retired=(1,),
        undecryptable=(),
    )
    assert progress[-1] == (result.batches, total)
    assert versions(db) == [(1, "retired", True), (2, "active", False)]
    assert rows_by_version(db) == {2: total}
    after = dict(db.execute("SELECT id, content FROM user_api_keys").fetchall())
    assert all(after[i] != before[i] for i in before)  # fresh nonces, new key
    # One data key generated, the old version unwrapped once; the new one needs no Decrypt.
    assert kms.calls == {"GenerateDataKey": 1, "Decrypt": 1}
    assert_all_decrypt(db, kms, stocked)


def test_rotating_twice_keeps_every_version_readable(stocked, db, kms):
    rotation.rotate(db, kms.client, batch_size=500)
    result = rotation.rotate(db, kms.client, batch_size=500)
    assert (result.to_version, result.retired) == (3, (2,))
    assert versions(db) == [(1, "retired", True), (2, "retired", True), (3, "active", False)]
    assert rows_by_version(db) == {3: len(stocked)}
    assert_all_decrypt(db, kms, stocked)


def test_crash_after_some_batches_then_resume(stocked, db, kms):
    def crash_after_three(batches: int, done: int) -> None:
        if batches == 3:
            raise Crash

    with pytest.raises(Crash):
        rotation.rotate(db, kms.client, kms.key_id, batch_size=25, on_batch=crash_after_three)
    # Mid-rotation: both versions readable, three batches committed.
    assert versions(db) == [(1, "previous", False), (2, "active", False)]
    assert rows_by_version(db) == {2: 75, 1: len(stocked) - 75}
    assert_all_decrypt(db, kms, stocked)

    forget_unwrapped_keys()  # the operator reruns from a new process
    result = rotation.rotate(db, kms.client, kms.key_id, batch_size=25)
    assert result.resumed is True
    assert (result.to_version, result.reencrypted, result.retired) == (2, len(stocked) - 75, (1,))
    assert versions(db) == [(1, "retired", True), (2, "active", False)]
    assert rows_by_version(db) == {2: len(stocked)}
    assert_all_decrypt(db, kms, stocked)


class KmsGoingDown:
    """The operator's KMS client: GenerateDataKey works, then KMS becomes unreachable after
    `decrypts` Decrypt calls (the old version is unwrapped on the rotation's first batch)."""

    def __init__(self, client, decrypts: int = 0):
        self.client, self.decrypts_left = client, decrypts

    def generate_data_key(self, **params):
        return self.client.generate_data_key(**params)

    def decrypt(self, **params):
        if self.decrypts_left <= 0:
            raise EndpointConnectionError(endpoint_url="https://kms.us-east-1.amazonaws.com/")
        self.decrypts_left -= 1
        return self.client.decrypt(**params)


def test_kms_outage_mid_rotation_then_resume(stocked, db, kms):
    # The new version is made, then the old one cannot be unwrapped: nothing re-encrypted yet.
    with pytest.raises(MasterKeyUnavailable) as info:
        rotation.rotate(db, KmsGoingDown(kms.client), kms.key_id, batch_size=50)
    assert str(info.value) == (
        "KMS could not unwrap master key version 1 (EndpointConnectionError); try again later"
    )
    assert info.value.retryable is True
    assert versions(db) == [(1, "previous", False), (2, "active", False)]
    assert rows_by_version(db) == {1: len(stocked)}
    assert_all_decrypt(db, kms, stocked)  # readers are unaffected

    forget_unwrapped_keys()  # the operator runs it again later, from a new process
    result = rotation.rotate(db, kms.client, kms.key_id, batch_size=50)
    assert (result.to_version, result.resumed, result.reencrypted) == (2, True, len(stocked))
    assert versions(db) == [(1, "retired", True), (2, "active", False)]
    assert rows_by_version(db) == {2: len(stocked)}
    assert_all_decrypt(db, kms, stocked)


def test_resume_finishes_under_the_key_of_the_version_under_way(stocked, db, kms):
    def crash(batches: int, done: int) -> None:
        raise Crash

    with pytest.raises(Crash):
        rotation.rotate(db, kms.client, kms.key_id, batch_size=100, on_batch=crash)
    other = kms.new_key()
    result = rotation.rotate(db, kms.client, other, batch_size=100)
    # Version 2 already existed under the first key; the request for `other` starts nothing.
    assert (result.to_version, result.kms_key_id, result.resumed) == (2, kms.key_id, True)
    assert versions(db) == [(1, "retired", True), (2, "active", False)]
    result = rotation.rotate(db, kms.client, other, batch_size=100)
    assert (result.to_version, result.kms_key_id, result.resumed) == (3, other, False)
    assert rows_by_version(db) == {3: len(stocked)}
    assert_all_decrypt(db, kms, stocked)


def test_crash_inside_a_batch_rolls_that_batch_back(stocked, db, kms, monkeypatch):
    real = rotation.encrypt_api_key
    calls = {"n": 0}

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 70:  # the 20th row of the third batch of 25
            raise Crash
        return real(*args, **kwargs)

    monkeypatch.setattr(rotation, "encrypt_api_key", failing)
    with pytest.raises(Crash):
        rotation.rotate(db, kms.client, kms.key_id, batch_size=25)
    assert rows_by_version(db) == {2: 50, 1: len(stocked) - 50}
    assert_all_decrypt(db, kms, stocked)
    monkeypatch.setattr(rotation, "encrypt_api_key", real)
    result = rotation.rotate(db, kms.client, kms.key_id, batch_size=25)
    assert (result.resumed, result.reencrypted) == (True, len(stocked) - 50)
    assert rows_by_version(db) == {2: len(stocked)}
    assert_all_decrypt(db, kms, stocked)


def test_reader_during_rotation_never_fails(stocked, db, db_url, kms):
    stop = threading.Event()
    reads: list[int] = []
    failures: list[BaseException] = []
    items = list(stocked.items())

    def reader() -> None:
        # A worker container: its own connection, KMS client and keyring.
        client = boto3.client("kms", region_name="us-east-1")
        rng = random.Random(1)
        with psycopg.connect(db_url, autocommit=True) as conn:
            keyring = MasterKeyring(conn, client)
            while not stop.is_set():
                (user, provider), secret = rng.choice(items)
                try:
                    value = key_store.load_user_key(conn, keyring, user, provider)
                    if value != secret:
                        failures.append(AssertionError(f"wrong value for {user}/{provider}"))
                except Exception as exc:
                    failures.append(exc)
                reads.append(1)

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        # Small batches with a pause between them so reads interleave with the rewrite.
        result = rotation.rotate(
            db, kms.client, kms.key_id, batch_size=10, on_batch=lambda b, n: time.sleep(0.005)
        )
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert failures == []
    assert len(reads) > 50
    assert result.reencrypted == len(stocked)


def test_store_in_flight_when_rotation_starts_is_reencrypted(stocked, db, db_url, kms):
    user = db.execute(
        "INSERT INTO users (discord_id) VALUES ('999999999999999999') RETURNING id::text"
    ).fetchone()[0]
    outcome: dict[str, object] = {}
    with psycopg.connect(db_url, autocommit=True) as writer, writer.transaction():
        # A store whose transaction is still open when the rotation starts.
        keyring = MasterKeyring(writer, kms.client)
        key_store.store_user_key(writer, keyring, user, "openai", "sk-" + "w" * 30)
        thread = threading.Thread(target=lambda: outcome.update(result=run_rotation(db_url, kms)))
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive()  # rotation waits for the store to commit
        assert versions(db) == [(1, "active", False)]
    thread.join(timeout=30)
    assert outcome["result"].reencrypted == len(stocked) + 1
    assert rows_by_version(db) == {2: len(stocked) + 1}
    keyring = MasterKeyring(db, kms.client)
    assert key_store.load_user_key(db, keyring, user, "openai") == "sk-" + "w" * 30


def run_rotation(url: str, kms) -> rotation.RotationResult:
    with psycopg.connect(url, autocommit=True) as conn:
        return rotation.rotate(conn, kms.client)


def test_undecryptable_row_is_reported_and_keeps_the_old_version(stocked, db, kms):
    (bad_id,) = db.execute(
        "UPDATE user_api_keys SET tag = repeat('0', 32)"
        " WHERE id = (SELECT id FROM user_api_keys ORDER BY id LIMIT 1 OFFSET 5) RETURNING id::text"
    ).fetchone()
    with pytest.raises(RotationIncomplete) as info:
        rotation.rotate(db, kms.client, batch_size=50)
    assert str(info.value) == (
        f"1 stored key(s) do not decrypt and were left as they were (user_api_keys ids: {bad_id}); "
        "delete them (their owners must set them again) and run `tzurot keys rotate` again to "
        "finish"
    )
    assert info.value.result.reencrypted == len(stocked) - 1
    assert info.value.result.retired == ()
    assert versions(db) == [(1, "previous", False), (2, "active", False)]
    db.execute("DELETE FROM user_api_keys WHERE id = %s", (bad_id,))
    result = rotation.rotate(db, kms.client, batch_size=50)
    assert (result.resumed, result.reencrypted, result.retired) == (True, 0, (1,))


def test_rotate_before_init(db, kms):
    with pytest.raises(KeyringStateError, match=r"run `tzurot keys init` first"):
        rotation.rotate(db, kms.client, kms.key_id)


def test_kms_outage_at_start_changes_nothing(stocked, db):
    dead = boto3.client(
        "kms",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1),
    )
    with pytest.raises(MasterKeyUnavailable) as info:
        rotation.rotate(db, dead)
    assert str(info.value) == (
        "KMS could not generate a master key (EndpointConnectionError); try again later"
    )
    assert info.value.retryable is True
    assert versions(db) == [(1, "active", False)]
