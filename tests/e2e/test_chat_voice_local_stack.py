"""`tzurot dev --discord-sink` plays the whole voice path: `tzurot simulate chat` through the
local endpoint, moto's SQS and the generate worker, a loopback OpenRouter for the text and a
loopback ElevenLabs for the speech (a real MP3), and the sink, which saves the attached audio
to its folder and prints the path."""

from __future__ import annotations

import os
import time

from tests.e2e.local_stack import full_stack
from tests.fakes.providers import FakeElevenLabs, FakeOpenRouter
from tzurot.cli.main import main
from tzurot.commands.streamed_answer import CURSOR
from tzurot.crypto.key_store import store_user_key
from tzurot.crypto.master_key import MasterKeyring
from tzurot.dev import simulator
from tzurot.dev.audio import FAKE_MP3, frames
from tzurot.dev.stack import InteractionsServer
from tzurot.dev.workers import DiscordSinkServer

OPENROUTER_KEY = "sk-or-v1-localStackVoiceKey0123456789abc"
ELEVENLABS_KEY = "sk_localStackVoiceKey0123456789abcdef0123456789"


def test_simulate_chat_speaks_through_the_local_stack(local_env, db, capsys):
    pid = db.execute(
        "INSERT INTO personalities (name, slug) VALUES ('Lilith', 'lilith') RETURNING id"
    ).fetchone()[0]
    config = db.execute(
        "INSERT INTO llm_configs (name, provider, model) "
        "VALUES ('lilith', 'openrouter', 'x/y') RETURNING id"
    ).fetchone()[0]
    db.execute(
        "INSERT INTO personality_default_configs (personality_id, llm_config_id) VALUES (%s, %s)",
        (pid, config),
    )
    db.execute(
        "INSERT INTO voice_configs (personality_id, enabled, voice_id) VALUES (%s, true, 'v1')",
        (pid,),
    )
    text = FakeOpenRouter(valid_keys=[OPENROUTER_KEY])
    speech = FakeElevenLabs(valid_keys=[ELEVENLABS_KEY])
    echoed: list[str] = []
    with text.serve() as text_url, speech.serve() as speech_url:
        os.environ.update(OPENROUTER_BASE_URL=text_url, ELEVENLABS_BASE_URL=speech_url)
        text.queue_reply(text="Listen closely.")
        sink = DiscordSinkServer(0, echo=echoed.append)
        stack = full_stack(local_env, sink)
        with stack.running():
            user_id = db.execute(
                "INSERT INTO users (discord_id, username) VALUES (%s, 'dev-user') RETURNING id",
                (simulator.Identity.user_id,),
            ).fetchone()[0]
            keyring = MasterKeyring(db)
            store_user_key(db, keyring, user_id, "openrouter", OPENROUTER_KEY)
            store_user_key(db, keyring, user_id, "elevenlabs", ELEVENLABS_KEY)
            code = main(
                ["simulate", "--url", stack.get(InteractionsServer).url, "--sink-url",
                 sink.base_url, "--wait", "20", "chat", "lilith", "speak to me"]
            )  # fmt: skip
            deadline = time.monotonic() + 20
            # The voice follows the text (the streamed answer's progressive edits aside).
            while len(settled(echoed)) < 3 and time.monotonic() < deadline:
                time.sleep(0.1)

    assert code == 0
    assert speech.last_request.json["text"] == "Listen closely."
    (path,) = (local_env / "sink-files").iterdir()
    assert path.name.endswith("-lilith.mp3")
    assert path.read_bytes() == FAKE_MP3 and len(frames(path.read_bytes())) == 20
    text_edit, saved, voice_edit = settled(echoed)
    assert text_edit.endswith("[embed: Lilith]\n  Listen closely.")
    assert saved == f"[discord] saved lilith.mp3 ({len(FAKE_MP3)} bytes): {path}"
    assert voice_edit.endswith(f"[file: lilith.mp3, audio/mpeg, {len(FAKE_MP3)} bytes]")
    rows = db.execute("SELECT provider, tokens_in, request_type FROM usage_logs ORDER BY id")
    assert rows.fetchall()[-1] == ("elevenlabs", len("Listen closely."), "voice")


def settled(echoed: list[str]) -> list[str]:
    """What the sink printed, without the edits made while the answer streamed."""
    return [line for line in echoed if not line.endswith(CURSOR)]
