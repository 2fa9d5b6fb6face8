"""The layout the design card fixes; the layer's requirements in step with pyproject.toml."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _pins(lines: list[str]) -> dict[str, str]:
    """{name: 'name[extras]==version'} from requirement lines (comments and blanks skipped)."""
    pins = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line:
            name = line.split("[", 1)[0].split("==", 1)[0].strip().lower()
            pins[name] = line
    return pins


def test_the_design_card_layout_is_there():
    for path in (
        "template.yaml",
        "samconfig.toml",
        "functions/interactions/app.py",
        "functions/generate/app.py",
        "functions/image/app.py",
        "layers/common/requirements.txt",
        "layers/common/tzurot/__init__.py",
        "db/migrations",
        "tests",
    ):
        assert (ROOT / path).exists(), path


def test_layer_requirements_are_pyprojects_runtime_pins_without_boto3():
    runtime = _pins(PYPROJECT["project"]["dependencies"])
    layer = _pins((ROOT / "layers" / "common" / "requirements.txt").read_text().splitlines())
    assert "boto3" in runtime and "boto3" not in layer  # the Lambda runtime provides boto3
    assert layer == {name: pin for name, pin in runtime.items() if name != "boto3"}
    assert all("==" in pin for pin in (*runtime.values(), *layer.values()))


def test_every_dependency_is_pinned_exactly_and_the_cli_is_a_console_script():
    extras = PYPROJECT["project"]["optional-dependencies"]
    for pin in (*PYPROJECT["project"]["dependencies"], *(p for e in extras.values() for p in e)):
        assert "==" in pin, pin
    assert {"pgserver", "uvicorn", "starlette", "moto"} <= set(_pins(extras["dev"]))
    assert {"pytest", "pytest-xdist", "ruff"} <= set(_pins(extras["test"]))
    assert PYPROJECT["project"]["scripts"] == {"tzurot": "tzurot.cli.main:main"}
