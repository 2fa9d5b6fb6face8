"""Finding 16: one JSON record per line on stdout, logs and metrics alike, while the jobs of a
batch run side by side (45 of 3,936 worker lines held two records glued together)."""

from __future__ import annotations

import json
import threading

from tzurot import observability
from tzurot.logs import get_logger


def test_parallel_jobs_write_one_record_per_line(capfd):
    log = get_logger("tzurot.parallel-test")
    start = threading.Barrier(8)

    def job(n: int) -> None:
        start.wait()
        for i in range(150):
            observability.record_job("chat", "ok")
            log.info("answered", extra={"job": n, "i": i})
            observability.record_tokens("openai", prompt=10, completion=5)

    threads = [threading.Thread(target=job, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = [line for line in capfd.readouterr().out.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # each line is exactly one JSON document
    assert sum(1 for r in records if r.get("message") == "answered") == 8 * 150
    assert sum(1 for r in records if "Jobs" in r) == 8 * 150
    assert sum(1 for r in records if "Tokens" in r) == 8 * 150 * 2
