"""`tzurot dev`: the whole stack on one machine.

Embedded PostgreSQL (unless DATABASE_URL is set) with migrations applied, moto's server mode on
loopback for SQS and KMS (queues and dead-letter queues created at start; the dev KMS key kept
across restarts), the app master key (created on first start), the dev Ed25519 key pair when
DISCORD_PUBLIC_KEY is unset, the interactions endpoint served by uvicorn on 127.0.0.1, and the
workers polling the local queues (calling the same handlers as Lambda). `--discord-sink` points
the workers' Discord calls at a local sink that prints every message and saves uploaded files
(`--sink-files DIR`, default .tzurot/sink-files) with their paths printed; `--fake-providers` adds
the offline demo (tzurot.dev.offline: the provider fakes on loopback, the example personalities;
it implies the sink, so nothing leaves the machine). The URLs in use are written to
`.tzurot/dev-endpoints.json` for `tzurot simulate` (tzurot.dev.endpoints_file).
Runs until interrupted; `--once` starts everything, checks the endpoint answers a signed PING,
prints what ran, and exits.
"""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path

from tzurot.dev.stack import (
    DEFAULT_PORT,
    AwsEmulator,
    Database,
    DiscordKey,
    InteractionsServer,
    LocalStack,
    MasterKey,
    StackError,
    TransitKey,
)
from tzurot.dev.workers import SINK_PORT, DiscordSinkServer, Workers


def register(subparsers: argparse._SubParsersAction) -> None:
    dev = subparsers.add_parser("dev", help="run the whole stack locally")
    dev.add_argument(
        "--once",
        action="store_true",
        help="set everything up, print what is running, and exit (for scripts and tests)",
    )
    dev.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help=f"port of the interactions endpoint on 127.0.0.1 (default {DEFAULT_PORT}; 0: any)",
    )
    dev.add_argument(
        "--aws-port",
        type=_port,
        default=0,
        help="port of the moto server (SQS, KMS) on 127.0.0.1 (default: any free port)",
    )
    dev.add_argument(
        "--discord-sink",
        action="store_true",
        help="send the workers' Discord calls to a local sink that prints every message",
    )
    dev.add_argument(
        "--fake-providers",
        action="store_true",
        help="offline demo: serve fake OpenAI, Anthropic, Gemini, OpenRouter and ElevenLabs on "
        "loopback (any key), import examples/personalities, and use the Discord sink",
    )
    dev.add_argument(
        "--sink-port",
        type=_port,
        default=SINK_PORT,
        help=f"port of the Discord sink on 127.0.0.1 (default {SINK_PORT}; 0: any)",
    )
    dev.add_argument(
        "--sink-files",
        type=Path,
        default=None,
        metavar="DIR",
        help="where the Discord sink saves uploaded files (default .tzurot/sink-files)",
    )
    dev.set_defaults(handler=run)


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"a port is a number from 0 to 65535, got {text!r}")
    return int(text)


def build_stack(args: argparse.Namespace) -> LocalStack:
    from tzurot.dev.endpoints_file import EndpointsFile
    from tzurot.dev.offline import ExamplePersonalities, FakeProviders

    offline = getattr(args, "fake_providers", False)
    with_sink = offline or getattr(args, "discord_sink", False)
    return LocalStack(
        [
            Database(),
            *([ExamplePersonalities()] if offline else []),
            AwsEmulator(args.aws_port),
            MasterKey(),
            TransitKey(),
            DiscordKey(),
            *([FakeProviders()] if offline else []),
            *(
                [DiscordSinkServer(args.sink_port, files_dir=getattr(args, "sink_files", None))]
                if with_sink
                else []
            ),
            InteractionsServer(args.port),
            Workers(),
            EndpointsFile(),
        ]
    )


def _self_check(stack: LocalStack) -> str:
    """Sign a PING with the dev key and send it to the endpoint just started."""
    from tzurot.dev import simulator
    from tzurot.dev.keys import load_signing_key

    key = stack.get(DiscordKey)
    if key.path is None:
        return "self-check: skipped (DISCORD_PUBLIC_KEY is set; no dev key to sign with)"
    url = stack.get(InteractionsServer).url
    ping = simulator.interaction(simulator.PING, simulator.Identity())
    reply = simulator.post(url, ping, load_signing_key(key.path))
    if reply.json() != {"type": 1}:
        raise StackError(f"self-check failed: signed PING got HTTP {reply.status}")
    return "self-check: signed PING -> PONG"


def run(args: argparse.Namespace) -> int:
    stack = build_stack(args)
    with stack.running():
        for line in stack.lines:
            print(line)
        print(_self_check(stack))
        if args.once:
            return 0
        print(_hint(stack))
        _wait_for_stop_signal()
        print("stopping")
    return 0


def _hint(stack: LocalStack) -> str:
    """What to try next, with the URLs actually in use (simulate finds them by itself)."""
    url = stack.get(InteractionsServer).url
    sinks = [part for part in stack.parts if isinstance(part, DiscordSinkServer)]
    try_ = "`tzurot simulate chat lilith hi`" if sinks else "`tzurot simulate ping`"
    where = f"endpoint {url}" + (f", Discord sink {sinks[0].base_url}" if sinks else "")
    return f"tzurot dev is running ({where}); try {try_}; press Ctrl-C to stop"


def _wait_for_stop_signal() -> None:
    """Block until Ctrl-C or SIGTERM (so the stack also stops cleanly under a supervisor)."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    while not stop.wait(1.0):  # a timed wait keeps the main thread responsive to signals
        pass
