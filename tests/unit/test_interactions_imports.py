"""The interactions function's cold start: a fresh process that imports functions/interactions/
app.py and answers a signed PING and a timezone autocomplete loads none of the heavy modules
(AWS clients, the database driver, HTTP client, crypto, the workers' code); those load only on
the paths that need them (here: a personality autocomplete loads psycopg, a /chat the job
model, and for its SendMessage botocore's signer, never a botocore client)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.fakes.interactions import PUBLIC_KEY, autocomplete, command, signed
from tests.fakes.transit import PUBLIC_KEY as TRANSIT_KEY
from tzurot.dev import simulator

ROOT = Path(__file__).resolve().parents[2]
HEAVY = (
    "boto3",
    "botocore.client",
    "psycopg",
    "httpx",
    "cryptography",
    "starlette",
    "tzurot.config",
    "tzurot.crypto",
    "tzurot.db",
    "tzurot.providers",
    "tzurot.commands",
    "tzurot.jobs.model",
    "botocore.session",
)

CHILD = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
heavy = json.loads(sys.argv[2])
import app
loaded = {}
for name, event in json.loads(sys.stdin.read()):
    result = app.handler(event, None)
    assert result["statusCode"] == 200, result
    loaded[name] = sorted(m for m in heavy if m in sys.modules)
print(json.dumps(loaded))
"""


def _event(payload: dict) -> dict:
    headers, body = signed(payload)
    return {
        "version": "2.0",
        "headers": {key.lower(): value for key, value in headers.items()},
        "requestContext": {"http": {"method": "POST"}},
        "body": body.decode(),
        "isBase64Encoded": False,
    }


def test_ping_and_timezone_autocomplete_load_no_heavy_module():
    events = [
        ("ping", _event(simulator.interaction(simulator.PING, simulator.Identity()))),
        ("timezone", _event(autocomplete("timezone", "set", "zone=lond"))),
        ("personality", _event(autocomplete("chat", "personality=li"))),
        # Its SendMessage fails at once (a closed port): the imports are what is measured.
        ("chat", _event(command("chat", "personality=lilith", "message=hi"))),
    ]
    env = {
        **os.environ,
        "DISCORD_PUBLIC_KEY": PUBLIC_KEY,
        # Refused at once: the personality lookup fails fast (and answers no choices).
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none?connect_timeout=1",
        "GENERATE_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/generate",
        "TRANSIT_PUBLIC_KEY": str(TRANSIT_KEY),
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(ROOT / "functions" / "interactions"), json.dumps(HEAVY)],
        input=json.dumps(events),
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    loaded = json.loads(out.strip().splitlines()[-1])
    assert loaded["ping"] == []
    assert loaded["timezone"] == []
    # The check can see a lazy import happen: the database path brings the driver in.
    assert "psycopg" in loaded["personality"] and "tzurot.db" in loaded["personality"]
    # A /chat job goes out as one signed request: no botocore client or session, no boto3
    # (the modules are counted since the process started: those the /chat brought are new).
    assert set(loaded["chat"]) - set(loaded["personality"]) == {
        "tzurot.jobs.model",
        "tzurot.crypto",
    }
