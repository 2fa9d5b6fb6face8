"""The layer's dependencies resolve as binary wheels for the Lambda platform and fit in 50 MB.

Same question `sam build` answers, without the SAM CLI: pip downloads layers/common/
requirements.txt for CPython 3.13 on manylinux aarch64 (what the python3.13 arm64 runtime
loads), binary wheels only. Skips with a message when PyPI is unreachable.
"""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.deploy import tools
from tests.deploy.template import ROOT

REQUIREMENTS = ROOT / "layers" / "common" / "requirements.txt"


def _pinned() -> dict[str, str]:
    pins = {}
    for line in REQUIREMENTS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[[^\]]+\])?==(\S+)", line).groups()
            pins[re.sub(r"[-_.]+", "_", name).lower()] = version
    return pins


@pytest.fixture(scope="module")
def wheels(tmp_path_factory) -> list[Path]:
    target = tmp_path_factory.mktemp("wheels")
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check"]
    command += ["--only-binary=:all:", "--implementation", "cp"]
    command += ["--python-version", tools.RUNTIME_PYTHON]
    for platform in tools.LAMBDA_PLATFORMS:
        command += ["--platform", platform]
    command += ["-r", str(REQUIREMENTS), "-d", str(target)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    if result.returncode != 0 and tools.is_offline(output):
        pytest.skip("PyPI unreachable: cannot check the layer's wheels")
    assert result.returncode == 0, output[-3000:]
    return sorted(target.glob("*.whl"))


def test_every_pin_resolves_to_a_lambda_compatible_wheel(wheels):
    by_name = {}
    for wheel in wheels:
        name, version, *_, python_tag, abi_tag, platform_tag = wheel.stem.split("-")
        by_name[name.lower()] = (version, python_tag, abi_tag, platform_tag)
    for name, version in _pinned().items():
        assert by_name[name][0] == version, name
    assert "boto3" not in by_name and "botocore" not in by_name
    for name, (_, python_tag, abi_tag, platform_tag) in by_name.items():
        if platform_tag == "any":
            continue
        assert platform_tag.endswith("aarch64"), name
        assert set(platform_tag.split(".")) & set(tools.LAMBDA_PLATFORMS), name
        assert python_tag in ("cp313", "cp311", "cp38", "cp39", "cp310") and abi_tag in (
            "cp313",
            "abi3",
        ), name


def test_layer_unzipped_size_is_under_50_mb(wheels, capsys):
    dependencies = sum(info.file_size for w in wheels for info in zipfile.ZipFile(w).infolist())
    package = sum(
        p.stat().st_size
        for p in (ROOT / "layers" / "common" / "tzurot").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )
    total = dependencies + package
    with capsys.disabled():
        print(
            f"\n  layer (cp313 manylinux aarch64): {len(wheels)} wheels "
            f"{dependencies / 1e6:.1f} MB + tzurot {package / 1e6:.1f} MB = "
            f"{total / 1e6:.1f} MB unzipped (limit 50 MB)"
        )
    assert total < tools.LAYER_LIMIT_BYTES
