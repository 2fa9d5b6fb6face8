"""`tzurot dev` and `tzurot simulate` together: the local stack serves the real endpoint over HTTP,
with moto's server mode for SQS and KMS, and simulate's signed requests land as jobs."""

from __future__ import annotations

import json
import os
import re

import boto3
import pytest

from tzurot.cli.main import main
from tzurot.crypto.transit import open_modal_secret, open_token
from tzurot.crypto.transit_keys import TransitKeyring
from tzurot.db.connection import connect
from tzurot.dev.stack import (
    AwsEmulator,
    Database,
    DiscordKey,
    InteractionsServer,
    LocalStack,
    MasterKey,
    TransitKey,
)
from tzurot.discord import endpoint
from tzurot.jobs import queue
from tzurot.jobs.model import Job


@pytest.fixture
def isolated_env(db_url, tmp_path, monkeypatch):
    """The stack exports variables into os.environ; put everything back afterwards."""
    saved = dict(os.environ)
    monkeypatch.delenv("DISCORD_PUBLIC_KEY", raising=False)
    monkeypatch.setattr("tzurot.db.embedded.STATE_DIR", tmp_path)
    yield tmp_path
    os.environ.clear()
    os.environ.update(saved)
    for reset in (queue.reset_client, endpoint.reset_default_endpoint):
        reset()


