"""`sam validate --lint` and `sam build` of template.yaml with the pinned SAM CLI.

Skipped, with the reason, where the SAM CLI cannot be installed (no PyPI) or the runtime's
Python (3.13) is missing. `sam build` runs through `tzurot build` (the operator's command) and
downloads the layer's wheels for arm64 from PyPI.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.deploy import template as tpl
from tests.deploy import tools
from tests.deploy.template import ROOT, TEMPLATE


@pytest.fixture(scope="module")
def sam() -> Path:
    try:
        return tools.sam_cli()
    except tools.Unavailable as exc:
        pytest.skip(str(exc))


def test_sam_validate_lint(sam):
    result = subprocess.run(
        [str(sam), "validate", "--lint", "--template-file", str(TEMPLATE)],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
        env=tools.sam_environment(),
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert f"{TEMPLATE} is a valid SAM Template" in output


@pytest.fixture(scope="module")
def built(sam, tmp_path_factory) -> Path:
    """Built as the operator guide says: `tzurot build`, which finds python3.13 for sam (the
    environment's PATH is left as it is)."""
    try:
        tools.runtime_python()
    except tools.Unavailable as exc:
        pytest.skip(f"sam build skipped: {exc}")
    build_dir = tmp_path_factory.mktemp("sam") / "build"
    started = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tzurot.cli.main",
            "build",
            "--sam",
            str(sam),
            "--",
            "--template-file",
            str(TEMPLATE),
            "--build-dir",
            str(build_dir),
            "--base-dir",
            str(ROOT),
            "--no-cached",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        env=tools.sam_environment(),
    )
    output = result.stdout + result.stderr
    if result.returncode != 0 and tools.is_offline(output):
        pytest.skip("sam build skipped: PyPI unreachable for the layer's wheels")
    assert result.returncode == 0, output[-4000:]
    assert "Build Succeeded" in output
    print(f"sam build: {time.monotonic() - started:.0f} s")
    return build_dir


def test_layer_is_built_for_arm64_and_fits(built, capsys):
    layer = built / "CommonLayer" / "python"
    assert (layer / "tzurot" / "__init__.py").is_file()
    assert (layer / "tzurot" / "secrets.py").is_file()
    assert not (layer / "boto3").exists() and not (layer / "botocore").exists()
    for package in ("pydantic_core", "psycopg_binary", "nacl", "cryptography"):
        assert (layer / package).is_dir(), package
    natives = list(layer.rglob("*.so"))
    assert natives
    wrong = [str(p.relative_to(layer)) for p in natives if not tools.is_aarch64_elf(p)]
    assert wrong == []
    size = tools.tree_size(built / "CommonLayer")
    with capsys.disabled():
        print(f"\n  sam build: layer unzipped {size / 1e6:.1f} MB (limit 50 MB)")
    assert size < tools.LAYER_LIMIT_BYTES


def test_functions_are_built_with_their_files(built):
    for name in tpl.FUNCTIONS:
        assert (built / name / "app.py").is_file(), name
    packaged = built / "MigrateFunction" / "migrations"
    sources = sorted(p.name for p in (ROOT / "db" / "migrations").glob("*.sql"))
    assert sorted(p.name for p in packaged.iterdir()) == sources
    for name in sources:
        copied = packaged / name
        assert not copied.is_symlink()
        assert copied.read_text() == (ROOT / "db" / "migrations" / name).read_text()
    built_template = (built / "template.yaml").read_text()
    assert "CodeUri: MigrateFunction" in built_template
