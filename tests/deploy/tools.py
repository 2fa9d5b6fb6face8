"""Deploy-check tooling: the pinned SAM CLI (in its own venv) and the Lambda runtime's facts.

The SAM CLI pins an older boto3 and pydantic than the app, so it cannot share the project venv;
it is installed once into `.tzurot/tools/` (git-ignored, about 25 s from PyPI) and reused.
When PyPI cannot be reached the checks that need it skip with the reason.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOOLS_DIR = ROOT / ".tzurot" / "tools"
SAM_CLI_VERSION = "1.170.0"

# The template's runtime: python3.13 on arm64, which runs on Amazon Linux 2023 (glibc 2.34), so
# wheels tagged manylinux2014 (glibc 2.17) up to manylinux_2_34 load there.
RUNTIME_PYTHON = "3.13"  # = tzurot.cli.build.RUNTIME_PYTHON (checked in test_build_cli)
LAMBDA_PLATFORMS = (
    "manylinux2014_aarch64",
    *(f"manylinux_2_{minor}_aarch64" for minor in range(17, 35)),
)
LAYER_LIMIT_BYTES = 50 * 1000 * 1000

# pip's words for "the network is not there" (as opposed to "no such wheel").
_OFFLINE_HINTS = (
    "Network is unreachable",
    "Temporary failure in name resolution",
    "Name or service not known",
    "Max retries exceeded",
    "Connection refused",
    "Could not fetch URL",
    "Failed to establish a new connection",
)


class Unavailable(Exception):
    """A tool or the network is missing here; the message says which (used as a skip reason)."""


def is_offline(pip_output: str) -> bool:
    return any(hint in pip_output for hint in _OFFLINE_HINTS)


def _install_sam(venv: Path) -> None:
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    result = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            f"aws-sam-cli=={SAM_CLI_VERSION}",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        shutil.rmtree(venv, ignore_errors=True)
        output = result.stdout + result.stderr
        if is_offline(output):
            raise Unavailable(f"PyPI unreachable, cannot install aws-sam-cli=={SAM_CLI_VERSION}")
        raise RuntimeError(f"pip install aws-sam-cli=={SAM_CLI_VERSION} failed:\n{output[-2000:]}")


def sam_cli() -> Path:
    """The pinned `sam` executable, installed on first use (one installer at a time)."""
    venv = TOOLS_DIR / f"sam-cli-{SAM_CLI_VERSION}"
    executable = venv / "bin" / "sam"
    stamp = venv / ".installed"
    TOOLS_DIR.mkdir(parents=True, exist_ok=True)
    with open(TOOLS_DIR / ".sam-cli.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not stamp.exists():
            _install_sam(venv)
            stamp.write_text(SAM_CLI_VERSION)
    return executable


def runtime_python() -> Path:
    """A python3.13 interpreter for `sam build`: what `tzurot build` finds (PATH or pyenv)."""
    from tzurot.cli.build import BuildError
    from tzurot.cli.build import runtime_python as find

    try:
        return find()
    except BuildError as exc:
        raise Unavailable(str(exc)) from None


def sam_environment() -> dict[str, str]:
    """An environment in which `sam` works offline and never reaches a real AWS account."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        SAM_CLI_TELEMETRY="0",
        SAM_CLI_CONTACT_TRACKING="0",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


def tree_size(path: Path) -> int:
    """Bytes of the regular files under `path` (what the unzipped layer occupies)."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def is_aarch64_elf(path: Path) -> bool:
    header = path.read_bytes()[:20]
    # ELF magic, then e_machine (little-endian u16 at offset 18): 183 is EM_AARCH64.
    return header[:4] == b"\x7fELF" and int.from_bytes(header[18:20], "little") == 183