def test_dev_once_starts_everything_and_answers_a_signed_ping(isolated_env, capsys):
    assert main(["dev", "--once", "--port", "0"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "database: PostgreSQL from DATABASE_URL"
    assert out[1] == "migrations: 0 applied now, schema up to date"
    assert out[2].startswith("aws: moto on http://127.0.0.1:")
    assert out[3].startswith("queue generate: http://127.0.0.1:")
    assert out[3].endswith("/tzurot-generate (DLQ after 3)")
    assert out[4].endswith("/tzurot-image (DLQ after 3)")
    assert out[5].startswith("kms key: ")
    assert out[6] == "master key: version 1 created"
    assert re.fullmatch(r"transit key: t[0-9a-f]{8} created", out[7])
    key_file = isolated_env / "dev-ed25519.key"
    assert out[8].startswith(f"discord public key (dev pair, private half in {key_file}): ")
    for secret_file in (key_file, isolated_env / "dev-kms-key.json"):
        assert oct(secret_file.stat().st_mode & 0o777) == "0o600"
    assert out[9].startswith("interactions: POST http://127.0.0.1:")
    assert out[10].startswith("worker generate: polling http://127.0.0.1:")
    assert out[-1] == "self-check: signed PING -> PONG"

    # A restart keeps the KMS key, so the master key stored in the database still unwraps.
    del os.environ["DISCORD_PUBLIC_KEY"]  # as in a new process: the dev pair is loaded again
    assert main(["dev", "--once", "--port", "0"]) == 0
    again = capsys.readouterr().out.splitlines()
    assert again[5] == out[5]
    assert again[6] == "master key: version 1 in place"
    assert again[7] == out[7].replace("created", "in place")  # the same transit key
    assert again[8] == out[8]  # the same dev key pair


def test_master_key_unwraps_after_a_restart(isolated_env):
    from tzurot.crypto.master_key import MasterKeyring, forget_unwrapped_keys
    from tzurot.db.connection import connect

    def stack() -> LocalStack:
        return LocalStack([Database(), AwsEmulator(0), MasterKey()])

    with stack().running(), connect() as conn:
        forget_unwrapped_keys()
        first = MasterKeyring(conn).active()
    with stack().running(), connect() as conn:
        forget_unwrapped_keys()
        assert MasterKeyring(conn).active() == first
    assert first[0] == 1 and len(first[1]) == 32


def test_dev_reports_a_busy_port_in_one_line(isolated_env, capsys):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["dev", "--once", "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"tzurot: error: port {port} on 127.0.0.1 is in use; "
        "choose another with --port PORT (0: any free port)\n"
    )


@pytest.fixture
def stack(isolated_env):
    parts = LocalStack(
        [
            Database(),
            AwsEmulator(0, isolated_env),
            MasterKey(),
            TransitKey(),
            DiscordKey(isolated_env),
            InteractionsServer(0),
        ]
    )
    with parts.running():
        yield parts


def simulate(stack: LocalStack, capsys, *args: str) -> tuple[int, str, dict | None]:
    url = stack.get(InteractionsServer).url
    # --wait 0: no waiting for worker replies (none run here, and a sink another process runs
    # on the default port must not be polled).
    code = main(["simulate", "--url", url, "--wait", "0", *args])
    out = capsys.readouterr().out
    status, _, rest = out.partition("\n")
    return code, status, json.loads(rest) if rest.strip().startswith("{") else None


def received(stack: LocalStack, kind: str) -> list[Job]:
    sqs = boto3.client("sqs")
    url = stack.get(AwsEmulator).queue_urls[kind]
    reply = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
    return [Job.from_message(m["Body"]) for m in reply.get("Messages", [])]


def test_simulate_chat_ping_and_wallet_through_the_local_stack(stack, capsys):
    assert simulate(stack, capsys, "ping") == (0, "HTTP 200", {"type": 1})
    assert simulate(stack, capsys, "chat", "lilith", "hi") == (0, "HTTP 200", {"type": 5})
    (job,) = received(stack, "generate")
    assert (job.command, job.options, job.user_id, job.guild_id) == (
        "chat",
        {"personality": "lilith", "message": "hi"},
        "100000000000000001",
        None,
    )
    code, status, modal = simulate(stack, capsys, "command", "wallet", "set", "provider=openai")
    assert (code, status, modal["type"], modal["data"]["custom_id"]) == (
        0,
        "HTTP 200",
        9,
        "wallet-set:openai",
    )
    key = "sk-proj-0123456789abcdefghij"
    assert simulate(stack, capsys, "modal", "wallet-set:openai", f"api_key={key}") == (
        0,
        "HTTP 200",
        {"type": 5, "data": {"flags": 64}},
    )
    (wallet,) = received(stack, "generate")
    assert key not in wallet.model_dump_json()
    context = {"user_id": wallet.user_id, "provider": "openai"}
    with connect() as conn:
        transit = TransitKeyring(conn, boto3.client("kms"))
        opened = open_modal_secret(
            transit, wallet.sealed_key, interaction_id=wallet.interaction_id, **context
        )
        assert opened == key
        token = open_token(
            transit, job.token_sealed, interaction_id=job.interaction_id, user_id=job.user_id
        )
    assert token.startswith("dev-") and len(token) > 100
    assert simulate(stack, capsys, "command", "imagine", "prompt=a fox", "size=1024x1024")[2] == {
        "type": 5
    }
    assert [j.options for j in received(stack, "image")] == [
        {"prompt": "a fox", "size": "1024x1024"}
    ]


def test_simulate_errors_are_one_line(stack, capsys):
    assert main(["simulate", "--url", "http://127.0.0.1:9/interactions", "ping"]) == 1
    assert capsys.readouterr().err == (
        "tzurot: error: could not reach http://127.0.0.1:9/interactions (ConnectError); "
        "is `tzurot dev` running?\n"
    )
    assert main(["simulate", "command", "dance"]) == 1
    assert capsys.readouterr().err.startswith("tzurot: error: unknown command /dance; known: chat")
    assert main(["simulate", "command", "config", "set-param", "value=warm"]) == 1
    assert capsys.readouterr().err == ("tzurot: error: option value needs a number, got 'warm'\n")


def test_simulate_signing_with_another_key_gets_401_and_a_hint(stack, isolated_env, capsys):
    (isolated_env / "dev-ed25519.key").write_text("07" * 32 + "\n")  # not the served key
    url = stack.get(InteractionsServer).url
    assert main(["simulate", "--url", url, "--wait", "0", "ping"]) == 1
    out, err = capsys.readouterr()
    assert out == "HTTP 401\n\n"
    assert err == (
        "the endpoint rejected the signature: is it running with the dev key "
        "(DISCORD_PUBLIC_KEY unset), and is this the same .tzurot/ folder?\n"
    )


def test_dev_refuses_a_malformed_public_key_in_one_line(isolated_env, monkeypatch, capsys):
    monkeypatch.setenv("DISCORD_PUBLIC_KEY", "abc")
    assert main(["dev", "--once", "--port", "0"]) == 1
    out, err = capsys.readouterr()
    assert err == "tzurot: error: DISCORD_PUBLIC_KEY must be 64 hex characters\n"
    assert "interactions: POST" not in out


@pytest.mark.parametrize("flag", ["--port", "--aws-port", "--sink-port"])
def test_dev_port_out_of_range_is_a_usage_error(flag, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["dev", "--once", flag, "70000"])
    assert exited.value.code == 2
    assert capsys.readouterr().err == (
        f"tzurot dev: error: argument {flag}: a port is a number from 0 to 65535, got '70000' "
        "(see --help)\n"
    )


def test_a_busy_sink_port_names_its_option(isolated_env, capsys):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(["dev", "--once", "--port", "0", "--discord-sink", "--sink-port", str(port)])
    assert code == 1
    assert capsys.readouterr().err == (
        f"tzurot: error: port {port} on 127.0.0.1 is in use; "
        "choose another with --sink-port PORT (0: any free port)\n"
    )
