"""`tzurot build`: `sam build` with the Lambda runtime's Python found for it.

`sam build` builds the python3.13 functions and layer only with a `python3.13` first on PATH,
and says little more than "Binary validation failed" otherwise. Operators often have it under
pyenv without it being the selected version (a pyenv shim on PATH that runs another version),
so each candidate is asked for its version, and the one that is 3.13 goes first on PATH for sam.

    tzurot build                         # sam build, in the project folder
    tzurot build --sam ~/bin/sam -- --use-container --no-cached

Arguments after `--` go to `sam build`; with `--use-container` no local Python is needed. The
SAM CLI is the one on PATH, else the pinned copy the deploy tests install under .tzurot/tools/.
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import subprocess
from pathlib import Path

from tzurot.errors import TzurotError

RUNTIME_PYTHON = "3.13"  # template.yaml: Runtime python3.13


class BuildError(TzurotError):
    """`tzurot build` cannot run `sam build` here; the message says what to install."""


def register(subparsers: argparse._SubParsersAction) -> None:
    build = subparsers.add_parser(
        "build", help=f"sam build, with python{RUNTIME_PYTHON} found (PATH or pyenv)"
    )
    build.add_argument("--sam", default=None, help="the SAM CLI executable (default: find it)")
    build.add_argument(
        "sam_args", nargs=argparse.REMAINDER, help="after --: arguments for `sam build`"
    )
    build.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from tzurot.db.embedded import PROJECT_ROOT

    extra = args.sam_args[1:] if args.sam_args[:1] == ["--"] else args.sam_args
    sam = find_sam(args.sam, PROJECT_ROOT)
    if not (PROJECT_ROOT / "template.yaml").is_file():
        raise BuildError(f"no template.yaml in {PROJECT_ROOT}: run from a clone of the project")
    env = dict(os.environ)
    if "--use-container" not in extra:
        python = runtime_python()
        env["PATH"] = f"{python.parent}{os.pathsep}{env.get('PATH', '')}"
        print(f"tzurot build: python{RUNTIME_PYTHON} is {python}", flush=True)
    command = [str(sam), "build", *extra]
    print("tzurot build: " + " ".join(command), flush=True)
    return subprocess.run(command, cwd=PROJECT_ROOT, env=env).returncode


def find_sam(explicit: str | None, project_root: Path) -> Path:
    if explicit:
        path = Path(explicit).expanduser()
        if not os.access(path, os.X_OK):
            raise BuildError(f"{path} is not an executable SAM CLI")
        return path
    found = shutil.which("sam")
    if found:
        return Path(found)
    pinned = sorted(glob.glob(str(project_root / ".tzurot/tools/sam-cli-*/bin/sam")))
    if pinned:
        return Path(pinned[-1])
    raise BuildError(
        "the SAM CLI is not installed: see https://docs.aws.amazon.com/serverless-application-"
        "model/latest/developerguide/install-sam-cli.html (or pass --sam PATH)"
    )


def runtime_python() -> Path:
    """A python3.13 interpreter: on PATH, else under pyenv (PYENV_ROOT, default ~/.pyenv).

    A pyenv shim on PATH may exist without that version being selected, so each candidate is
    asked for its version.
    """
    pyenv = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    candidates = [shutil.which(f"python{RUNTIME_PYTHON}")]
    candidates += sorted(
        glob.glob(f"{pyenv}/versions/{RUNTIME_PYTHON}*/bin/python{RUNTIME_PYTHON}")
    )
    for candidate in filter(None, candidates):
        try:
            probe = subprocess.run(
                [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True,
                text=True,
                timeout=30,
            )
        except OSError:
            continue
        if probe.returncode == 0 and probe.stdout.strip() == RUNTIME_PYTHON:
            return Path(candidate)
    raise BuildError(
        f"sam build needs python{RUNTIME_PYTHON} (the Lambda runtime's Python), found neither on "
        f"PATH nor under {pyenv}/versions: install it (e.g. `pyenv install {RUNTIME_PYTHON}`), "
        "or build in Docker with `tzurot build -- --use-container`"
    )
