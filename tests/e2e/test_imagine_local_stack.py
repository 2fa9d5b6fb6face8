"""`tzurot dev --discord-sink` polls the image queue too: `tzurot simulate command imagine ...`
goes through the local endpoint, moto's SQS, the image worker, a loopback provider, and lands
in the sink as a message with the uploaded file."""

from __future__ import annotations

import os

from tests.e2e.local_stack import full_stack
from tests.fakes.providers import FAKE_PNG, FakeOpenRouter
from tzurot.cli.main import main
from tzurot.crypto.key_store import store_user_key
from tzurot.crypto.master_key import MasterKeyring
from tzurot.dev import simulator
from tzurot.dev.stack import (
    AwsEmulator,
    InteractionsServer,
)
from tzurot.dev.workers import DiscordSinkServer

KEY = "sk-or-v1-localStackImageKey0123456789abc"


def test_simulate_imagine_uploads_through_the_local_image_worker(local_env, db, capsys):
    fake = FakeOpenRouter(valid_keys=[KEY])
    echoed: list[str] = []
    with fake.serve() as base_url:
        os.environ["OPENROUTER_BASE_URL"] = base_url
        sink = DiscordSinkServer(0, echo=echoed.append)
        stack = full_stack(local_env, sink)
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
    saved, message = echoed
    (path,) = (local_env / "sink-files").iterdir()
    assert path.name.endswith("-image.png") and path.read_bytes() == FAKE_PNG
    assert saved == f"[discord] saved image.png ({len(FAKE_PNG)} bytes): {path}"
    assert message.startswith("[discord] edit original of interaction ")
    assert message.endswith(
        "  [embed]\n  a lighthouse\n    — OpenRouter · google/gemini-2.5-flash-image\n"
        f"  [file: image.png, image/png, {len(FAKE_PNG)} bytes]"
    )
    row = db.execute("SELECT provider, tokens_out, request_type FROM usage_logs").fetchone()
    assert row == ("openrouter", 1000, "image")
