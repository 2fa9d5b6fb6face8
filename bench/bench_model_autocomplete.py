"""Benchmark of `/config set-model` autocomplete from the model catalog (not a test).

    .venv/bin/python bench/bench_model_autocomplete.py [--models 5000] [--rounds 40]

A fresh migrated database (embedded PostgreSQL in .tzurot/pgdata-bench unless DATABASE_URL is
set) gets `--models` catalog rows over the four providers (60% OpenRouter), a fifth of them shut
down or image-only, and 500 personalities with two aliases each. Timed: the interactions
endpoint's `handle()` for a signed autocomplete request (verification, parsing, the one query
on the shared connection, the JSON answer; signing the request is not timed), with the
per-container cache off (ttl 0: every keystroke queries) so each figure is a database answer.

Typed texts cover the cheap and the expensive cases: nothing typed yet (every model of the
provider matches and is sorted), one letter, a vendor prefix, a full id, no match, and no
provider picked (all 5,000 rows scanned). Baseline, same run, same endpoint and connection:
personality autocomplete (the existing database autocomplete) for comparable texts.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from bench_generate import admin_url, drop_database, fresh_database  # noqa: E402

MODEL_TEXTS = [
    ("openrouter", ""),
    ("openrouter", "g"),
    ("openrouter", "openai/gpt"),
    ("openrouter", "llama-3"),
    ("openrouter", "meta-llama/llama-3.1-70b-instruct-v2"),
    ("openai", "gpt-4"),
    ("anthropic", "claude"),
    ("google", "gemini-2"),
    ("openrouter", "zzz-no-match"),
    (None, "gpt"),
    (None, "a"),
]
PERSONALITY_TEXTS = ["", "l", "lil", "echo-12", "zzz-no-match", "a"]
VENDORS = ["openai", "anthropic", "google", "meta-llama", "mistralai", "qwen", "deepseek", "x-ai",
           "cohere", "nousresearch", "microsoft", "amazon"]  # fmt: skip
FAMILIES = ["gpt", "claude", "gemini", "llama-3", "mistral", "qwen", "deepseek", "grok", "command",
            "hermes", "phi", "nova"]  # fmt: skip


def catalog_rows(count: int, seed: int = 7):
    from datetime import date
    from decimal import Decimal

    from tzurot.catalog.model import CatalogModel

    rng = random.Random(seed)
    shares = {"openrouter": 0.6, "openai": 0.15, "anthropic": 0.05, "google": 0.2}
    rows: dict[str, list[CatalogModel]] = {}
    for provider, share in shares.items():
        models = []
        for n in range(int(count * share)):
            family = rng.choice(FAMILIES)
            size = rng.choice(["8b", "70b", "mini", "pro", "flash", "large", "small"])
            name = f"{family}-{rng.randint(1, 5)}.{rng.randint(0, 9)}-{size}-v{n}"
            if provider == "openrouter":
                name = f"{rng.choice(VENDORS)}/{name}"
            kind = rng.random()
            models.append(
                CatalogModel(
                    provider=provider,
                    model_id=name,
                    context_length=rng.choice([8192, 32768, 128000, 200000, 1048576]),
                    input_modalities=("text", "image"),
                    output_modalities=("image",) if kind < 0.1 else ("text",),
                    input_price=Decimal(rng.randint(1, 15000)) / 1000,
                    output_price=Decimal(rng.randint(1, 60000)) / 1000,
                    shutdown_date=date(2025, 1, 1) if 0.1 <= kind < 0.2 else None,
                )
            )
        rows[provider] = models
    return rows


def fill(url: str, models: int, personalities: int = 500) -> int:
    import psycopg

    from tzurot.catalog.store import replace_provider

    with psycopg.connect(url, autocommit=True) as conn:
        total = sum(replace_provider(conn, p, rows) for p, rows in catalog_rows(models).items())
        with conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO personalities (name, slug) VALUES (%s, %s)",
                [(f"Echo {n}", f"echo-{n}") for n in range(personalities)],
            )
            cursor.execute(
                """INSERT INTO personality_aliases (alias, personality_id)
                SELECT 'a' || p.slug || s, p.id FROM personalities p, generate_series(1, 2) s"""
            )
        conn.execute("ANALYZE")
    return total


def requests(texts, build):
    from tests.fakes.interactions import signed

    return [(label, *signed(build(*item))) for label, item in texts]


def timed(endpoint, prepared, rounds: int) -> dict[str, float]:
    """Median seconds per label, over `rounds` calls of each."""
    samples: dict[str, list[float]] = {label: [] for label, *_ in prepared}
    for _ in range(rounds):
        for label, headers, body in prepared:
            start = time.perf_counter()
            response = endpoint.handle(headers, body)
            samples[label].append(time.perf_counter() - start)
            assert response.status == 200, response
    return {label: statistics.median(values) for label, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=5000, help="catalog rows")
    parser.add_argument("--rounds", type=int, default=40, help="calls per typed text")
    args = parser.parse_args()
    import logging

    logging.disable(logging.CRITICAL)
    from tests.fakes.interactions import PUBLIC_KEY, Recorder, autocomplete
    from tzurot.db import connection
    from tzurot.discord.autocomplete import ModelChoices, PersonalityChoices
    from tzurot.discord.endpoint import InteractionEndpoint

    admin = admin_url()
    name, url = fresh_database(admin)
    try:
        total = fill(url, args.models)
        os.environ["DATABASE_URL"] = url
        connection.reset_shared_connection()
        recorder = Recorder()
        endpoint = InteractionEndpoint(
            public_key=PUBLIC_KEY,
            send_job=recorder.send_job,
            seal=recorder.seal,
            seal_token=recorder.seal_token,
            personalities=PersonalityChoices(ttl=0),
            models=ModelChoices(ttl=0),
        )

        def model_request(provider, text):
            picked = [f"provider={provider}"] if provider else []
            return autocomplete("config", "set-model", *picked, f"model={text}")

        models = requests(
            [(f"{p or 'any provider'}: {t!r}", (p, t)) for p, t in MODEL_TEXTS], model_request
        )
        people = requests(
            [(repr(t), (t,)) for t in PERSONALITY_TEXTS],
            lambda text: autocomplete("chat", f"personality={text}"),
        )
        timed(endpoint, models + people, 3)  # warm up: connection, prepared plans
        # Interleaved rounds: both sides see the same machine noise.
        model_medians, people_medians = {}, {}
        for _ in range(3):
            for label, value in timed(endpoint, models, args.rounds // 3 or 1).items():
                model_medians.setdefault(label, []).append(value)
            for label, value in timed(endpoint, people, args.rounds // 3 or 1).items():
                people_medians.setdefault(label, []).append(value)
        model_by = {k: statistics.median(v) for k, v in model_medians.items()}
        people_by = {k: statistics.median(v) for k, v in people_medians.items()}
        start = time.perf_counter()
        for _ in range(200):
            connection.shared_connection().execute("SELECT 1").fetchone()
        select1 = (time.perf_counter() - start) / 200
    finally:
        connection.reset_shared_connection()
        drop_database(admin, name)
    ms = 1000
    overall = statistics.median(model_by.values())
    worst = max(model_by.values())
    baseline = statistics.median(people_by.values())
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, catalog rows={total}, "
          f"rounds={args.rounds}")  # fmt: skip
    for label, value in model_by.items():
        print(f"model autocomplete  {label:50s} {value * ms:7.2f} ms")
    for label, value in people_by.items():
        print(f"personality (base)  {label:50s} {value * ms:7.2f} ms")
    print(f"model autocomplete: median over texts {overall * ms:7.2f} ms (target < 50)")
    print(f"model autocomplete: slowest text      {worst * ms:7.2f} ms (target < 50)")
    print(f"baseline personality autocomplete     {baseline * ms:7.2f} ms (500 personalities)")
    print(f"ratio model / personality             {overall / baseline:7.2f}")
    print(f"one SELECT 1 round trip               {select1 * ms:7.3f} ms")


if __name__ == "__main__":
    main()
