"""Benchmark of the test cluster's settings (not a test): what one test's database costs.

    .venv/bin/python bench/bench_test_cluster.py [--rounds 40]

Two embedded PostgreSQL clusters in a temporary folder, started side by side: one with the
server's defaults (what `.tzurot/pgdata-test` ran with before), one with tests/conftest.py's
TEST_CLUSTER_SETTINGS (restarted once, so that settings needing a restart would apply). Each
gets a template database with every migration applied; then, alternating between the two so
that the machine's noise falls on both alike, each round does what the `db_url` fixture does
for one test: CREATE DATABASE ... TEMPLATE, DROP DATABASE. Reported per cluster: the median
time of a round, the WAL it wrote (pg_current_wal_lsn before and after), and the size of
pg_wal and of the whole data folder at the end (no checkpoint forced: what a run leaves); the
ratio is defaults / small.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from tests.conftest import TEST_CLUSTER_SETTINGS, _keep_small  # noqa: E402
from tzurot.db import embedded  # noqa: E402
from tzurot.db.migrations import Migrator  # noqa: E402


def folder_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


class Cluster:
    def __init__(self, name: str, pgdata: Path, small: bool):
        self.name = name
        self.pgdata = pgdata
        self.server = embedded.start(pgdata)
        self.admin = self.server.get_uri("postgres")
        if small:
            _keep_small(self.admin)
            self.server.cleanup()  # stop: a setting needing a restart applies at the next start
            self.server = embedded.start(pgdata)
            self.admin = self.server.get_uri("postgres")
        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute("CREATE DATABASE bench_template")
        url = self.server.get_uri("bench_template")
        with psycopg.connect(url) as conn:
            Migrator(conn).migrate()
        self.times: list[float] = []
        self.wal: list[int] = []

    def round(self, index: int) -> None:
        with psycopg.connect(self.admin, autocommit=True) as conn:
            before = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
            started = time.perf_counter()
            conn.execute(f"CREATE DATABASE bench_{index} TEMPLATE bench_template")
            conn.execute(f"DROP DATABASE bench_{index} WITH (FORCE)")
            self.times.append(time.perf_counter() - started)
            after = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
            diff = conn.execute("SELECT pg_wal_lsn_diff(%s, %s)", (after, before)).fetchone()[0]
            self.wal.append(int(diff))

    def settings(self) -> str:
        with psycopg.connect(self.admin, autocommit=True) as conn:
            return ", ".join(
                f"{name}={conn.execute(f'SHOW {name}').fetchone()[0]}"
                for name in ("wal_level", "max_wal_size", "fsync", "full_page_writes")
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tzurot-bench-") as tmp:
        clusters = [
            Cluster("defaults", Path(tmp) / "defaults", small=False),
            Cluster("small", Path(tmp) / "small", small=True),
        ]
        for index in range(args.rounds):
            for cluster in clusters if index % 2 == 0 else reversed(clusters):
                cluster.round(index)
        rows = {}
        for cluster in clusters:
            rows[cluster.name] = (
                statistics.median(cluster.times) * 1000,
                statistics.median(cluster.wal) / 1e6,
                folder_mb(cluster.pgdata / "pg_wal"),
                folder_mb(cluster.pgdata),
            )
            print(f"{cluster.name}: {cluster.settings()}")
        print(f"\n{args.rounds} rounds of CREATE DATABASE ... TEMPLATE + DROP, alternating")
        header = ("cluster", "ms/round", "WAL MB/round", "pg_wal MB", "data MB")
        print("{:<10} {:>9} {:>13} {:>10} {:>8}".format(*header))
        for name, (ms, wal, pg_wal, data) in rows.items():
            print(f"{name:<10} {ms:>9.1f} {wal:>13.2f} {pg_wal:>10.1f} {data:>8.1f}")
        ratio = rows["defaults"][0] / rows["small"][0]
        print(f"time ratio defaults/small: {ratio:.2f}")
        for cluster in clusters:
            cluster.server.cleanup()
    print(f"(settings: {TEST_CLUSTER_SETTINGS})")


if __name__ == "__main__":
    main()
