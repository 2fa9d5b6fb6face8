"""Benchmark of the generate worker (not a test): per-job overhead and the quota check.

    .venv/bin/python bench/bench_generate.py [--jobs 300] [--rows 1000000] [--memory] [--voice]

With --memory the personality has long-term memory on (tzurot.memory): each job also embeds
the message (a zero-latency OpenAI /embeddings stand-in, 1536 dimensions), recalls, and writes
a memory and an embedding usage row; the quota part is skipped.

Worker overhead: the real generate worker (`Worker.handle_batch`, what functions/generate/app.py
runs) on one-record SQS batches of warm /chat jobs, against a real PostgreSQL and in-process,
zero-latency stand-ins for the provider (OpenAI's wire format through httpx.MockTransport) and
Discord, so the figure is everything but provider and Discord latency: event parsing, the claim,
name resolution, the user/config/history/usage read, key decryption, prompt building, request
and response mapping, the atomic write and the reply payloads. Reported per job: the median
time, database round trips (counted by a loopback proxy between the worker and PostgreSQL: a
round trip is each time the worker sends after the server answered), statements (counted by a
connection wrapper) and KMS calls (botocore hooks on the keyring's client, which also unwraps the
transit private key; moto in process). Every job carries its interaction token sealed to the
transit public key, as the interactions function seals them (tzurot.crypto.transit). With
`--voice`, the same again for jobs whose answer is also spoken (a zero-latency ElevenLabs
stand-in and the audio upload).

Quota check: `tzurot.usage.limits.check_quota` with 1M rows in usage_logs (10,000 users over 30
days, one heavy user with 100,000 rows today), next to a bare `SELECT 1` and to summing the
user's rows of today from usage_logs (what the check would cost without the usage_daily
aggregate). With DATABASE_URL unset, an embedded PostgreSQL in .tzurot/pgdata-bench is used;
a throwaway database is created and dropped either way.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import socket
import statistics
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import psycopg  # noqa: E402
from psycopg.conninfo import conninfo_to_dict, make_conninfo  # noqa: E402

APP_ID = "1000000000000000001"
DISCORD_USER = "100000000000000001"
CHANNEL = "100000000000000002"
KEY = "sk-proj-benchOpenAIkey0123456789abcdefghij"
VOICE_KEY = "sk_benchElevenLabsKey0123456789abcdef0123456789"


# --- a database of our own, and a round-trip counter in front of it -----------------------------


def admin_url() -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        return url
    from tzurot.db import embedded

    return embedded.start(embedded.STATE_DIR / "pgdata-bench").get_uri("postgres")


class RoundTripProxy:
    """A loopback TCP proxy to PostgreSQL that counts request/response turns."""

    def __init__(self, url: str):
        params = conninfo_to_dict(url)
        host, port = params.get("host") or "127.0.0.1", int(params.get("port") or 5432)
        self._target = (
            (socket.AF_UNIX, f"{host}/.s.PGSQL.{port}")
            if host.startswith("/")
            else (socket.AF_INET, (host, port))
        )
        self._listener = socket.create_server(("127.0.0.1", 0))
        params.update(host="127.0.0.1", port=str(self._listener.getsockname()[1]))
        self.url = make_conninfo(**params)
        self.turns = 0
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            client, _ = self._listener.accept()
            threading.Thread(target=self._pump, args=(client,), daemon=True).start()

    def _pump(self, client: socket.socket) -> None:
        family, address = self._target
        server = socket.socket(family, socket.SOCK_STREAM)
        server.connect(address)
        last = "server"
        while True:
            ready, _, _ = select.select([client, server], [], [])
            for sock in ready:
                data = sock.recv(65536)
                if not data:
                    client.close()
                    server.close()
                    return
                if sock is client:
                    if last == "server":
                        with self._lock:
                            self.turns += 1
                    last = "client"
                    server.sendall(data)
                else:
                    last = "server"
                    client.sendall(data)


class CountingConnection:
    """Passes everything to a psycopg connection, counting the statements it executes."""

    def __init__(self, conn: psycopg.Connection):
        self._conn = conn
        self.statements = 0
        self.seconds = 0.0  # time spent waiting on statements

    def execute(self, *args, **kwargs):
        self.statements += 1
        start = time.perf_counter()
        try:
            return self._conn.execute(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - start

    def cursor(self, *args, **kwargs):
        return _CountingCursor(self, self._conn.cursor(*args, **kwargs))

    def __getattr__(self, name):
        return getattr(self._conn, name)


class _CountingCursor:
    def __init__(self, owner: CountingConnection, cursor):
        self._owner = owner
        self._cursor = cursor

    def execute(self, *args, **kwargs):
        self._owner.statements += 1
        start = time.perf_counter()
        try:
            self._cursor.execute(*args, **kwargs)
        finally:
            self._owner.seconds += time.perf_counter() - start
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self._cursor.close()

    def __getattr__(self, name):
        return getattr(self._cursor, name)


# --- zero-latency provider and Discord --------------------------------------------------------


def openai_transport() -> httpx.MockTransport:
    import base64
    import random
    import struct

    rng = random.Random(7)

    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        assert request.headers["authorization"] == f"Bearer {KEY}"
        if request.url.path.endswith("/embeddings"):
            vector = [rng.uniform(-1, 1) for _ in range(body.get("dimensions") or 1536)]
            encoded = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
            return httpx.Response(
                200,
                json={
                    "object": "list",
                    "data": [{"object": "embedding", "index": 0, "embedding": encoded}],
                    "model": body["model"],
                    "usage": {"prompt_tokens": 4, "total_tokens": 4},
                },
            )
        return httpx.Response(
            200,
            json={
                "id": "chatcmpl-bench",
                "object": "chat.completion",
                "created": 1767225600,
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "A short answer. " * 20},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 420, "completion_tokens": 80, "total_tokens": 500},
            },
        )

    return httpx.MockTransport(answer)


def elevenlabs_transport() -> httpx.MockTransport:
    """Text-to-speech answering with the fakes' MP3 (4,160 bytes), billed by the character."""
    from tzurot.dev.audio import FAKE_MP3

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.headers["xi-api-key"] == VOICE_KEY
        text = json.loads(request.content)["text"]
        headers = {"content-type": "audio/mpeg", "character-cost": str(len(text))}
        return httpx.Response(200, content=FAKE_MP3, headers=headers)

    return httpx.MockTransport(answer)


