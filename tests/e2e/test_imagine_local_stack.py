"""`tzurot dev --discord-sink` polls the image queue too: `tzurot simulate command imagine ...`
goes through the local endpoint, moto's SQS, the image worker, a loopback provider, and lands
in the sink as a message with the uploaded file."""

from __future__ import annotations

import os

import pytest

from tests.e2e.chat_stack import close_keepalive_clients
from tests.fakes.providers import FAKE_PNG, FakeOpenRouter
from tzurot.cli.main import main
from tzurot.crypto.key_store import store_user_key
from tzurot.crypto.master_key import MasterKeyring
from tzurot.dev import simulator
from tzurot.dev.stack import (
    AwsEmulator,
    Database,
    DiscordKey,
    InteractionsServer,
    LocalStack,
    MasterKey,
)
from tzurot.dev.workers import DiscordSinkServer, Workers
from tzurot.discord import endpoint, sealing
from tzurot.jobs import queue

KEY = "sk-or-v1-localStackImageKey0123456789abc"


@pytest.fixture
def local_env(db, tmp_path, monkeypatch):
    saved = dict(os.environ)
    for name in ("DISCORD_PUBLIC_KEY", "DISCORD_APPLICATION_ID", "DISCORD_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("tzurot.db.embedded.STATE_DIR", tmp_path)
    yield tmp_path
    os.environ.clear()
    os.environ.update(saved)
    close_keepalive_clients()
    for reset in (queue.reset_client, sealing.reset_client, endpoint.reset_default_endpoint):
        reset()


def test_simulate_imagine_uploads_through_the_local_image_worker(local_env, db, capsys):
    fake = FakeOpenRouter(valid_keys=[KEY])
    echoed: list[str] = []
    with fake.serve() as base_url:
        os.environ["OPENROUTER_BASE_URL"] = base_url
        sink = DiscordSinkServer(0, echo=echoed.append)
        stack = LocalStack(
            [
                Database(),
                AwsEmulator(0, local_env),
                MasterKey(),
                DiscordKey(local_env),
                sink,
                InteractionsServer(0),
                Workers(wait_seconds=1),
            ]
        )
        with stack.running():
            image_url = stack.get(AwsEmulator).queue_urls["image"]
            assert f"worker image: polling {image_url}" in stack.lines
            user_id = db.execute(
                "INSERT INTO users (discord_id, username) VALUES (%s, 'dev-user') RETURNING id",
                (simulator.Identity.user_id,),
            ).fetchone()[0]
            store_user_key(db, MasterKeyring(db), user_id, "openrouter", KEY)
            capsys.readouterr()
            code = main(
                ["simulate", "--url", stack.get(InteractionsServer).url, "--sink-url",
                 sink.base_url, "--wait", "20", "command", "imagine", "prompt=a lighthouse"]
            )  # fmt: skip
            out = capsys.readouterr().out

    assert code == 0
    assert [line for line in out.splitlines() if not line.startswith('{"')] == [
        "HTTP 200",
        "{",
        '  "type": 5',
        "}",
        "--- original",
        "a lighthouse",
        "(image: attachment://image.png)",
        "OpenRouter · google/gemini-2.5-flash-image",
        "(file: image.png)",
    ]
    assert fake.last_request.json["modalities"] == ["image", "text"]
    (message,) = echoed
    assert message.startswith("[discord] edit original of interaction ")
    assert message.endswith(
        "  [embed]\n  a lighthouse\n    — OpenRouter · google/gemini-2.5-flash-image\n"
        f"  [file: image.png, image/png, {len(FAKE_PNG)} bytes]"
    )
    row = db.execute("SELECT provider, tokens_out, request_type FROM usage_logs").fetchone()
    assert row == ("openrouter", 1000, "image")
