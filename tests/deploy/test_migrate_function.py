"""The in-account runner (functions/migrate) runs the CLI's db verbs against a real database."""

from __future__ import annotations

import psycopg
import pytest

from tests.deploy.handlers import FUNCTIONS_DIR, load_app
from tzurot.db.migrations import discover


@pytest.fixture(scope="module")
def migrate():
    return load_app("migrate").handler


def test_packaged_migrations_are_the_repository_files():
    packaged = FUNCTIONS_DIR / "migrate" / "migrations"
    assert packaged.is_symlink()
    assert packaged.resolve() == (FUNCTIONS_DIR.parent / "db" / "migrations").resolve()


def test_migrate_status_and_rollback_on_an_empty_database(migrate, empty_db_url):
    labels = [m.label for m in discover()]

    result = migrate({"command": "db migrate"}, None)

    assert result == {
        "command": "db migrate",
        "exit_code": 0,
        "stdout": "".join(f"applied {label}\n" for label in labels),
        "stderr": "",
    }
    with psycopg.connect(empty_db_url) as conn:
        applied = [row[0] for row in conn.execute("SELECT version FROM schema_migrations")]
    assert sorted(applied) == [m.version for m in discover()]

    status = migrate({"command": "db status"}, None)
    assert status["exit_code"] == 0
    assert [line.split()[0] for line in status["stdout"].splitlines()] == labels
    assert all(" applied " in line for line in status["stdout"].splitlines())

    again = migrate({"command": "db migrate"}, None)
    assert again["stdout"] == "database is up to date\n"

    undone = migrate({"command": f"db rollback --to {discover()[-2].version}"}, None)
    assert undone["exit_code"] == 0
    assert undone["stdout"] == f"rolled back {labels[-1]}\n"


@pytest.mark.parametrize(
    ("event", "stderr"),
    [
        ({}, 'tzurot: error: no command given: send {"command": "db migrate"} (verbs: db, keys)\n'),
        (
            {"command": "dev --once"},
            "tzurot: error: 'dev' does not run here: "
            'send {"command": "db migrate"} (verbs: db, keys)\n',
        ),
        (
            {"command": "db 'unclosed"},
            "tzurot: error: cannot parse the command (No closing quotation)\n",
        ),
    ],
)
def test_refused_commands(migrate, event, stderr):
    result = migrate(event, None)

    assert result["exit_code"] == 2
    assert result["stdout"] == ""
    assert result["stderr"] == stderr


def test_usage_error_is_one_line(migrate):
    result = migrate({"command": "db frobnicate"}, None)

    assert result["exit_code"] == 2
    assert result["stderr"].count("\n") == 1
    assert result["stderr"].startswith(
        "tzurot db: error: argument db_verb: invalid choice: 'frobnicate'"
    )


def test_unreachable_database_is_one_line(migrate, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody:pw@127.0.0.1:9/none?connect_timeout=2")

    result = migrate({"command": "db status"}, None)

    assert result["exit_code"] == 1
    assert result["stderr"].startswith("tzurot: error: database unreachable: ")
    assert result["stderr"].count("\n") == 1
    assert "pw@" not in result["stderr"]


def test_keys_init_and_status_run_in_account(migrate, db_url, monkeypatch):
    from moto import mock_aws

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        import boto3

        key_arn = boto3.client("kms").create_key()["KeyMetadata"]["Arn"]
        monkeypatch.setenv("KMS_KEY_ID", key_arn)

        init = migrate({"command": "keys init"}, None)
        again = migrate({"command": "keys init"}, None)
        status = migrate({"command": "keys status"}, None)

    assert (init["exit_code"], init["stderr"]) == (0, "")
    assert again["exit_code"] == 1 and again["stderr"].startswith("tzurot: error: ")
    assert status["exit_code"] == 0
    with psycopg.connect(db_url) as conn:
        rows = conn.execute("SELECT version, status, kms_key_id FROM app_master_keys").fetchall()
    assert rows == [(1, "active", key_arn)]
    assert "1" in status["stdout"] and "active" in status["stdout"]