def discord_transport(calls: list[str]) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        return httpx.Response(200, json={"id": "1", "content": "", "embeds": []})

    return httpx.MockTransport(answer)


# --- worker overhead ----------------------------------------------------------------------------


def job_event(number: int, transit_key) -> dict:
    """A warm /chat job as the interactions function (sealing to `transit_key`) queues it."""
    from tzurot.crypto.transit import Binding, seal
    from tzurot.dev.simulator import snowflake
    from tzurot.dev.workers import sqs_event
    from tzurot.jobs.model import Job

    interaction_id = snowflake()
    job = Job(
        queue="generate",
        interaction_id=interaction_id,
        token_sealed=seal(
            transit_key,
            f"bench-token-{uuid.uuid4().hex}",
            Binding.token(interaction_id=interaction_id, user_id=DISCORD_USER),
        ),
        application_id=APP_ID,
        user_id=DISCORD_USER,
        username="bench-user",
        channel_id=CHANNEL,
        command="chat",
        options={"personality": "ada", "message": f"hello number {number}"},
        created_at=datetime.now(UTC),
    )
    message = {
        "MessageId": str(uuid.uuid4()),
        "ReceiptHandle": "bench",
        "Body": job.to_message(),
        "Attributes": {"ApproximateReceiveCount": "1"},
    }
    return sqs_event([message], "arn:aws:sqs:us-east-1:123456789012:bench", "us-east-1")


