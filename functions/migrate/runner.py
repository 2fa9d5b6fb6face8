"""The operator's runner: the `tzurot` CLI's database and key verbs, inside the account.

The database usually sits in a private VPC that an operator's machine cannot reach; this function
runs next to it with the same code and the SQL files packaged beside it (`migrations/`, a link to
db/migrations that `sam build` copies). The event names one command:

    {"command": "db migrate"}        {"command": "db rollback --to 3"}
    {"command": "db status"}         {"command": "keys init"}

and the result is what the CLI would have printed, with its exit code:

    {"command": "db migrate", "exit_code": 0, "stdout": "applied 0004_...\n", "stderr": ""}

Only the `db` and `keys` verbs run here (not `dev`, `personality import` or others).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import shlex
from pathlib import Path
from typing import Any

from tzurot.logs import get_logger

ALLOWED_VERBS = ("db", "keys")
USAGE = 'send {"command": "db migrate"} (verbs: ' + ", ".join(ALLOWED_VERBS) + ")"

logger = get_logger("migrate")

# Packaged next to this file by `sam build`; locally the link resolves to db/migrations.
os.environ.setdefault("TZUROT_MIGRATIONS_DIR", str(Path(__file__).resolve().parent / "migrations"))


def available_verbs() -> tuple[str, ...]:
    """The allowed verbs this build of the package has (`keys` arrives with the crypto work)."""
    return tuple(v for v in ALLOWED_VERBS if importlib.util.find_spec(f"tzurot.cli.{v}"))


def _refusal(command: str, message: str) -> dict[str, Any]:
    return {
        "command": command,
        "exit_code": 2,
        "stdout": "",
        "stderr": f"tzurot: error: {message}\n",
    }


def run_command(event: Any) -> dict[str, Any]:
    from tzurot.cli.main import main

    command = event.get("command") if isinstance(event, dict) else None
    if not isinstance(command, str) or not command.strip():
        return _refusal("", f"no command given: {USAGE}")
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        return _refusal(command, f"cannot parse the command ({exc})")
    verbs = available_verbs()
    if argv[0] not in verbs:
        return _refusal(command, f"{argv[0]!r} does not run here: {USAGE}")

    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            exit_code = main(argv, verbs=verbs)
        except SystemExit as exc:  # argparse: usage errors and --help
            exit_code = exc.code if isinstance(exc.code, int) else 2
    # The command and its outcome only: output can be long, and it is returned anyway.
    logger.info("operator command finished", extra={"command": argv[:2], "exit_code": exit_code})
    return {
        "command": command,
        "exit_code": exit_code,
        "stdout": stdout.getvalue(),
        "stderr": stderr.getvalue(),
    }
