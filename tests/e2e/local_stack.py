"""The `tzurot dev --discord-sink` stack as end-to-end tests run it, in this process.

`local_env` points the dev state folder at a temporary one and restores the environment and the
container-wide clients afterwards (the stack exports AWS and queue variables as it starts);
`full_stack` is every part `tzurot dev --discord-sink` starts, on ephemeral ports.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.chat_stack import close_keepalive_clients
from tzurot.dev.stack import (
    AwsEmulator,
    Database,
    DiscordKey,
    InteractionsServer,
    LocalStack,
    MasterKey,
    TransitKey,
)
from tzurot.dev.workers import DiscordSinkServer, Workers
from tzurot.discord import endpoint
from tzurot.jobs import queue


@pytest.fixture
def local_env(db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    saved = dict(os.environ)
    for name in ("DISCORD_PUBLIC_KEY", "DISCORD_APPLICATION_ID", "DISCORD_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("tzurot.db.embedded.STATE_DIR", tmp_path)
    yield tmp_path
    os.environ.clear()
    os.environ.update(saved)
    close_keepalive_clients()
    for reset in (queue.reset_client, endpoint.reset_default_endpoint):
        reset()


def full_stack(state_dir: Path, sink: DiscordSinkServer) -> LocalStack:
    return LocalStack(
        [
            Database(),
            AwsEmulator(0, state_dir),
            MasterKey(),
            TransitKey(),
            DiscordKey(state_dir),
            sink,
            InteractionsServer(0),
            Workers(wait_seconds=1),
        ]
    )