def worker_overhead(url: str, jobs: int, memory: bool = False, voice: bool = False) -> dict:
    """`voice`: the personality speaks and the user holds an ElevenLabs key, so each job also
    synthesises (zero-latency stand-in) and uploads the audio (tzurot.commands.voice)."""
    import boto3
    from moto import mock_aws

    from tests.e2e.chat_stack import seed_personalities
    from tzurot.commands.registry import GENERATE_HANDLERS
    from tzurot.config import Settings
    from tzurot.crypto import transit_keys
    from tzurot.crypto.key_store import store_user_key
    from tzurot.crypto.master_key import MasterKeyring, forget_unwrapped_keys, init_master_key
    from tzurot.discord.rest import DiscordRest
    from tzurot.jobs.worker import Worker

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        os.environ[name] = value
    os.environ.pop("AWS_ENDPOINT_URL", None)
    proxy = RoundTripProxy(url)
    with mock_aws(), psycopg.connect(url, autocommit=True) as setup:
        kms = boto3.client("kms")
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        init_master_key(setup, kms, key_id)
        personality_ids = seed_personalities(setup)
        if memory:
            setup.execute("UPDATE personalities SET ltm_enabled = true WHERE slug = 'ada'")
        user_id = setup.execute(
            "INSERT INTO users (discord_id, username) VALUES (%s, 'bench-user') RETURNING id",
            (DISCORD_USER,),
        ).fetchone()[0]
        store_user_key(setup, MasterKeyring(setup, kms), user_id, "openai", KEY)
        if voice:
            setup.execute(
                "INSERT INTO voice_configs (personality_id, enabled, voice_id) "
                "VALUES (%s, true, 'bench-voice')",
                (personality_ids["ada"],),
            )
            store_user_key(setup, MasterKeyring(setup, kms), user_id, "elevenlabs", VOICE_KEY)
        transit_key = transit_keys.rotate(setup, kms, key_id).public_key  # keys rotate-transit
        forget_unwrapped_keys()  # the worker's container starts cold
        transit_keys.forget_unwrapped_keys()

        kms_calls: list[str] = []
        worker_kms = boto3.client("kms")
        worker_kms.meta.events.register(
            "before-call.kms", lambda event_name, **_: kms_calls.append(event_name)
        )
        # Counting pass through the proxy, timing pass on a direct connection (the proxy's
        # extra hop would inflate the times).
        counted = CountingConnection(psycopg.connect(proxy.url, autocommit=True))
        direct = CountingConnection(psycopg.connect(url, autocommit=True))
        current = [counted]
        discord_calls: list[str] = []
        worker = Worker(
            GENERATE_HANDLERS,
            settings=Settings(discord_application_id=APP_ID, voice_daily_char_limit=0),
            discord=DiscordRest(
                "https://discord.invalid/api/v10",
                APP_ID,
                client=httpx.Client(transport=discord_transport(discord_calls)),
            ),
            keyring=MasterKeyring(lambda: current[0], worker_kms),
            connection=lambda: current[0],
            provider_options={
                "openai": {"client": httpx.Client(transport=openai_transport())},
                "elevenlabs": {"client": httpx.Client(transport=elevenlabs_transport())},
            },
        )

        def run_one(number: int) -> tuple[float, int, int, int, float]:
            conn = current[0]
            event = job_event(number, transit_key)
            turns, statements, kms_before = proxy.turns, conn.statements, len(kms_calls)
            waited = conn.seconds
            start = time.perf_counter()
            result = worker.handle_batch(event)
            elapsed = time.perf_counter() - start
            assert result == {"batchItemFailures": []}, result
            return (
                elapsed,
                proxy.turns - turns,
                conn.statements - statements,
                len(kms_calls) - kms_before,
                conn.seconds - waited,
            )

        first = run_one(0)  # the cold job: KMS unwrap, the master key row read
        count = [run_one(number) for number in range(1, 51)]
        current[0] = direct
        for number in range(51, 71):  # warm-up of the direct connection
            run_one(number)
        runs = [run_one(number) for number in range(71, 71 + jobs)]
        done = 71 + jobs
        rows = setup.execute("SELECT count(*) FROM usage_logs").fetchone()[0]
        history = setup.execute("SELECT count(*) FROM conversation_messages").fetchone()[0]
        memories = setup.execute("SELECT count(*) FROM memories").fetchone()[0]
        ping = []
        for _ in range(200):
            start = time.perf_counter()
            direct.execute("SELECT 1").fetchone()
            ping.append(time.perf_counter() - start)
        counted.close()
        direct.close()
    # + the embedding's usage row (memory), + the synthesis's row and the audio edit (voice)
    per_job = 1 + memory + voice
    assert rows == per_job * done and history == 2 * done, (rows, history)
    assert memories == (done if memory else 0), memories
    assert discord_calls.count("PATCH") == (1 + voice) * done
    return {
        "median": statistics.median(r[0] for r in runs),
        "p95": sorted(r[0] for r in runs)[int(len(runs) * 0.95)],
        "database": statistics.median(r[4] for r in runs),
        "round_trips": statistics.median(r[1] for r in count),
        "round_trips_max": max(r[1] for r in count),
        "round_trips_over": sum(1 for r in count if r[1] > statistics.median(x[1] for x in count)),
        "counted_jobs": len(count),
        "statements": statistics.median(r[2] for r in runs),
        "kms_warm": sum(r[3] for r in count + runs),
        "kms_cold": first[3],
        "cold_round_trips": first[1],
        "select1": statistics.median(ping),
    }


# --- quota check with 1M usage rows -------------------------------------------------------------


