"""Sample Lambda events for `sam local invoke` and for tests/deploy/test_events.py.

    .venv/bin/python events/make_events.py             # rewrite the committed samples
    .venv/bin/python events/make_events.py --fresh DIR # freshly signed copies, for sam local

Interaction events are signed with the DEV-ONLY key below (never a real application's): the
public key to configure is `DEV_PUBLIC_KEY` (events/env.json sets it). The committed samples
carry a fixed timestamp, 2026-01-01T00:00:00Z, so that they are reproducible; the interactions
function refuses them as stale (older than 5 minutes) by design. `--fresh` signs the same
bodies with the current time, which the function accepts for 5 minutes. The SQS samples hold
the jobs the interactions function enqueues for the /chat and /imagine samples; their
interaction is from the fixed time, so a worker drops them as older than the 15-minute token.

The jobs carry their interaction tokens sealed (tzurot.crypto.transit) to a published SAMPLE
transit key (`SAMPLE_TRANSIT_KEY`; env.json gives it to the interactions function) with an
ephemeral key derived from the interaction id, so that the samples are reproducible; no worker
has its private half in its database. `--fresh DIR --transit-public-key KID:BASE64` seals to a
real transit key instead (what `tzurot keys rotate-transit` printed), for a worker to process.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nacl.signing import SigningKey

from tzurot.crypto.transit import Binding, PublicKey, public_key_of, seal
from tzurot.dev.keys import public_key_hex, sign
from tzurot.discord.interaction import Interaction
from tzurot.jobs.model import Job

HERE = Path(__file__).resolve().parent
# DEV ONLY: a published seed. Anyone can sign with it; never configure its public key for a
# real Discord application.
DEV_SEED = hashlib.sha256(b"tzurot events/ dev-only signing key; never a real application").digest()
DEV_KEY = SigningKey(DEV_SEED)
DEV_PUBLIC_KEY = public_key_hex(DEV_KEY)
FIXED_TIMESTAMP = 1_767_225_600  # 2026-01-01T00:00:00Z
# SAMPLE ONLY: a published transit key pair; never in a real database.
SAMPLE_TRANSIT_PRIVATE_KEY = hashlib.sha256(b"tzurot events/ sample transit key; not real").digest()
SAMPLE_TRANSIT_KEY = PublicKey("tsample01", public_key_of(SAMPLE_TRANSIT_PRIVATE_KEY))

APPLICATION_ID = "1000000000000000001"
GUILD_ID = "1100000000000000001"
CHANNEL_ID = "1100000000000000002"
USER = {"id": "1200000000000000001", "username": "sample_user", "global_name": "Sample User"}
_DISCORD_EPOCH_MS = 1_420_070_400_000
_REGION = "us-east-1"
_ACCOUNT = "123456789012"
_URL_ID = "abcdefghijklmnopqrstuvwxyz012345"


def snowflake(timestamp: int, sequence: int) -> str:
    return str(((timestamp * 1000 - _DISCORD_EPOCH_MS) << 22) | sequence)


def _interaction(kind: int, sequence: int, timestamp: int, data: dict | None) -> dict[str, Any]:
    interaction_id = snowflake(timestamp, sequence)
    body: dict[str, Any] = {
        "id": interaction_id,
        "application_id": APPLICATION_ID,
        "type": kind,
        # Not a real token: interaction tokens are opaque strings Discord makes per interaction.
        "token": f"sample-interaction-token-{interaction_id}",
        "version": 1,
    }
    if data is None:
        return body
    return body | {
        "data": data,
        "guild_id": GUILD_ID,
        "channel_id": CHANNEL_ID,
        "member": {"user": USER, "roles": [], "permissions": "0", "nick": None},
        "locale": "en-US",
        "guild_locale": "en-US",
        "context": 0,
        "app_permissions": "0",
        "entitlements": [],
        "authorizing_integration_owners": {"0": GUILD_ID},
        "attachment_size_limit": 10 * 1024 * 1024,
    }


def _options(**values: str) -> list[dict[str, Any]]:
    return [{"name": name, "type": 3, "value": value} for name, value in values.items()]


def interactions(timestamp: int) -> dict[str, dict[str, Any]]:
    """The interaction bodies, by sample name (ids derive from the timestamp)."""
    chat = {"id": "1300000000000000001", "name": "chat", "type": 1}
    chat["options"] = _options(personality="lilith", message="Hello! Who are you?")
    imagine = {"id": "1300000000000000002", "name": "imagine", "type": 1}
    imagine["options"] = _options(prompt="a lighthouse at dusk, watercolor", size="1024x1024")
    # The user has typed "li" into /chat's personality option: the one path on which the
    # interactions function reads the database.
    typing = {"id": "1300000000000000001", "name": "chat", "type": 1}
    typing["options"] = [{"name": "personality", "type": 3, "value": "li", "focused": True}]
    return {
        "interactions-ping": _interaction(1, 1, timestamp, None),
        "interactions-chat": _interaction(2, 2, timestamp, chat),
        "interactions-imagine": _interaction(2, 3, timestamp, imagine),
        "interactions-autocomplete": _interaction(4, 4, timestamp, typing),
    }


def function_url_event(body: dict[str, Any], timestamp: int) -> dict[str, Any]:
    """A Lambda Function URL request (payload format 2.0) as Discord's POST arrives."""
    raw = json.dumps(body, separators=(",", ":"))
    user_agent = "Discord-Interactions/1.0 (+https://discord.com)"
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/",
        "rawQueryString": "",
        "headers": {
            "content-length": str(len(raw)),
            "content-type": "application/json",
            "host": f"{_URL_ID}.lambda-url.{_REGION}.on.aws",
            "user-agent": user_agent,
            "x-forwarded-for": "203.0.113.10",
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https",
            "x-signature-ed25519": sign(DEV_KEY, str(timestamp), raw.encode()),
            "x-signature-timestamp": str(timestamp),
        },
        "requestContext": {
            "accountId": "anonymous",
            "apiId": _URL_ID,
            "domainName": f"{_URL_ID}.lambda-url.{_REGION}.on.aws",
            "domainPrefix": _URL_ID,
            "http": {
                "method": "POST",
                "path": "/",
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.10",
                "userAgent": user_agent,
            },
            "requestId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"request/{body['id']}")),
            "routeKey": "$default",
            "stage": "$default",
            "time": datetime.fromtimestamp(timestamp, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": timestamp * 1000,
        },
        "body": raw,
        "isBase64Encoded": False,
    }


