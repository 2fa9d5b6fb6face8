"""Benchmark of long-term memory at scale (not a test): recall for one user, write cost per turn.

    .venv/bin/python bench/bench_memory.py [--users 10000] [--per-user 100] [--dims 1536]
                                           [--samples 300] [--hnsw]

Builds its own data in a throwaway database (migrated to the real schema): `--users` users, each
with `--per-user` memories with one personality (1,000,000 by default), random `--dims`-sized
embeddings of one model and a sentence of random words each, generated inside PostgreSQL with
generate_series. The HNSW index (migration 0009, partial on dims = 1536) is dropped for the load;
with --hnsw it is built afterwards over every row (slow), so that the write cost includes keeping
it up to date; without, the write cost is that of a table without it.

Measured, for random users (medians over `--samples`):

- recall: the production queries of one /chat turn (tzurot.memory.store): the vector recall
  (one user's rows with one personality, exact cosine distance, threshold, limit 5) and the
  full-text subquery the state statement carries, each alone, next to a bare `SELECT 1`;
- the plan of the vector recall (it must read memories_owner_idx, never the HNSW index);
- write cost per turn: the memory INSERT the turn's commit carries (with its embedding, tsvector
  and indexes) plus the embedding's usage row, as one statement, committed.

With DATABASE_URL unset an embedded PostgreSQL in .tzurot/pgdata-bench is used.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import psycopg  # noqa: E402
from bench_generate import admin_url, drop_database, fresh_database  # noqa: E402
from psycopg.conninfo import make_conninfo  # noqa: E402

MODEL = "text-embedding-3-small"
WORDS = [
    *("cat", "dog", "rain", "music", "coffee", "sister", "garden", "train", "book", "winter"),
    *("river", "dream", "castle", "piano", "mountain", "letter", "friend", "ocean", "forest"),
    *("birthday", "night", "summer", "city", "song", "kitchen", "window"),
]


def load(conn: psycopg.Connection, users: int, per_user: int, dims: int) -> float:
    start = time.perf_counter()
    conn.execute("DROP INDEX memories_embedding_1536_idx")
    conn.execute(
        "INSERT INTO users (discord_id, username) "
        "SELECT (100000000000000000 + n)::text, 'user' || n FROM generate_series(1, %s) n",
        (users,),
    )
    conn.execute("INSERT INTO personalities (name, slug) VALUES ('Ada', 'ada')")
    # One statement: per row a random unit-free vector and six random words. The user of row
    # n is n % users, so each user's rows are spread over the table as turns would be.
    conn.execute(
        """INSERT INTO memories (user_id, personality_id, content, source_interaction_id,
                                 source_channel_id, created_at, embedding, embedding_model, dims)
        SELECT u.id, p.id,
               (SELECT string_agg((%(words)s::text[])[1 + floor(random() * %(nwords)s)::int], ' ')
                FROM generate_series(1, 6 + (n %% 3)) w WHERE n > 0),
               n::text, '1', now() - make_interval(mins => n),
               (SELECT array_agg(random() * 2 - 1)::vector FROM generate_series(1, %(dims)s)
                WHERE n > 0),
               %(model)s, %(dims)s
        FROM generate_series(1, %(rows)s) n
        JOIN users u ON u.discord_id = (100000000000000000 + 1 + n %% %(users)s)::text
        CROSS JOIN personalities p""",
        {
            "words": WORDS,
            "nwords": len(WORDS),
            "dims": dims,
            "model": MODEL,
            "rows": users * per_user,
            "users": users,
        },
    )
    conn.execute("ANALYZE")
    return time.perf_counter() - start


def timed(action, samples: int) -> list[float]:
    found = []
    for _ in range(samples):
        start = time.perf_counter()
        action()
        found.append(time.perf_counter() - start)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--per-user", type=int, default=100)
    parser.add_argument("--dims", type=int, default=1536)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--hnsw", action="store_true", help="build the HNSW index after the load")
    parser.add_argument("--keep", action="store_true", help="keep the database (prints its name)")
    parser.add_argument("--reuse", metavar="NAME", help="measure a database kept by --keep")
    args = parser.parse_args()

    from tzurot.db.compose import atomically
    from tzurot.memory import store
    from tzurot.usage.ledger import UsageRecord, usage_statement

    admin = admin_url()
    if args.reuse:
        name, url = args.reuse, make_conninfo(admin, dbname=args.reuse)
    else:
        name, url = fresh_database(admin)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            seconds = 0.0 if args.reuse else load(conn, args.users, args.per_user, args.dims)
            rows = conn.execute("SELECT count(*) FROM memories").fetchone()[0]
            size = conn.execute(
                "SELECT pg_size_pretty(pg_total_relation_size('memories'))"
            ).fetchone()[0]
            build = None
            if args.hnsw:
                start = time.perf_counter()
                conn.execute("SET maintenance_work_mem = '2GB'")
                conn.execute(
                    "CREATE INDEX memories_embedding_1536_idx ON memories USING hnsw "
                    "((embedding::vector(1536)) vector_cosine_ops) WHERE dims = 1536"
                )
                build = time.perf_counter() - start
            users = [
                (str(u), str(p))
                for u, p in conn.execute(
                    "SELECT u.id, p.id FROM users u CROSS JOIN personalities p"
                ).fetchall()
            ]
            rng = random.Random(14)

            def vector() -> list[float]:
                return [rng.uniform(-1, 1) for _ in range(args.dims)]

            def recall() -> list:
                user, personality = rng.choice(users)
                return store.vector_recall(
                    conn,
                    user_id=user,
                    personality_id=personality,
                    channel_id="1",
                    vector=query,
                    model=MODEL,
                    threshold=-1.0,  # every row passes: the worst case, the full sort
                    limit=5,
                    window=6,
                )

            fulltext_sql = "SELECT " + store.state_sql("%(user)s::uuid", "6")

            def fulltext() -> None:
                user, personality = rng.choice(users)
                conn.execute(
                    fulltext_sql,
                    {
                        **store.state_params(
                            on=True,
                            personality_id=personality,
                            query=" ".join(rng.sample(WORDS, 4)),
                            limit=5,
                        ),
                        "user": user,
                        "history_channel_id": "1",
                        "history_personality_id": personality,
                    },
                ).fetchone()

            query = vector()
            found = recall()
            assert len(found) == 5, found
            plan = "\n".join(
                r[0]
                for r in conn.execute(
                    "EXPLAIN " + store._VECTOR_RECALL,
                    {
                        "vector": store.vector_literal(query),
                        "user_id": users[0][0],
                        "history_personality_id": users[0][1],
                        "history_channel_id": "1",
                        "model": MODEL,
                        "dims": args.dims,
                        "threshold": 0.4,
                        "window": 6,
                        "limit": 5,
                    },
                )
            )
            assert "memories_owner_idx" in plan and "hnsw" not in plan.lower(), plan
            user, personality = users[0]
            fulltext_plan = "\n".join(
                r[0]
                for r in conn.execute(
                    "EXPLAIN " + fulltext_sql,
                    {
                        **store.state_params(
                            on=True, personality_id=personality, query="cat and rain", limit=5
                        ),
                        "user": user,
                        "history_channel_id": "1",
                        "history_personality_id": personality,
                    },
                )
            )
            assert "memories_owner_idx" in fulltext_plan, fulltext_plan
            for _ in range(20):  # warm the caches the timed runs use
                recall()
                fulltext()
            ping = timed(lambda: conn.execute("SELECT 1").fetchone(), args.samples)
            recalls = timed(recall, args.samples)
            fulltexts = timed(fulltext, args.samples)
            counter = iter(range(10**9))

            def write() -> None:
                number = next(counter)
                user, personality = rng.choice(users)
                vec = vector()
                atomically(
                    store.write_statement(
                        user_id=user,
                        personality_id=personality,
                        content="bench-user: a new question\nAda: a new answer",
                        interaction_id=f"w{number}",
                        channel_id="1",
                        vector=vec,
                        model=MODEL,
                        created_at=datetime_now(),
                    ),
                    usage_statement(
                        UsageRecord(user, personality, "openai", MODEL, 9, 0, "embedding")
                    ),
                ).execute(conn)

            writes = timed(write, min(args.samples, 200))
    finally:
        if args.keep or args.reuse:
            print(f"database kept: {name} (--reuse {name}; drop it when done)")
        else:
            drop_database(admin, name)

    ms = 1000

    def p95(values: list[float]) -> float:
        return sorted(values)[int(len(values) * 0.95)] * ms

    print(f"memories {rows:,} ({args.users:,} users x {args.per_user}), {args.dims} dims, {size}")
    print(f"load (generate_series, no HNSW)       {seconds:8.1f} s")
    if build is not None:
        print(f"HNSW build over all rows              {build:8.1f} s")
    print(f"SELECT 1 median                       {statistics.median(ping) * ms:8.3f} ms")
    print(f"vector recall median (one user)       {statistics.median(recalls) * ms:8.3f} ms")
    print(f"vector recall p95                     {p95(recalls):8.3f} ms")
    print(f"full-text recall median (one user)    {statistics.median(fulltexts) * ms:8.3f} ms")
    print(f"full-text recall p95                  {p95(fulltexts):8.3f} ms")
    hnsw = "with" if args.hnsw else "without"
    print(f"write per turn median ({hnsw} HNSW)   {statistics.median(writes) * ms:8.3f} ms")
    print(f"write per turn p95                    {p95(writes):8.3f} ms")
    print("vector recall plan:\n" + plan.split("\n")[0][:200])


def datetime_now():
    from datetime import UTC, datetime

    return datetime.now(UTC)


if __name__ == "__main__":
    main()
