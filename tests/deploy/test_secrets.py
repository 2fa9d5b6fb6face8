"""Secrets from Secrets Manager and SSM (moto) reach Settings and the database URL."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from tzurot import secrets
from tzurot.config import ConfigError, Settings
from tzurot.db import connection

DB_URL = "postgresql://tzurot:s3cret-pw@db.example.internal:5432/tzurot"
BOT_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.dev-bot-token-for-tests-only"
GUEST_KEY = "sk-or-v1-guestkeyfortestsonly0000000000"
VARIABLES = [
    f"{name}{suffix}"
    for name in secrets.SECRET_NAMES
    for suffix in ("", "_SECRET_ARN", "_PARAMETER")
]


def _clear(monkeypatch: pytest.MonkeyPatch, names: list[str]) -> None:
    """Unset `names` so that teardown also removes what resolve_into writes to os.environ."""
    for name in names:
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch):
    _clear(monkeypatch, [*VARIABLES, "AWS_ENDPOINT_URL", "AWS_PROFILE"])
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    secrets.reset()
    with mock_aws():
        yield
    secrets.reset()


def test_settings_read_secrets_manager_and_ssm(aws, monkeypatch):
    sm = boto3.client("secretsmanager")
    ssm = boto3.client("ssm")
    db_arn = sm.create_secret(Name="tzurot/test/database-url", SecretString=DB_URL)["ARN"]
    bot_arn = sm.create_secret(Name="tzurot/test/bot-token", SecretString=BOT_TOKEN)["ARN"]
    ssm.put_parameter(Name="/tzurot/test/guest-key", Value=GUEST_KEY, Type="SecureString")
    monkeypatch.setenv("DATABASE_URL_SECRET_ARN", db_arn)
    monkeypatch.setenv("DISCORD_BOT_TOKEN_SECRET_ARN", bot_arn)
    monkeypatch.setenv("TZUROT_GUEST_API_KEY_PARAMETER", "/tzurot/test/guest-key")
    monkeypatch.setenv("TZUROT_GUEST_PROVIDER", "openrouter")
    monkeypatch.setenv("TZUROT_GUEST_MODEL", "x/y")

    settings = Settings.from_env()

    assert settings.database_url == DB_URL
    assert settings.discord_bot_token == BOT_TOKEN
    assert settings.guest_api_key == GUEST_KEY
    assert settings.guest_mode_enabled is True
    # The repr (and so any log of Settings) still hides them.
    assert "s3cret" not in repr(settings) and GUEST_KEY not in repr(settings)


def test_database_url_resolves_the_reference(aws, monkeypatch):
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name="/tzurot/test/database-url", Value=DB_URL, Type="SecureString")
    monkeypatch.setenv("DATABASE_URL_PARAMETER", "/tzurot/test/database-url")

    assert connection.database_url() == DB_URL


def test_catalog_keys_resolve_from_a_secret(aws, monkeypatch):
    from tzurot.catalog.refresh import operator_keys

    value = '{"openai": "sk-proj-catalog0123", "google": "AIzaCatalogKey0123"}'
    arn = boto3.client("secretsmanager").create_secret(Name="tzurot/catalog", SecretString=value)
    monkeypatch.setenv("TZUROT_CATALOG_KEYS_SECRET_ARN", arn["ARN"])

    assert operator_keys() == {"openai": "sk-proj-catalog0123", "google": "AIzaCatalogKey0123"}


def test_values_are_cached_until_max_age(aws, monkeypatch):
    sm = boto3.client("secretsmanager")
    arn = sm.create_secret(Name="tzurot/test/rotating", SecretString="postgresql://a@h/one")["ARN"]
    monkeypatch.setenv("DATABASE_URL_SECRET_ARN", arn)
    env: dict[str, str] = {"DATABASE_URL_SECRET_ARN": arn}

    assert secrets.resolve_into(env) == ["DATABASE_URL"]
    sm.put_secret_value(SecretId=arn, SecretString="postgresql://a@h/two")
    secrets.resolve_into(env)
    assert env["DATABASE_URL"] == "postgresql://a@h/one"  # cached, no second call

    secrets.reset()  # what max_age expiry amounts to
    secrets.resolve_into(env)
    assert env["DATABASE_URL"] == "postgresql://a@h/two"


def test_plain_variables_need_no_aws(monkeypatch):
    _clear(monkeypatch, VARIABLES)
    monkeypatch.setenv("DATABASE_URL", DB_URL)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # would fail if called
    secrets.reset()

    assert secrets.resolve_into() == []
    assert Settings.from_env().database_url == DB_URL


def test_missing_secret_is_one_line_without_value(aws):
    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:tzurot/none-AbCdEf"
    env = {"DISCORD_BOT_TOKEN_SECRET_ARN": arn}

    with pytest.raises(secrets.SecretUnavailable) as caught:
        secrets.resolve_into(env)

    assert str(caught.value) == (
        f"could not read DISCORD_BOT_TOKEN from Secrets Manager ({arn}): ResourceNotFoundException"
    )
    assert "DISCORD_BOT_TOKEN" not in env


def test_missing_parameter_names_the_store(aws):
    env = {"DATABASE_URL_PARAMETER": "/tzurot/none"}

    with pytest.raises(secrets.SecretUnavailable) as caught:
        secrets.resolve_into(env)

    assert str(caught.value) == (
        "could not read DATABASE_URL from SSM Parameter Store (/tzurot/none): ParameterNotFound"
    )


def test_both_references_is_a_config_error():
    env = {"DATABASE_URL_SECRET_ARN": "arn:x", "DATABASE_URL_PARAMETER": "/x"}

    with pytest.raises(ConfigError) as caught:
        secrets.resolve_into(env)

    assert str(caught.value) == (
        "set either DATABASE_URL_SECRET_ARN or DATABASE_URL_PARAMETER, not both"
    )


def test_empty_secret_is_rejected(aws):
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name="/tzurot/test/blank", Value=" ", Type="SecureString")

    with pytest.raises(secrets.SecretUnavailable, match=r"^DATABASE_URL from SSM .* is empty$"):
        secrets.resolve_into({"DATABASE_URL_PARAMETER": "/tzurot/test/blank"})


def test_no_region_is_one_line_with_the_fix(monkeypatch, tmp_path):
    """An operator machine without a region: the CLI says what to set, not "internal error"."""
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    secrets.reset()
    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:tzurot/bot-token-AbCdEf"

    with pytest.raises(secrets.SecretUnavailable) as caught:
        secrets.resolve_into({"DISCORD_BOT_TOKEN_SECRET_ARN": arn})

    assert str(caught.value) == (
        f"could not read DISCORD_BOT_TOKEN from Secrets Manager ({arn}): "
        "NoRegionError (set AWS_DEFAULT_REGION, or `region` in your AWS profile; "
        "boto3 ignores AWS_REGION)"
    )
    secrets.reset()