def quota_check(url: str, rows: int, samples: int = 500) -> dict:
    from tzurot.config import Settings
    from tzurot.usage.limits import check_quota

    users = 10_000
    heavy = rows // 10
    with psycopg.connect(url, autocommit=True) as conn:
        start = time.perf_counter()
        conn.execute(
            "INSERT INTO users (discord_id, username) "
            "SELECT (200000000000000000 + g)::text, 'u' || g FROM generate_series(1, %s) g",
            (users,),
        )
        # Bulk load with the per-row trigger off, then build the same aggregate it keeps.
        conn.execute("ALTER TABLE usage_logs DISABLE TRIGGER usage_logs_daily")
        conn.execute(
            """
            WITH u AS (SELECT id, row_number() OVER (ORDER BY discord_id) - 1 AS n FROM users
                       WHERE discord_id LIKE '2%%')
            INSERT INTO usage_logs (user_id, provider, model, tokens_in, tokens_out,
                                    tokens_total, request_type, key_source, "timestamp")
            SELECT u.id, 'openai', 'gpt-4o-mini', 100, 50, 150, 'text', 'user',
                   now() - (g %% 30) * interval '1 day' - (g %% 997) * interval '1 second'
            FROM generate_series(1, %s) g JOIN u ON u.n = g %% %s
            """,
            (rows - heavy, users),
        )
        heavy_id = conn.execute(
            "SELECT id FROM users WHERE discord_id = '200000000000000001'"
        ).fetchone()[0]
        conn.execute(
            """INSERT INTO usage_logs (user_id, provider, model, tokens_in, tokens_out,
                                       tokens_total, request_type, key_source, "timestamp")
            SELECT %s, 'openai', 'gpt-4o-mini', 10, 5, 15, 'text', 'user',
                   date_trunc('day', now()) + (g %% 3600) * interval '1 second'
            FROM generate_series(1, %s) g""",
            (heavy_id, heavy),
        )
        conn.execute(
            """INSERT INTO usage_daily (user_id, day, key_source, tokens, requests)
            SELECT user_id, ("timestamp" AT TIME ZONE 'UTC')::date, key_source,
                   sum(tokens_total), count(*)
            FROM usage_logs GROUP BY 1, 2, 3"""
        )
        conn.execute("ALTER TABLE usage_logs ENABLE TRIGGER usage_logs_daily")
        conn.execute("VACUUM ANALYZE usage_logs")
        conn.execute("VACUUM ANALYZE usage_daily")
        load_seconds = time.perf_counter() - start
        total = conn.execute("SELECT count(*) FROM usage_logs").fetchone()[0]
        ids = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM users WHERE discord_id LIKE '2%%' ORDER BY random() LIMIT %s",
                (samples,),
            )
        ]
        settings = Settings(daily_token_limit=10**12)
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)

        def timed(action) -> list[float]:
            for user in ids[:20]:
                action(user)  # warm-up
            out = []
            for user in ids:
                begin = time.perf_counter()
                action(user)
                out.append(time.perf_counter() - begin)
            return out

        check = timed(lambda user: check_quota(conn, user, "user", settings))
        ping = timed(lambda user: conn.execute("SELECT 1").fetchone())
        naive_sql = (
            "SELECT coalesce(sum(tokens_total), 0) FROM usage_logs WHERE user_id = %s "
            "AND key_source = 'user' AND \"timestamp\" >= %s"
        )
        naive = timed(lambda user: conn.execute(naive_sql, (user, today)).fetchone())
        heavy_check = [
            _time(lambda: check_quota(conn, heavy_id, "user", settings)) for _ in range(50)
        ]
        heavy_naive = [_time(lambda: conn.execute(naive_sql, (heavy_id, today)).fetchone())
                       for _ in range(20)]  # fmt: skip
        used = check_quota(conn, heavy_id, "user", settings).used
        summed = conn.execute(naive_sql, (heavy_id, today)).fetchone()[0]
    assert used == summed >= heavy * 15, (used, summed)  # the aggregate agrees with the rows
    return {
        "rows": total,
        "load_seconds": load_seconds,
        "check": statistics.median(check),
        "check_p95": sorted(check)[int(len(check) * 0.95)],
        "select1": statistics.median(ping),
        "naive": statistics.median(naive),
        "heavy_check": statistics.median(heavy_check),
        "heavy_naive": statistics.median(heavy_naive),
    }


def _time(action) -> float:
    begin = time.perf_counter()
    action()
    return time.perf_counter() - begin


# --- main ---------------------------------------------------------------------------------------


