"""The functions as deployed: each handler gets exactly the environment template.yaml gives it
(secrets as references only, never as values), the events/ samples, a real database and moto.

    interactions  autocomplete sample  -> database URL read from Secrets Manager -> choices
                  /chat sample         -> the job on SQS is events/sqs-generate.json's (its sealed
                                          token aside)
    generate      that SQS job         -> database URL, bot token and guest key read from
                                          Secrets Manager -> fake OpenRouter -> fake Discord
    migrate       {"command": "db status"} with the database URL in SSM Parameter Store

So a function that read a plain DATABASE_URL (which Lambda never has) instead of going
through tzurot.secrets would fail here.
"""

from __future__ import annotations

import hashlib
import json
import os
import time

import boto3
import pytest

from tests.deploy import template as tpl
from tests.deploy.handlers import load_app
from tests.deploy.test_events import make_events
from tests.e2e import chat_stack
from tests.e2e.chat_stack import GUEST_KEY, PERSONALITIES
from tests.fakes.discord import BOT_TOKEN
from tzurot import secrets
from tzurot.db import connection
from tzurot.db.migrations import discover
from tzurot.discord import endpoint
from tzurot.jobs.model import Job

# The template's conditions for a stack with every optional secret set, in Secrets Manager.
SECRETS_MANAGER = {
    "UseSsm": False,
    "HasBotToken": True,
    "HasGuestKey": True,
    "UseVpc": False,
    "UseSnapStart": False,
    "UseProvisioned": False,
    "HasAlarmEmail": False,
}
SECRET_VALUES = ("DATABASE_URL", "DISCORD_BOT_TOKEN", "TZUROT_GUEST_API_KEY")

# The /chat rig's fixtures (tests/e2e/chat_stack.py), requested by these names below.
chat = chat_stack.chat
chat_servers = chat_stack.chat_servers


def template_references(function: str, conditions: dict[str, bool]) -> dict[str, str]:
    """The secret reference variables template.yaml sets for `function` (name -> the parameter
    that fills it)."""
    variables = tpl.function(tpl.load(), function, conditions)["Environment"]["Variables"]
    return {
        name: value["Ref"]
        for name, value in variables.items()
        if name.endswith(("_SECRET_ARN", "_PARAMETER")) and isinstance(value, dict)
    }


def _unset_with_teardown(monkeypatch: pytest.MonkeyPatch, names) -> None:
    """Unset `names` now and after the test (tzurot.secrets writes the resolved values)."""
    for name in names:
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)


def store_secrets(values: dict[str, str], conditions: dict[str, bool]) -> dict[str, str]:
    """Put `values` (by template parameter) in Secrets Manager or SSM, as an operator does
    before the first deploy; returns what each parameter is set to (an ARN or a name)."""
    if conditions["UseSsm"]:
        ssm = boto3.client("ssm")
        for parameter, value in values.items():
            ssm.put_parameter(Name=f"/tzurot/test/{parameter}", Value=value, Type="SecureString")
        return {parameter: f"/tzurot/test/{parameter}" for parameter in values}
    sm = boto3.client("secretsmanager")
    return {
        parameter: sm.create_secret(Name=f"tzurot/test/{parameter}", SecretString=value)["ARN"]
        for parameter, value in values.items()
    }


def set_references(monkeypatch, function: str, locations: dict[str, str], conditions) -> None:
    """The reference variables the stack gives `function`, pointing at `locations`."""
    for variable, parameter in template_references(function, conditions).items():
        monkeypatch.setenv(variable, locations[parameter])


@pytest.fixture
def deployed(chat, db_url, monkeypatch):
    """The chat rig's world (moto, real database, fakes) with the functions' secrets moved
    out of the environment into Secrets Manager."""
    _unset_with_teardown(
        monkeypatch,
        [
            f"{name}{suffix}"
            for name in SECRET_VALUES
            for suffix in ("", "_SECRET_ARN", "_PARAMETER")
        ],
    )
    monkeypatch.setenv("DISCORD_PUBLIC_KEY", make_events.DEV_PUBLIC_KEY)
    monkeypatch.setenv("TZUROT_GUEST_PROVIDER", "openrouter")
    monkeypatch.setenv("TZUROT_GUEST_MODEL", "meta-llama/llama-3.1-8b-instruct")
    secrets.reset()
    connection.reset_shared_connection()
    endpoint.reset_default_endpoint()
    chat.database_url = db_url  # what the stack's secret holds
    yield chat
    secrets.reset()
    connection.reset_shared_connection()
    endpoint.reset_default_endpoint()


