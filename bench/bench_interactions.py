"""Benchmark of the interactions endpoint (not a test): cold start and warm handler cost.

    .venv/bin/python bench/bench_interactions.py [--runs 10] [--warm 2000]

Cold start: a fresh Python process imports functions/interactions/app.py and answers its first
signed PING; the baseline, measured in the same run, is `import boto3` plus one SQS client in a
fresh process. Both are timed inside the child (interpreter start-up excluded, as in Lambda,
where the runtime is up before the handler module is imported). The cold /chat: a fresh process
answering a first signed /chat (import, verify, job, the token sealed to the transit public key,
one signed SendMessage to a loopback moto server: tzurot.jobs.sqs_send) against a fresh process
that imports boto3, creates an SQS client and sends one message to the same queue.

Warm: the Lambda handler (functions/interactions/app.py:handler, its instrumentation included)
for a signed /chat (a distinct interaction each call: a repeated id would be dropped as a
replay), SQS sender replaced by one that returns at once (everything but the network
call: event decoding, verification, parsing, sealing the interaction token to the transit
public key, job building and serialisation, response), next to one Ed25519 verify of the same
bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "functions" / "interactions")]

COLD_CHILD = r"""
import json, os, sys, time
event = json.loads(sys.stdin.read())
sys.path.insert(0, os.environ["FUNCTION_DIR"])
t0, c0 = time.perf_counter(), time.process_time()
import app
t1 = time.perf_counter()
result = app.handler(event, None)
t2, c2 = time.perf_counter(), time.process_time()
assert result["statusCode"] == 200, result
print(json.dumps({"import": t1 - t0, "total": t2 - t0, "cpu": c2 - c0, "body": result["body"]}))
"""

BOTO_CHILD = r"""
import json, os, time
t0, c0 = time.perf_counter(), time.process_time()
import boto3
client = boto3.client("sqs")
t1 = time.perf_counter()
client.send_message(QueueUrl=os.environ["GENERATE_QUEUE_URL"], MessageBody="x" * 900)
t2, c2 = time.perf_counter(), time.process_time()
print(json.dumps({"total": t1 - t0, "send": t2 - t0, "send_cpu": c2 - c0}))
"""


def _event(payload: dict, key) -> dict:
    from tests.fakes.interactions import signed

    headers, body = signed(payload, key=key)
    return {
        "version": "2.0",
        "headers": {k.lower(): v for k, v in headers.items()},
        "requestContext": {"http": {"method": "POST"}},
        "body": body.decode(),
        "isBase64Encoded": False,
    }


def _child(code: str, env: dict, stdin: str = "") -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def cold(runs: int) -> dict:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per moto request

    from tests.fakes.interactions import PUBLIC_KEY, SIGNING_KEY, command
    from tests.fakes.transit import PUBLIC_KEY as TRANSIT_KEY
    from tzurot.dev import simulator

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint_url = f"http://{host}:{port}"
    aws = {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    import boto3

    sqs = boto3.client(
        "sqs",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    queue_url = sqs.create_queue(QueueName="bench-generate")["QueueUrl"]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        **aws,
        "DISCORD_PUBLIC_KEY": PUBLIC_KEY,
        "GENERATE_QUEUE_URL": queue_url,
        "IMAGE_QUEUE_URL": queue_url,
        "TRANSIT_PUBLIC_KEY": str(TRANSIT_KEY),
        "FUNCTION_DIR": str(ROOT / "functions" / "interactions"),
        "PYTHONDONTWRITEBYTECODE": "",
    }
    pings, chats, baselines, sends, imports = [], [], [], [], []
    chat_cpu, send_cpu = [], []
    try:
        for _ in range(runs):
            # Interleaved so that machine noise hits all three alike.
            ping = _event(simulator.interaction(simulator.PING, simulator.Identity()), SIGNING_KEY)
            result = _child(COLD_CHILD, env, json.dumps(ping))
            assert result["body"] == '{"type":1}', result
            pings.append(result["total"])
            imports.append(result["import"])
            baseline = _child(BOTO_CHILD, env)
            baselines.append(baseline["total"])
            sends.append(baseline["send"])
            send_cpu.append(baseline["send_cpu"])
            chat = _event(command("chat", "personality=lilith", "message=hi"), SIGNING_KEY)
            result = _child(COLD_CHILD, env, json.dumps(chat))
            assert result["body"] == '{"type":5}', result
            chats.append(result["total"])
            chat_cpu.append(result["cpu"])
    finally:
        server.stop()
    return {
        "ping": statistics.median(pings),
        "import": statistics.median(imports),
        "boto3": statistics.median(baselines),
        "chat": statistics.median(chats),
        "send": statistics.median(sends),
        # Per run, then the median: each pair ran back to back under the same machine noise.
        "chat_ratio": statistics.median(c / b for c, b in zip(chats, sends, strict=True)),
        # CPU time of the same children: what a busy shared machine distorts least.
        "chat_cpu_ratio": statistics.median(c / b for c, b in zip(chat_cpu, send_cpu, strict=True)),
    }


class _NoNetworkSqs:
    """An SQS sender whose send returns at once: the warm figure excludes only the network."""

    def send_message(self, QueueUrl: str, MessageBody: str) -> dict:
        return {"MessageId": "bench"}


def warm(count: int, repeats: int = 7) -> dict:
    import contextlib
    import io

    import app  # functions/interactions/app.py (its folder is on sys.path)
    from nacl.signing import VerifyKey

    from tests.fakes.interactions import PUBLIC_KEY, SIGNING_KEY, command
    from tests.fakes.transit import PUBLIC_KEY as TRANSIT_KEY
    from tzurot.discord import endpoint
    from tzurot.discord.endpoint import InteractionEndpoint
    from tzurot.discord.sealing import TransitSealer
    from tzurot.jobs.queue import JobQueue

    url = "https://sqs.us-east-1.amazonaws.com/123456789012/bench"
    endpoint._default = InteractionEndpoint(
        public_key=PUBLIC_KEY,
        send_job=JobQueue({"generate": url, "image": url}, client=_NoNetworkSqs()).send,
        seal_token=TransitSealer(TRANSIT_KEY).seal_token,
    )

    def signed_chats(n: int) -> list[dict]:
        # Distinct interactions (ids, tokens, signatures), as Discord would send them: the
        # endpoint drops a repeated id (tzurot.discord.replay), so no pass reuses another's.
        return [
            _event(command("chat", "personality=lilith", f"message=hello number {i}"), SIGNING_KEY)
            for i in range(n)
        ]

    passes = [signed_chats(count) for _ in range(repeats)]
    # Warm-up: first-call costs belong to the cold figure (the ColdStart metric line the
    # first call prints is swallowed here).
    with contextlib.redirect_stdout(io.StringIO()):
        for event in signed_chats(50):
            assert app.handler(event, None)["body"] == '{"type":5}'
    key = VerifyKey(bytes.fromhex(PUBLIC_KEY))
    # Handler and verify passes alternate, so machine noise hits both series alike.
    per_call, per_verify = [], []
    for events in passes:
        signed_parts = [
            (
                (e["headers"]["x-signature-timestamp"] + e["body"]).encode(),
                bytes.fromhex(e["headers"]["x-signature-ed25519"]),
            )
            for e in events
        ]
        start = time.perf_counter()
        bodies = [app.handler(event, None)["body"] for event in events]
        per_call.append((time.perf_counter() - start) / count)
        assert set(bodies) == {'{"type":5}'}, set(bodies)  # each one a job, none a replay
        start = time.perf_counter()
        for message, signature in signed_parts:
            key.verify(message, signature)
        per_verify.append((time.perf_counter() - start) / count)
    return {
        "handler": statistics.median(per_call),
        "verify": statistics.median(per_verify),
        "body_bytes": statistics.median(len(e["body"]) for e in passes[0]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="fresh processes per cold figure")
    parser.add_argument("--warm", type=int, default=2000, help="signed /chat calls per repeat")
    args = parser.parse_args()
    c = cold(args.runs)
    w = warm(args.warm)
    ms, us = 1000, 1_000_000
    cold_ratio = c["ping"] / c["boto3"]
    warm_ratio = w["handler"] / w["verify"]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, runs={args.runs}")
    print(f"cold: import app.py                      {c['import'] * ms:8.1f} ms (median)")
    print(f"cold: import + first PING                {c['ping'] * ms:8.1f} ms (median)")
    print(f"cold: import boto3 + one SQS client      {c['boto3'] * ms:8.1f} ms (median)")
    print(f"cold: ratio PING / boto3 baseline        {cold_ratio:8.2f}   (target <= 1.3)")
    print(f"cold: first /chat (+ signed SQS send)    {c['chat'] * ms:8.1f} ms (median)")
    print(f"cold: boto3 + SQS client + one send      {c['send'] * ms:8.1f} ms (median)")
    print(f"cold: ratio /chat / send baseline        {c['chat_ratio']:8.2f}   (target <= 1.3)")
    print(f"cold: the same ratio in CPU time         {c['chat_cpu_ratio']:8.2f}")
    print(f"warm: handler per signed /chat           {w['handler'] * us:8.1f} us (median)")
    print(f"warm: one Ed25519 verify ({w['body_bytes']:.0f} B body)    {w['verify'] * us:8.1f} us")
    print(f"warm: ratio handler / verify             {warm_ratio:8.2f}   (target <= 5)")


if __name__ == "__main__":
    main()
