"""The short soak (bench/soak.py with 200 interactions): the whole local stack under a mixed
load, provider latency and 5 % 429/500 included, and its accounting: every interaction answered
exactly once, one usage row per paid provider call, nothing in the dead-letter queues."""

from __future__ import annotations

import contextlib
import io

from bench import soak


def test_short_soak_answers_every_interaction_once_and_accounts_for_every_call(
    local_env, pg_admin_url
):
    config = soak.SoakConfig(
        interactions=200,
        concurrency=(4,),
        latency=0.02,  # the real default is 0.8 s; the accounting does not depend on it
        error_rate=0.05,
        in_flight=24,
        backoff_base=1,  # retries after a 500 come back in 1 s, not the production 10 s
        answer_timeout=40,
    )
    with contextlib.redirect_stdout(io.StringIO()):  # the workers' metric lines
        (level,) = soak.run(config, admin=pg_admin_url)

    assert level["interactions"] == 200
    kinds = level["by_kind"]
    assert sum(kinds.values()) == 200 and set(kinds) == {"chat", "imagine", "account"}
    assert 120 <= kinds["chat"] <= 160 and kinds["imagine"] >= 8 and kinds["account"] >= 25
    assert level["unanswered"] == 0
    assert level["answered_twice_or_more"] == 0
    assert level["answered_once"] == 200
    # Every provider call that succeeded wrote exactly one usage row (chat and image); the
    # failed ones (429/500) none, and their jobs were retried rather than answered twice.
    assert level["paid_calls"] == level["usage_rows"] >= kinds["chat"] + kinds["imagine"] - 2
    assert level["dead_letters"] == {"generate": 0, "image": 0}
    assert level["refusals"] <= 2  # a job failing 3 receives in a row: 0.05³, rare
    assert level["p50"] < level["p99"] < 40
