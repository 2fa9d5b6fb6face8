"""`tzurot build`: `sam build` with python3.13 found for it (PATH or pyenv), as the operator
guide says to run it. Checked with stand-ins for the SAM CLI and pyenv's interpreters (shell
scripts that report what they were given), so it runs where neither is installed; test_sam.py
builds for real through it where they are."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tests.deploy import tools
from tzurot.cli import build
from tzurot.cli.main import main
from tzurot.db.embedded import PROJECT_ROOT

FAKE_SAM = """#!/bin/sh
echo "sam args: $*"
echo "cwd: $(pwd)"
echo "python3.13: $(command -v python3.13)"
exit 3
"""


def script(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def python_reporting(version: str) -> str:
    return f'#!/bin/sh\necho "{version}"\n'


@pytest.fixture
def machine(tmp_path, monkeypatch):
    """A PATH with only a `sam` stand-in and a pyenv shim selecting 3.12; pyenv holds 3.12 and
    3.13 (each interpreter answers the version probe)."""
    bin_dir = tmp_path / "bin"
    sam = script(bin_dir / "sam", FAKE_SAM)
    script(bin_dir / "python3.13", python_reporting("3.12"))  # a shim for another version
    pyenv = tmp_path / "pyenv"
    script(pyenv / "versions/3.12.8/bin/python3.12", python_reporting("3.12"))
    wanted = script(pyenv / "versions/3.13.1/bin/python3.13", python_reporting("3.13"))
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("PYENV_ROOT", str(pyenv))
    return sam, wanted


def test_build_puts_the_pyenv_python_first_for_sam(machine, capfd):
    sam, wanted = machine
    code = main(["build", "--", "--no-cached", "--parallel"])
    out = capfd.readouterr().out.splitlines()
    assert code == 3  # sam's own exit code
    assert out == [
        f"tzurot build: python3.13 is {wanted}",
        f"tzurot build: {sam} build --no-cached --parallel",
        "sam args: build --no-cached --parallel",
        f"cwd: {PROJECT_ROOT}",
        f"python3.13: {wanted}",
    ]


def test_without_python313_it_says_what_to_do(machine, tmp_path, monkeypatch, capfd):
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "no-pyenv"))
    assert main(["build"]) == 1
    assert capfd.readouterr().err == (
        "tzurot: error: sam build needs python3.13 (the Lambda runtime's Python), found neither "
        f"on PATH nor under {tmp_path / 'no-pyenv'}/versions: install it (e.g. `pyenv install "
        "3.13`), or build in Docker with `tzurot build -- --use-container`\n"
    )
    # In a container sam brings its own Python.
    assert main(["build", "--", "--use-container"]) == 3
    assert "sam args: build --use-container" in capfd.readouterr().out


def test_sam_on_path_else_the_pinned_copy_else_a_clear_error(tmp_path, monkeypatch, capfd):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(build.BuildError, match=r"^the SAM CLI is not installed: see https://"):
        build.find_sam(None, tmp_path)
    pinned = script(tmp_path / ".tzurot/tools/sam-cli-1.170.0/bin/sam", FAKE_SAM)
    assert build.find_sam(None, tmp_path) == pinned
    on_path = script(tmp_path / "empty/sam", FAKE_SAM)
    assert build.find_sam(None, tmp_path) == on_path
    assert main(["build", "--sam", str(tmp_path / "nope")]) == 1
    assert capfd.readouterr().err == (
        f"tzurot: error: {tmp_path / 'nope'} is not an executable SAM CLI\n"
    )


def test_the_deploy_tests_ask_for_the_same_python():
    assert tools.RUNTIME_PYTHON == build.RUNTIME_PYTHON
    assert "Runtime: python3.13" in (PROJECT_ROOT / "template.yaml").read_text()