def fresh_database(admin: str) -> tuple[str, str]:
    from tzurot.db.migrations import Migrator

    name = f"tzurot_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    params = conninfo_to_dict(admin)
    params["dbname"] = name
    url = make_conninfo(**params)
    with psycopg.connect(url) as conn:
        Migrator(conn).migrate()
    return name, url


def drop_database(admin: str, name: str) -> None:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=300, help="warm /chat jobs to time")
    parser.add_argument("--rows", type=int, default=1_000_000, help="usage_logs rows")
    parser.add_argument("--memory", action="store_true", help="long-term memory on (no quota)")
    parser.add_argument(
        "--voice", action="store_true", help="also time warm jobs whose answer is spoken"
    )
    args = parser.parse_args()
    import contextlib
    import io
    import logging

    logging.disable(logging.CRITICAL)  # log lines are still built, then dropped
    admin = admin_url()
    names = []
    try:
        name, url = fresh_database(admin)
        names.append(name)
        # The worker prints its metric lines (EMF) as in Lambda; keep them off the terminal.
        with contextlib.redirect_stdout(io.StringIO()):
            w = worker_overhead(url, args.jobs, args.memory)
        v = None
        if args.voice:
            name, url = fresh_database(admin)
            names.append(name)
            with contextlib.redirect_stdout(io.StringIO()):
                v = worker_overhead(url, args.jobs, voice=True)
        q = None
        if not args.memory:
            name, url = fresh_database(admin)
            names.append(name)
            q = quota_check(url, args.rows)
    finally:
        for name in names:
            drop_database(admin, name)
    ms = 1000
    memory = ", memory on" if args.memory else ""
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, jobs={args.jobs}{memory}")
    print(f"worker: median time per warm /chat job     {w['median'] * ms:8.2f} ms")
    print(f"worker: p95 time per warm /chat job        {w['p95'] * ms:8.2f} ms")
    print(f"worker: of which waiting on the database   {w['database'] * ms:8.2f} ms")
    target = (
        "<= 7: 5, the limit reservation and the vector recall"
        if args.memory
        else "<= 6: 5 and the limit reservation"
    )
    print(f"worker: database round trips per warm job  {w['round_trips']:8.0f}   (target {target})")
    print(
        f"worker: jobs above that, of {w['counted_jobs']}            {w['round_trips_over']:8d}   "
        f"(max {w['round_trips_max']}: psycopg prepares each statement once, on its 5th use)"
    )
    print(
        f"worker: statements per warm job            {w['statements']:8.0f}   "
        "(not counting the reservation's message)"
    )
    print(f"worker: KMS calls, all warm jobs together  {w['kms_warm']:8d}   (target 0)")
    print(f"worker: KMS calls, first (cold) job        {w['kms_cold']:8d}   "
          "(transit key + master key)")  # fmt: skip
    print(f"worker: round trips, first (cold) job      {w['cold_round_trips']:8d}")
    print(f"worker: one SELECT 1 round trip            {w['select1'] * ms:8.3f} ms")
    if v is not None:
        ratio = v["median"] / w["median"]
        print(f"voice:  median time per warm spoken job    {v['median'] * ms:8.2f} ms "
              f"({ratio:.2f}x the text-only job)")  # fmt: skip
        print(f"voice:  p95 time per warm spoken job       {v['p95'] * ms:8.2f} ms")
        print(f"voice:  database round trips per job       {v['round_trips']:8.0f}")
        print(f"voice:  statements per job                 {v['statements']:8.0f}")
        print(f"voice:  KMS calls, all warm jobs together  {v['kms_warm']:8d}")
    if q is None:
        return
    print(f"quota:  usage_logs rows                    {q['rows']:8d}   "
          f"(loaded in {q['load_seconds']:.1f} s)")  # fmt: skip
    print(f"quota:  check_quota median                 {q['check'] * ms:8.3f} ms (target <= 2)")
    print(f"quota:  check_quota p95                    {q['check_p95'] * ms:8.3f} ms")
    print(f"quota:  SELECT 1 median (same connection)  {q['select1'] * ms:8.3f} ms")
    print(f"quota:  sum of today's usage_logs rows     {q['naive'] * ms:8.3f} ms (no aggregate)")
    print(f"quota:  heavy user (100k rows today) check {q['heavy_check'] * ms:8.3f} ms")
    print(f"quota:  heavy user, sum of usage_logs      {q['heavy_naive'] * ms:8.3f} ms")


if __name__ == "__main__":
    main()
