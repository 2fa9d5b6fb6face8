"""`tzurot keys init|rotate|status` through the CLI entry point (moto KMS, real PostgreSQL)."""

from __future__ import annotations

import re

import pytest

from tests.fakes.kms import mock_kms
from tzurot.cli.main import main
from tzurot.crypto import key_store
from tzurot.crypto.master_key import MasterKeyring, forget_unwrapped_keys


@pytest.fixture
def kms(monkeypatch, db_url):
    forget_unwrapped_keys()
    with mock_kms(monkeypatch) as mock:
        monkeypatch.setenv("KMS_KEY_ID", mock.key_id)
        yield mock
    forget_unwrapped_keys()


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_init_rotate_status(kms, db, capsys):
    assert run(capsys, "keys", "status") == (0, "no master key yet: run `tzurot keys init`\n", "")
    assert run(capsys, "keys", "init") == (
        0,
        f"created master key version 1 (wrapped by KMS key {kms.key_id})\n",
        "",
    )
    assert run(capsys, "keys", "init") == (
        1,
        "",
        "tzurot: error: master key already initialised (newest version 1); "
        "use `tzurot keys rotate` to replace it\n",
    )
    users = [
        row[0]
        for row in db.execute(
            "INSERT INTO users (discord_id) SELECT (300000000000000000 + g)::text"
            " FROM generate_series(1, 5) g RETURNING id::text"
        ).fetchall()
    ]
    keyring = MasterKeyring(db, kms.client)
    for user in users:
        key_store.store_user_key(
            db, keyring, user, "openrouter", "sk-or-v1-" + user.replace("-", "")
        )

    code, out, err = run(capsys, "keys", "rotate", "--batch-size", "2")
    assert (code, err) == (0, "")
    assert out == (
        "batch 1: 2 key(s) re-encrypted so far\n"
        "batch 2: 4 key(s) re-encrypted so far\n"
        "batch 3: 5 key(s) re-encrypted so far\n"
        f"rotated to master key version 2 (KMS key {kms.key_id}): re-encrypted 5 key(s) in "
        "3 batch(es); retired version(s): 1\n"
    )
    code, out, err = run(capsys, "keys", "status")
    assert code == 0
    lines = out.splitlines()
    assert re.fullmatch(
        r"version 1 +retired +0 key\(s\)  created \S+ \S+, retired \S+ \S+  kms .+", lines[0]
    )
    assert re.fullmatch(
        rf"version 2 +active +5 key\(s\)  created \S+ \S+  kms {kms.key_id}", lines[1]
    )
    for user in users:
        assert key_store.load_user_key(db, keyring, user, "openrouter") == (
            "sk-or-v1-" + user.replace("-", "")
        )
    assert "sk-or-v1-" not in out


def test_init_without_kms_key_id(kms, monkeypatch, capsys):
    monkeypatch.delenv("KMS_KEY_ID")
    assert run(capsys, "keys", "init") == (
        1,
        "",
        "tzurot: error: KMS_KEY_ID is not set: which KMS key should wrap the master key?\n",
    )


def test_rotate_before_init(kms, capsys):
    assert run(capsys, "keys", "rotate") == (
        1,
        "",
        "tzurot: error: no master key to rotate: run `tzurot keys init` first\n",
    )


def test_bad_batch_size_is_a_usage_error(kms, capsys):
    with pytest.raises(SystemExit) as info:
        main(["keys", "rotate", "--batch-size", "0"])
    assert info.value.code == 2
    assert capsys.readouterr().err == (
        "tzurot keys rotate: error: argument --batch-size: must be at least 1 (see --help)\n"
    )


def test_rotate_with_another_key_while_one_is_unfinished_says_so(kms, db, capsys, monkeypatch):
    assert run(capsys, "keys", "init")[0] == 0
    (user,) = [
        row[0]
        for row in db.execute(
            "INSERT INTO users (discord_id) VALUES ('300000000000000009') RETURNING id::text"
        ).fetchall()
    ]
    key_store.store_user_key(db, MasterKeyring(db, kms.client), user, "openai", "sk-" + "q" * 40)
    # An interrupted rotation: version 2 exists, the key still under version 1.
    db.execute("UPDATE app_master_keys SET status = 'previous'")
    db.execute(
        "INSERT INTO app_master_keys (version, wrapped_key, kms_key_id, status)"
        " SELECT 2, wrapped_key, kms_key_id, 'active' FROM app_master_keys WHERE version = 1"
    )
    other = kms.new_key()
    code, out, err = run(capsys, "keys", "rotate", "--kms-key-id", other)
    assert (code, err) == (0, "")
    assert out == (
        "batch 1: 1 key(s) re-encrypted so far\n"
        f"resumed rotation to master key version 2 (KMS key {kms.key_id}): re-encrypted 1 key(s) "
        "in 1 batch(es); retired version(s): 1\n"
        f"note: KMS key {other} was not used: an unfinished rotation was finished first; run "
        "`tzurot keys rotate` again to move to it\n"
    )
    assert key_store.load_user_key(db, MasterKeyring(db, kms.client), user, "openai") == (
        "sk-" + "q" * 40
    )


def test_rotate_with_an_unknown_kms_key_is_one_line(kms, db, capsys):
    assert run(capsys, "keys", "init")[0] == 0
    assert run(capsys, "keys", "rotate", "--kms-key-id", "alias/no-such-key") == (
        1,
        "",
        "tzurot: error: KMS could not generate a master key (NotFoundException): check the KMS "
        "key id, that the key is enabled, and the KMS permissions\n",
    )


@pytest.mark.parametrize("verb", ["init", "rotate", "status"])
def test_a_database_that_is_not_migrated_is_one_line(empty_db_url, monkeypatch, capsys, verb):
    with mock_kms(monkeypatch) as mock:
        monkeypatch.setenv("KMS_KEY_ID", mock.key_id)
        assert run(capsys, "keys", verb) == (
            1,
            "",
            "tzurot: error: this database has no key tables yet: run `tzurot db migrate` first\n",
        )
        assert mock.calls == {}  # nothing made in KMS for a database that cannot keep it
