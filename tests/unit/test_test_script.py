"""`./test` uses every core by default (pytest-xdist, whole files per worker), and leaves the
choice to the arguments when they make one (`.ci/run` passes `-n 2 --dist loadfile`)."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET = "tests/unit/test_storable.py"


def run_test(*args: str) -> str:
    """`./test ARGS` on a few quick tests; lint included (it is part of the script)."""
    result = subprocess.run(
        ["bash", str(ROOT / "test"), "-p", "no:cacheprovider", *args, TARGET],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def test_by_default_it_runs_in_parallel_by_file():
    out = run_test()
    assert "created: " in out and " workers" in out  # xdist's report of its workers
    assert " passed in " in out and "failed" not in out


def test_arguments_that_choose_win():
    assert "created: " not in run_test("-n", "0")
    assert "created: " not in run_test("-p", "no:xdist")
