"""Soak through the whole local stack (not a test): signed interactions in, answers in the sink.

    .venv/bin/python bench/soak.py [--interactions 5000] [--concurrency 1 2 4 8]
        [--latency 0.8] [--error-rate 0.05] [--in-flight 32] [--backoff-base 10]

The parts `tzurot dev --discord-sink` starts (tzurot.dev.stack: PostgreSQL, moto's SQS and KMS,
master and transit keys, the dev signing key, the Discord sink, the interactions endpoint over
HTTP), a throwaway database behind a round-trip-counting proxy, and a loopback fake OpenRouter
(tests.fakes.providers) answering every chat and image call after `--latency` seconds, with
`--error-rate` of them a 429 (Retry-After 1 s) or a 500, half each. Users (each with their own
OpenRouter key, BYOK) talk in several guild channels and DMs; the mix is 70 % /chat, 10 %
/imagine and 20 % account commands (wallet list, usage, timezone get, config show, help).

For each worker concurrency C (Workers part: C pollers per queue, BatchSize 1, as Lambda's
event source mapping with MaximumConcurrency C), N interactions are posted, at most
`--in-flight` unanswered at a time (a closed loop: Discord users waiting for their answer), and
the run checks that:

- every interaction got exactly one answer (one edit of its deferred response; a documented
  refusal, the error reply with its `||ref:`, counts as the answer and is reported);
- usage_logs has one row per successful (paid) provider call, chat and image;
- both dead-letter queues are empty.

Reported per level: throughput, interaction-to-answer p50/p95/p99, database round trips and
statements' connections (peak backends), peak RSS of this process (endpoint, workers, moto,
sink and fakes all run in it, as threads) and of PostgreSQL's processes. With DATABASE_URL unset
an embedded PostgreSQL in .tzurot/pgdata-bench is used (as bench/bench_generate.py does).
`tests/e2e/test_soak.py` runs a 200-interaction version in ./test.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import re
import resource
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tzurot.commands.streamed_answer import CURSOR  # noqa: E402
from tzurot_fakes.providers import FakeOpenRouter, Reply, ScriptedError  # noqa: E402

ACCOUNT_COMMANDS = (
    ("wallet", "list"),
    ("usage",),
    ("timezone", "get"),
    ("config", "show"),
    ("help",),
)
PERSONALITIES = ("lilith", "ada", "sage")
_ANSWER = re.compile(r"^\[discord\] (edit original|followup) of interaction (#[0-9a-f]{8})")
MODEL = "meta-llama/llama-3.1-8b-instruct"


@dataclass
class SoakConfig:
    interactions: int = 5000
    concurrency: tuple[int, ...] = (1, 2, 4, 8)
    latency: float = 0.8  # seconds the fake provider takes per call
    error_rate: float = 0.05  # of provider calls: half 429 (Retry-After 1 s), half 500
    in_flight: int = 32  # unanswered interactions at most (the closed loop)
    users: int = 12
    channels: int = 4
    backoff_base: int = 10  # tzurot.jobs.backoff.BASE_SECONDS (production: 10)
    answer_timeout: float = 300.0  # seconds to wait for the last answers of a level
    seed: int = 7


class ChaosOpenRouter(FakeOpenRouter):
    """The fake OpenRouter answering every call after `latency`, `error_rate` of them failing;
    counts the calls that succeeded by kind ("chat" or "image"): the paid ones."""

    def __init__(self, keys, *, latency: float, error_rate: float, seed: int):
        super().__init__(valid_keys=keys)
        self.latency, self.error_rate = latency, error_rate
        self._random = random.Random(seed)
        self.paid: Counter = Counter()
        self.failed: Counter = Counter()

    def _pop(self):
        with self._lock:
            roll = self._random.random()
        if roll < self.error_rate / 2:
            self.failed["429"] += 1
            return ScriptedError("rate_limit", retry_after=1.0, delay=self.latency)
        if roll < self.error_rate:
            self.failed["500"] += 1
            return ScriptedError("server_error", delay=self.latency)
        return Reply(text="A soak answer.", tokens_in=40, tokens_out=12, delay=self.latency)

    def completion(self, recorded, reply):
        image = "image" in ((recorded.json or {}).get("modalities") or [])
        with self._lock:
            self.paid["image" if image else "chat"] += 1
        return super().completion(recorded, reply)


@dataclass
class Sent:
    kind: str  # chat | imagine | account
    posted: float
    label: str
    answers: list[tuple[float, str, str]] = field(default_factory=list)  # (when, kind, text)

    @property
    def answered_once(self) -> bool:
        """One edit of the deferred response (followups may continue a long answer), or, for
        an error reply to a public command (deleted response, private followup), one followup."""
        originals = sum(1 for _, kind, _ in self.answers if kind == "edit original")
        return originals == 1 or (originals == 0 and len(self.answers) == 1)


class AnswerLog:
    """The sink's echo: when each interaction's deferred response was edited, and how."""

    def __init__(self) -> None:
        self.by_label: dict[str, Sent] = {}
        self.unknown = 0
        self.done = threading.Condition()
        self.answered = 0

    def echo(self, text: str) -> None:
        now = time.monotonic()
        if text.endswith(CURSOR):
            return  # a streamed answer's progressive edit; its final edit is the answer
        match = _ANSWER.match(text)
        if not match:
            return  # followups of multi-part answers, DMs
        with self.done:
            sent = self.by_label.get(match.group(2))
            if sent is None:
                self.unknown += 1
                return
            sent.answers.append((now, match.group(1), text))
            if len(sent.answers) == 1:
                self.answered += 1
            self.done.notify_all()


class Monitor:
    """Samples database backends and peak memory while a level runs."""

    def __init__(self, admin_url: str, database: str):
        self.admin_url, self.database = admin_url, database
        self.peak_backends = 0
        self.peak_postgres_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Monitor:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            while not self._stop.wait(0.5):
                rows = conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.database,)
                ).fetchall()
                self.peak_backends = max(self.peak_backends, len(rows))
                for (pid,) in rows:
                    self.peak_postgres_kb = max(self.peak_postgres_kb, _peak_rss_kb(pid))


def _peak_rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


class Soak:
    """One stack, one throwaway database, levels of worker concurrency run one after another."""

    def __init__(self, config: SoakConfig, admin_url: str, database_url: str, state_dir: Path):
        self.config = config
        self.admin_url, self.database_url, self.state_dir = admin_url, database_url, state_dir
        from psycopg.conninfo import conninfo_to_dict

        self.database = conninfo_to_dict(database_url)["dbname"]
        self.random = random.Random(config.seed)
        self.answers = AnswerLog()
        self.keys = [f"sk-or-v1-soak{n:04d}" + "k" * 28 for n in range(config.users)]
        self.fake = ChaosOpenRouter(
            self.keys, latency=config.latency, error_rate=config.error_rate, seed=config.seed
        )

    # --- setup ----------------------------------------------------------------------------

    def identities(self) -> list[Any]:
        from tzurot.dev import simulator

        guild = "300000000000000001"
        channels = [f"30000000000000{n:04d}" for n in range(2, 2 + self.config.channels)]
        people = []
        for n in range(self.config.users):
            user = f"4000000000000{n:05d}"
            where = channels[n % len(channels)] if n % 4 else None  # every 4th one in DMs
            people.append(
                simulator.Identity(
                    user_id=user,
                    username=f"soak-user-{n}",
                    channel_id=where or f"50000000000{n:07d}",
                    guild_id=guild if where else None,
                )
            )
        return people

    def seed_data(self, people) -> None:
        import psycopg

        from tzurot.crypto.key_store import store_user_key
        from tzurot.crypto.master_key import MasterKeyring

        with psycopg.connect(self.database_url, autocommit=True) as db:
            for slug in PERSONALITIES:
                config = db.execute(
                    "INSERT INTO llm_configs (name, provider, model, max_tokens)"
                    " VALUES (%s, 'openrouter', %s, 300) RETURNING id",
                    (f"{slug}-soak", MODEL),
                ).fetchone()[0]
                personality = db.execute(
                    "INSERT INTO personalities (name, slug, personality_traits)"
                    " VALUES (%s, %s, 'calm') RETURNING id",
                    (slug.title(), slug),
                ).fetchone()[0]
                db.execute(
                    "INSERT INTO personality_default_configs (personality_id, llm_config_id)"
                    " VALUES (%s, %s)",
                    (personality, config),
                )
            keyring = MasterKeyring(db)
            for who, key in zip(people, self.keys, strict=True):
                user_id = db.execute(
                    "INSERT INTO users (discord_id, username) VALUES (%s, %s) RETURNING id",
                    (who.user_id, who.username),
                ).fetchone()[0]
                store_user_key(db, keyring, str(user_id), "openrouter", key)

    # --- load -----------------------------------------------------------------------------

    def interaction(self, who) -> tuple[str, dict]:
        from tzurot.dev import simulator

        roll = self.random.random()
        if roll < 0.7:
            personality = self.random.choice(PERSONALITIES)
            text = f"message=tell me something, number {self.random.randrange(10**6)}"
            data = simulator.command_data("chat", [f"personality={personality}", text])
            kind = "chat"
        elif roll < 0.8:
            data = simulator.command_data("imagine", ["prompt=a lighthouse at dusk"])
            kind = "imagine"
        else:
            name, *sub = self.random.choice(ACCOUNT_COMMANDS)
            data = simulator.command_data(name, list(sub))
            kind = "account"
        return kind, simulator.interaction(simulator.APPLICATION_COMMAND, who, data)

    def post_level(self, url: str, key, people, count: int) -> list[Sent]:
        import httpx

        from tzurot.dev.discord_sink import token_label
        from tzurot.dev.keys import sign

        sent: list[Sent] = []
        before = self.answers.answered  # answers of earlier levels
        with httpx.Client(timeout=10) as client:
            for _ in range(count):
                with self.answers.done:
                    while len(sent) - (self.answers.answered - before) >= self.config.in_flight:
                        self.answers.done.wait(1.0)
                kind, payload = self.interaction(self.random.choice(people))
                body = json.dumps(payload).encode()
                stamp = str(int(time.time()))
                record = Sent(kind, time.monotonic(), token_label(payload["token"]))
                with self.answers.done:
                    self.answers.by_label[record.label] = record
                response = client.post(
                    url,
                    content=body,
                    headers={
                        "content-type": "application/json",
                        "x-signature-ed25519": sign(key, stamp, body),
                        "x-signature-timestamp": stamp,
                    },
                )
                if response.status_code != 200 or response.json().get("type") != 5:
                    raise RuntimeError(f"the endpoint answered {response.status_code}")
                sent.append(record)
        return sent

    def wait_for_answers(self, sent: list[Sent]) -> None:
        deadline = time.monotonic() + self.config.answer_timeout
        with self.answers.done:
            while any(not s.answers for s in sent) and time.monotonic() < deadline:
                self.answers.done.wait(1.0)
        time.sleep(1.0)  # a duplicate answer would come right after

    # --- one level ------------------------------------------------------------------------

    def level(self, stack, proxy, people, concurrency: int) -> dict[str, Any]:
        import boto3
        import psycopg

        from tzurot.dev.keys import key_path, load_signing_key
        from tzurot.dev.stack import AwsEmulator, InteractionsServer
        from tzurot.dev.workers import Workers

        workers = Workers(concurrency=concurrency, batch_size=1, wait_seconds=1)
        workers.start(stack)
        paid_before = Counter(self.fake.paid)
        with psycopg.connect(self.database_url, autocommit=True) as db:
            usage_before = db.execute("SELECT count(*) FROM usage_logs").fetchone()[0]
        turns_before = proxy.turns
        key = load_signing_key(key_path(self.state_dir))
        url = stack.get(InteractionsServer).url
        try:
            with Monitor(self.admin_url, self.database) as monitor:
                started = time.monotonic()
                sent = self.post_level(url, key, people, self.config.interactions)
                self.wait_for_answers(sent)
                ended = max((s.answers[0][0] for s in sent if s.answers), default=started)
        finally:
            workers.stop()
        sqs = boto3.client("sqs")
        dead = {
            kind: int(
                sqs.get_queue_attributes(
                    QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"]
                )["Attributes"]["ApproximateNumberOfMessages"]
            )
            for kind, dlq in stack.get(AwsEmulator).dlq_urls.items()
        }
        with psycopg.connect(self.database_url, autocommit=True) as db:
            usage = db.execute("SELECT count(*) FROM usage_logs").fetchone()[0] - usage_before
        paid = sum((Counter(self.fake.paid) - paid_before).values())
        latencies = [s.answers[0][0] - s.posted for s in sent if s.answers]
        refusals = sum(1 for s in sent if any("||ref:" in text for _, _, text in s.answers))
        return {
            "concurrency": concurrency,
            "interactions": len(sent),
            "by_kind": dict(Counter(s.kind for s in sent)),
            "answered_once": sum(1 for s in sent if s.answered_once),
            "unanswered": sum(1 for s in sent if not s.answers),
            "answered_twice_or_more": sum(1 for s in sent if s.answers and not s.answered_once),
            "refusals": refusals,
            "paid_calls": paid,
            "usage_rows": usage,
            "dead_letters": dead,
            "seconds": ended - started,
            "throughput": len(latencies) / max(ended - started, 1e-9),
            "p50": statistics.median(latencies) if latencies else None,
            "p95": _percentile(latencies, 0.95) if latencies else None,
            "p99": _percentile(latencies, 0.99) if latencies else None,
            "round_trips_per_interaction": (proxy.turns - turns_before) / max(len(sent), 1),
            "peak_db_backends": monitor.peak_backends,
            "peak_rss_mb_this_process": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "peak_rss_mb_postgres_backend": monitor.peak_postgres_kb / 1024,
        }

    def run(self) -> list[dict[str, Any]]:
        from bench.bench_generate import RoundTripProxy
        from tzurot.dev import stack as local
        from tzurot.dev.workers import DiscordSinkServer
        from tzurot.jobs import backoff

        proxy = RoundTripProxy(self.database_url)
        production_backoff, backoff.BASE_SECONDS = backoff.BASE_SECONDS, self.config.backoff_base
        with contextlib.ExitStack() as restore:
            restore.callback(setattr, backoff, "BASE_SECONDS", production_backoff)
            base_url = restore.enter_context(self.fake.serve())
            os.environ.update(
                DATABASE_URL=proxy.url,
                OPENROUTER_BASE_URL=base_url,
                TZUROT_DAILY_TOKEN_LIMIT="1000000000",
                TZUROT_IMAGE_HOURLY_LIMIT="1000000",
            )
            stack = local.LocalStack(
                [
                    local.Database(),
                    local.AwsEmulator(0, self.state_dir),
                    local.MasterKey(),
                    local.TransitKey(),
                    local.DiscordKey(self.state_dir),
                    DiscordSinkServer(0, echo=self.answers.echo),
                    local.InteractionsServer(0),
                ]
            )
            with stack.running():
                people = self.identities()
                self.seed_data(people)
                return [self.level(stack, proxy, people, c) for c in self.config.concurrency]


def admin_url() -> str:
    from bench.bench_generate import admin_url as bench_admin_url

    return bench_admin_url()


def run(config: SoakConfig, admin: str | None = None) -> list[dict[str, Any]]:
    """Run the soak on a throwaway database (created and dropped on `admin`'s server)."""
    from bench.bench_generate import drop_database, fresh_database

    admin = admin or admin_url()
    name, url = fresh_database(admin)
    try:
        with tempfile.TemporaryDirectory(prefix="tzurot-soak-") as state:
            return Soak(config, admin, url, Path(state)).run()
    finally:
        drop_database(admin, name)


def report(config: SoakConfig, levels: list[dict[str, Any]]) -> str:
    lines = [
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; {config.interactions} "
        f"interactions per level, provider latency {config.latency * 1000:.0f} ms, "
        f"{config.error_rate:.0%} 429/500, in flight <= {config.in_flight}, "
        f"backoff base {config.backoff_base} s",
        "C  interactions  answered-once  refusals  paid=usage  DLQ  throughput/s  p50 s  p95 s"
        "  p99 s  round-trips/int  peak-backends  RSS-MB(self)  RSS-MB(pg backend)",
    ]
    for r in levels:
        lines.append(
            f"{r['concurrency']:<2} {r['interactions']:>12}  {r['answered_once']:>13}  "
            f"{r['refusals']:>8}  {r['paid_calls']:>4}={r['usage_rows']:<5}  "
            f"{sum(r['dead_letters'].values()):>3}  {r['throughput']:>12.2f}  {r['p50']:>5.2f}  "
            f"{r['p95']:>5.2f}  {r['p99']:>5.2f}  {r['round_trips_per_interaction']:>15.1f}  "
            f"{r['peak_db_backends']:>13}  {r['peak_rss_mb_this_process']:>12.0f}  "
            f"{r['peak_rss_mb_postgres_backend']:>18.0f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    defaults = SoakConfig()
    parser.add_argument("--interactions", type=int, default=defaults.interactions)
    parser.add_argument("--concurrency", type=int, nargs="+", default=list(defaults.concurrency))
    parser.add_argument("--latency", type=float, default=defaults.latency, help="seconds")
    parser.add_argument("--error-rate", type=float, default=defaults.error_rate)
    parser.add_argument("--in-flight", type=int, default=defaults.in_flight)
    parser.add_argument("--backoff-base", type=int, default=defaults.backoff_base)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    config = SoakConfig(
        interactions=args.interactions,
        concurrency=tuple(args.concurrency),
        latency=args.latency,
        error_rate=args.error_rate,
        in_flight=args.in_flight,
        backoff_base=args.backoff_base,
    )
    import logging

    logging.disable(logging.CRITICAL)  # log lines are still built, then dropped
    with contextlib.redirect_stdout(io.StringIO()):  # the workers' metric lines (EMF)
        levels = run(config)
    print(report(config, levels))
    if args.json:
        args.json.write_text(json.dumps(levels, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
