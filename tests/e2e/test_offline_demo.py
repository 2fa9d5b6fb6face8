"""`tzurot dev --fake-providers`: the offline demo. The provider fakes answer on loopback (any
key), the example personality is imported, and `tzurot simulate` finds the stack through
`.tzurot/dev-endpoints.json` whatever ports it got: /chat prints an answer, /imagine an image,
and with an ElevenLabs key a personality with a voice speaks (the sink saves the MP3)."""

from __future__ import annotations

import argparse
import json
import os
import time

from tests.e2e.local_stack import local_env  # noqa: F401 (the fixture)
from tzurot.cli.dev import build_stack
from tzurot.cli.main import main
from tzurot.dev import endpoints_file
from tzurot.dev.audio import FAKE_MP3
from tzurot.dev.offline import FakeProviders
from tzurot.dev.stack import InteractionsServer


def offline_args() -> argparse.Namespace:
    return argparse.Namespace(
        once=False, port=0, aws_port=0, sink_port=0, discord_sink=False, fake_providers=True
    )


def simulate(capsys, *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["simulate", "--wait", "30", *args])
    return code, capsys.readouterr().out


def test_chat_and_imagine_answer_offline(local_env, db, capsys):  # noqa: F811
    assert os.environ.get("TZUROT_GUEST_API_KEY") is None
    stack = build_stack(offline_args())
    with stack.running():
        lines = stack.lines
        assert "examples: imported from" in next(ln for ln in lines if ln.startswith("examples"))
        assert lines[-1] == (
            f"endpoints: written to {local_env / endpoints_file.FILE_NAME} "
            "(tzurot simulate reads them)"
        )
        fakes = stack.get(FakeProviders)
        assert sorted(fakes.urls) == ["anthropic", "elevenlabs", "google", "openai", "openrouter"]
        assert os.environ["OPENAI_BASE_URL"] == fakes.urls["openai"]
        saved = json.loads((local_env / endpoints_file.FILE_NAME).read_text())
        assert saved["urls"]["interactions"] == stack.get(InteractionsServer).url
        assert not saved["urls"]["interactions"].startswith("http://127.0.0.1:8787/")

        code, out = simulate(capsys, "chat", "lilith", "hi")
        assert code == 0
        assert out.startswith("HTTP 200\n")
        assert "--- original\n[Lilith]\nHello from the fake provider.\n" in out

        code, out = simulate(capsys, "modal", "wallet-set:openrouter", "api_key=any-text-works")
        assert code == 0
        assert (
            "--- original (only you can see this)\nYour OpenRouter key (ending in `orks`) works"
            in out
        )

        code, out = simulate(capsys, "command", "imagine", "prompt=a lighthouse at dusk")
        assert code == 0
        assert "--- original\na lighthouse at dusk\n(image: attachment://image.png)\n" in out
        assert out.endswith("(file: image.png)\n")

        # Voice: any ElevenLabs key, and Nyx (whose export has a voice) speaks; the sink saves
        # the fake's MP3 and says where.
        code, out = simulate(capsys, "modal", "wallet-set:elevenlabs", "api_key=any-text-works")
        assert code == 0 and "Your ElevenLabs key (ending in `orks`) works" in out
        code, out = simulate(capsys, "chat", "nyx", "hi")
        assert code == 0 and "Hello from the fake provider." in out
        pattern, deadline = "sink-files/*-nyx-night.mp3", time.monotonic() + 20
        while not list(local_env.glob(pattern)) and time.monotonic() < deadline:
            time.sleep(0.1)
        (spoken,) = local_env.glob(pattern)
        assert spoken.read_bytes() == FAKE_MP3

    row = db.execute("SELECT name FROM personalities WHERE slug = 'lilith'").fetchone()
    assert row == ("Lilith",)
    assert not (local_env / endpoints_file.FILE_NAME).exists()  # removed on stop
