"""Entry point of the `tzurot` console script.

Each verb lives in its own module with a `register(subparsers)` function that adds its parser
and sets `handler`. User mistakes surface as one line on stderr and a non-zero exit code.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from tzurot.errors import TzurotError
from tzurot.storable import storable

# Modules under tzurot.cli that each register one top-level verb.
VERBS = ("dev", "db", "simulate", "personality", "commands", "keys", "models", "build")


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (argparse prints the whole usage block)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser(verbs: tuple[str, ...] = VERBS) -> argparse.ArgumentParser:
    parser = ArgumentParser(prog="tzurot", description="Operate the tzurot Discord app.")
    subparsers = parser.add_subparsers(dest="verb", required=True, parser_class=ArgumentParser)
    for name in verbs:
        importlib.import_module(f"tzurot.cli.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None, verbs: tuple[str, ...] = VERBS) -> int:
    """Run one command; `verbs` narrows the parser (the in-account runner imports only its own)."""
    parser = build_parser(verbs)
    words = sys.argv[1:] if argv is None else argv
    unstorable = next((word for word in words if storable(word) != word), None)
    if unstorable is not None:
        # Bytes that are not UTF-8 arrive as lone surrogates, which no database column takes.
        shown = storable(unstorable)
        print(f"tzurot: error: {shown!r} is not valid UTF-8 text", file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except TzurotError as exc:
        print(f"tzurot: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("tzurot: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`tzurot db status | head -1`): not an error worth a line. Point
        # stdout at /dev/null so the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, as a shell reports a command killed by it
    except Exception as exc:
        if os.environ.get("TZUROT_DEBUG"):
            raise
        # A bug, not a user mistake: still one line, with a way to see more.
        print(
            f"tzurot: internal error: {type(exc).__name__} (set TZUROT_DEBUG=1 for details)",
            file=sys.stderr,
        )
        return 70


if __name__ == "__main__":
    sys.exit(main())