def test_template_gives_each_function_only_references():
    assert template_references("InteractionsFunction", SECRETS_MANAGER) == {
        "DATABASE_URL_SECRET_ARN": "DatabaseUrlSecret"
    }
    for worker in ("GenerateFunction", "ImageFunction"):
        assert template_references(worker, SECRETS_MANAGER) == {
            "DATABASE_URL_SECRET_ARN": "DatabaseUrlSecret",
            "DISCORD_BOT_TOKEN_SECRET_ARN": "BotTokenSecret",
            "TZUROT_GUEST_API_KEY_SECRET_ARN": "GuestApiKeySecret",
        }
    assert template_references("MigrateFunction", {**SECRETS_MANAGER, "UseSsm": True}) == {
        "DATABASE_URL_PARAMETER": "DatabaseUrlSecret"
    }


def test_interactions_and_generate_run_on_secrets_from_secrets_manager(deployed, monkeypatch):
    rig = deployed
    assert "DATABASE_URL" not in os.environ  # nothing but references from here on
    values = {
        "DatabaseUrlSecret": rig.database_url,
        "BotTokenSecret": BOT_TOKEN,
        "GuestApiKeySecret": GUEST_KEY,
    }
    locations = store_secrets(values, SECRETS_MANAGER)
    # The interactions function's environment: the database URL reference only.
    set_references(monkeypatch, "InteractionsFunction", locations, SECRETS_MANAGER)
    interactions = load_app("interactions").handler
    events = make_events.build(int(time.time()))

    typed = interactions(events["interactions-autocomplete"], None)

    assert (typed["statusCode"], json.loads(typed["body"])) == (
        200,
        {"type": 8, "data": {"choices": [{"name": "Lilith", "value": "lilith"}]}},
    )
    assert os.environ["DATABASE_URL"] == rig.database_url  # resolved, not given

    deferred = interactions(events["interactions-chat"], None)

    assert (deferred["statusCode"], json.loads(deferred["body"])) == (200, {"type": 5})
    (queued,) = rig.receive()
    sample = events["sqs-generate"]
    # The sample's job, but for the sealed token: the function seals to the stack's transit key
    # (a fresh ephemeral key each time); the sample to a published key no database holds. So
    # the worker gets the sample record with the body that was really queued.
    exclude = {"token_sealed"}
    assert Job.from_message(queued["Body"]).model_dump(exclude=exclude) == Job.from_message(
        sample["Records"][0]["body"]
    ).model_dump(exclude=exclude)
    record = {
        **sample["Records"][0],
        "body": queued["Body"],
        "md5OfBody": hashlib.md5(queued["Body"].encode()).hexdigest(),
    }

    # A new container of the generate function: references for all three secrets.
    _unset_with_teardown(monkeypatch, SECRET_VALUES)
    secrets.reset()
    set_references(monkeypatch, "GenerateFunction", locations, SECRETS_MANAGER)
    fake = rig.provider("openrouter")
    fake.queue_reply(text="I am Lilith, and you are a guest here.", tokens_in=40, tokens_out=9)

    assert load_app("generate").handler({"Records": [record]}, None) == {"batchItemFailures": []}

    # The guest key came from Secrets Manager and went to the provider.
    assert fake.last_request.headers["authorization"] == f"Bearer {GUEST_KEY}"
    assert fake.last_request.json["model"] == "meta-llama/llama-3.1-8b-instruct"
    interaction = json.loads(events["interactions-chat"]["body"])
    (reply,) = rig.calls(interaction["token"])
    assert reply.line == (
        f"PATCH /webhooks/{make_events.APPLICATION_ID}/{interaction['token']}/messages/@original"
    )
    assert reply.json["embeds"][0]["author"]["name"] == PERSONALITIES["lilith"][0]
    assert reply.json["embeds"][0]["description"] == "I am Lilith, and you are a guest here."
    # The database (its URL from Secrets Manager) has the job's rows.
    assert rig.usage_rows() == [
        (
            make_events.USER["id"],
            "lilith",
            "openrouter",
            "meta-llama/llama-3.1-8b-instruct",
            40,
            9,
            49,
            "text",
            "guest",
        )
    ]
    assert rig.status(interaction["id"]) == ("done", 1)
    assert {name: os.environ[name] for name in SECRET_VALUES} == {
        "DATABASE_URL": rig.database_url,
        "DISCORD_BOT_TOKEN": BOT_TOKEN,
        "TZUROT_GUEST_API_KEY": GUEST_KEY,
    }


def test_migrate_reads_the_database_url_from_ssm(deployed, monkeypatch):
    conditions = {**SECRETS_MANAGER, "UseSsm": True}
    locations = store_secrets({"DatabaseUrlSecret": deployed.database_url}, conditions)
    set_references(monkeypatch, "MigrateFunction", locations, conditions)
    assert os.environ["DATABASE_URL_PARAMETER"] == "/tzurot/test/DatabaseUrlSecret"

    result = load_app("migrate").handler({"command": "db status"}, None)

    assert (result["exit_code"], result["stderr"]) == (0, "")
    assert [line.split()[0] for line in result["stdout"].splitlines()] == [
        m.label for m in discover()
    ]
    assert all(" applied " in line for line in result["stdout"].splitlines())