def sqs_event(job: Job, queue: str, timestamp: int) -> dict[str, Any]:
    """An SQS event of one record holding `job`, as the worker's event source delivers it."""
    body = job.to_message()
    millis = str(timestamp * 1000)
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"message/{job.interaction_id}")),
                "receiptHandle": f"sample-receipt-handle-{job.interaction_id}",
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": millis,
                    "SenderId": "AROAEXAMPLEINTERACTIONS:tzurot-dev-interactions",
                    "ApproximateFirstReceiveTimestamp": millis,
                },
                "messageAttributes": {},
                "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{_REGION}:{_ACCOUNT}:tzurot-dev-{queue}",
                "awsRegion": _REGION,
            }
        ]
    }


def build(
    timestamp: int = FIXED_TIMESTAMP, transit_key: PublicKey = SAMPLE_TRANSIT_KEY
) -> dict[str, dict[str, Any]]:
    """Every sample event, by file stem."""
    bodies = interactions(timestamp)
    events = {name: function_url_event(body, timestamp) for name, body in bodies.items()}
    for sample, queue in (("chat", "GenerateQueue"), ("imagine", "ImageQueue")):
        interaction = Interaction.model_validate(bodies[f"interactions-{sample}"])
        user = interaction.invoker
        assert user is not None
        binding = Binding.token(interaction_id=interaction.id, user_id=user.id)
        ephemeral = hashlib.sha256(f"ephemeral/{interaction.id}".encode()).digest()
        sealed = seal(transit_key, interaction.token, binding, ephemeral_key=ephemeral)
        job = Job.from_interaction(interaction, token_sealed=sealed)
        events[f"sqs-{job.queue}"] = sqs_event(job, queue, timestamp)
    return events


def sam_env() -> dict[str, Any]:
    """`sam local invoke --env-vars` overrides: the dev public key, and no secret references
    (PING then needs no AWS call at all)."""
    return {
        "Parameters": {
            "DISCORD_PUBLIC_KEY": DEV_PUBLIC_KEY,
            "TRANSIT_PUBLIC_KEY": str(SAMPLE_TRANSIT_KEY),
            "DISCORD_APPLICATION_ID": APPLICATION_ID,
            "DATABASE_URL_SECRET_ARN": "",
            "DATABASE_URL_PARAMETER": "",
        }
    }


def write(directory: Path, events: dict[str, dict[str, Any]]) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, event in {**events, "env": sam_env()}.items():
        path = directory / f"{name}.json"
        path.write_text(json.dumps(event, indent=2) + "\n")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fresh", type=Path, metavar="DIR", help="sign with the current time")
    parser.add_argument(
        "--transit-public-key",
        metavar="KID:BASE64",
        help="with --fresh: seal the jobs' tokens to this transit key (keys rotate-transit)",
    )
    args = parser.parse_args(argv)
    if args.transit_public_key and not args.fresh:
        parser.error(
            "--transit-public-key needs --fresh (the committed samples use the sample key)"
        )
    directory, timestamp = (args.fresh, int(time.time())) if args.fresh else (HERE, FIXED_TIMESTAMP)
    transit_key = SAMPLE_TRANSIT_KEY
    if args.transit_public_key:
        try:
            transit_key = PublicKey.parse(args.transit_public_key)
        except ValueError as exc:
            parser.exit(1, f"make_events.py: error: {exc}\n")
    try:
        written = write(directory, build(timestamp, transit_key))
    except OSError as exc:
        parser.exit(1, f"make_events.py: error: cannot write to {directory}: {exc.strerror}\n")
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
