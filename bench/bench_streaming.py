"""Benchmark of streamed answers in the local stack (not a test): what a user waits for.

    .venv/bin/python bench/bench_streaming.py [--runs 5]

The whole `tzurot dev --discord-sink` stack runs in this process (embedded PostgreSQL, moto's
server mode for SQS and KMS, the interactions endpoint on loopback, the worker poller, the
Discord sink), with a loopback fake OpenRouter (guest mode) that streams a 40-token answer over
4 seconds (one token every 100 ms, its first after 100 ms). Each run POSTs a signed /chat to the
endpoint and reads the sink's recorded calls for that interaction:

- time to first visible text: from the POST to the first edit that shows answer text;
- Discord calls per answer: PATCH/POST calls on the interaction's webhook (404 retries aside).

A third series streams the same answer as a message command's real reply in a server channel
("Reply as last personality", tzurot.commands.channel_reply): its calls are the bot's POST, its
PATCHes and the DELETE of the deferred message.

The same runs with streaming off (`streamResponse: false`, the previous behaviour; the fake then
answers after the same 4 s) are the baseline, measured in the same process. Medians are
reported; the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from tzurot.discord import permissions  # noqa: E402

GUEST_KEY = "sk-or-v1-benchGuestKey0123456789abcdefghij"
TOKENS = 40
TOKEN_DELAY = 0.1  # 40 tokens over 4 seconds
TEXT = " ".join(f"word{n}" for n in range(TOKENS))


def throwaway_database() -> tuple[str, str]:
    """(admin url, url of a fresh database) on DATABASE_URL's server or an embedded one."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    admin = os.environ.get("DATABASE_URL", "").strip()
    if not admin:
        from tzurot.db import embedded

        admin = embedded.start(embedded.STATE_DIR / "pgdata-bench").get_uri("postgres")
    name = f"bench_stream_{os.getpid()}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    params = conninfo_to_dict(admin)
    params["dbname"] = name
    return admin, make_conninfo(**params)


CHANNEL = "100000000000000002"  # the simulator's default channel
# A server that installed the app, where its bot may view, send, embed and read the history.
REPLY_PERMISSIONS = str(permissions.REPLY | permissions.SEND_MESSAGES)


def one_answer(url: str, key, sink, fake, stream: bool = True, reply: bool = False):
    """(seconds to the first visible text, Discord calls for the answer). `reply`: "Reply as
    last personality" on a message in a server, answered as a real reply in the channel."""
    from tzurot.dev import simulator

    # Unstreamed, the same provider answers after the whole 4 s of generation.
    timing = {"token_delay": TOKEN_DELAY} if stream else {"delay": TOKENS * TOKEN_DELAY}
    fake.queue_reply(text=TEXT, tokens_in=30, tokens_out=TOKENS, **timing)
    if reply:
        who = simulator.Identity(
            channel_id=CHANNEL,
            guild_id="100000000000000009",
            guild_install=True,
            app_permissions=REPLY_PERMISSIONS,
        )
        target = sink.add_message(CHANNEL, "what do you make of this?")
        data = simulator.message_command_data("Reply as last personality", target)
        payload = simulator.interaction(simulator.APPLICATION_COMMAND, who, data)
    else:
        payload = simulator.interaction(
            simulator.APPLICATION_COMMAND,
            simulator.Identity(),
            simulator.command_data("chat", ["personality=lilith", "message=count"]),
        )
    token = payload["token"]
    nonce = f"{payload['id']}-"
    start = time.monotonic()
    reply_to = simulator.post(url, payload, key)
    assert reply_to.status == 200, reply_to
    first = None
    deadline = start + 30
    while time.monotonic() < deadline:
        calls = [c for c in sink.calls if f"/{token}" in c.path and c.status in (200, 204)]
        if reply:  # the bot's reply in the channel: its POST (by nonce), then PATCHes of it
            posts = [
                c for c in sink.calls if str((c.json or {}).get("nonce", "")).startswith(nonce)
            ]
            ids = {c.response["id"] for c in posts if c.status == 200}
            calls += posts + [
                c for c in sink.calls if c.method == "PATCH" and c.path.rsplit("/", 1)[-1] in ids
            ]
            calls.sort(key=lambda c: c.at)
        shown = [c for c in calls if c.status == 200 and (c.json or {}).get("embeds")]
        if first is None and shown:
            first = shown[0].at - start
        if any(c.json["embeds"][0]["description"] == TEXT for c in shown):
            return first, len([c for c in calls if c.method in ("PATCH", "POST", "DELETE")])
        time.sleep(0.02)
    raise RuntimeError("no final answer within 30 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from tests.e2e.local_stack import full_stack
    from tests.fakes.providers import FakeOpenRouter
    from tzurot.commands import streamed_answer
    from tzurot.dev.keys import key_path, load_or_create_signing_key
    from tzurot.dev.stack import InteractionsServer
    from tzurot.dev.workers import DiscordSinkServer

    admin, db_url = throwaway_database()
    state = Path(tempfile.mkdtemp(prefix="tzurot-bench-"))
    fake = FakeOpenRouter(valid_keys=[GUEST_KEY])
    for name in ("DISCORD_PUBLIC_KEY", "DISCORD_APPLICATION_ID"):
        os.environ.pop(name, None)
    series = {
        "streamed": (True, False),
        "not streamed": (False, False),
        "streamed reply": (True, True),
    }
    results: dict[str, list[tuple[float, int]]] = {label: [] for label in series}
    try:
        with fake.serve() as base_url:
            os.environ.update(
                DATABASE_URL=db_url,
                OPENROUTER_BASE_URL=base_url,
                TZUROT_GUEST_PROVIDER="openrouter",
                TZUROT_GUEST_MODEL="meta-llama/llama-3.1-8b-instruct",
                TZUROT_GUEST_API_KEY=GUEST_KEY,
                DISCORD_BOT_TOKEN="bench-bot-token",  # the sink takes any; replies need one
            )
            sink = DiscordSinkServer(0, echo=lambda line: None)
            stack = full_stack(state, sink)  # what `tzurot dev --discord-sink` starts
            with stack.running():
                with psycopg.connect(db_url, autocommit=True) as conn:
                    conn.execute(
                        "INSERT INTO personalities (name, slug, personality_traits) "
                        "VALUES ('Lilith', 'lilith', 'curious')"
                    )
                url = stack.get(InteractionsServer).url
                key = load_or_create_signing_key(key_path(state))
                one_answer(url, key, sink.sink, fake)  # warm-up: cold clients, first KMS call
                for _ in range(args.runs):
                    for label, (stream, reply) in series.items():
                        streamed_answer.STREAM_BY_DEFAULT = stream
                        answer = one_answer(url, key, sink.sink, fake, stream, reply)
                        results[label].append(answer)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "bench_stream_{os.getpid()}" WITH (FORCE)')

    print(f"{TOKENS} tokens over {TOKENS * TOKEN_DELAY:.0f} s (first token after "
          f"{TOKEN_DELAY * 1000:.0f} ms), {args.runs} runs each, medians:")  # fmt: skip
    base = statistics.median(first for first, _ in results["not streamed"])
    for label, runs in results.items():
        first = statistics.median(f for f, _ in runs)
        calls = statistics.median(c for _, c in runs)
        print(
            f"  {label:13s} first visible text {first * 1000:7.0f} ms "
            f"({first / base:.2f}x baseline), Discord calls per answer {calls:g}"
        )


if __name__ == "__main__":
    main()
