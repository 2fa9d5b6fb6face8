"""Static check: nothing in the package or the Lambda functions logs except through
`tzurot.logs.get_logger` (the redacting logger), and nothing prints outside operator tools."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(
    [*(ROOT / "layers" / "common" / "tzurot").rglob("*.py"), *(ROOT / "functions").rglob("*.py")]
)
# The logging machinery itself.
INFRASTRUCTURE = {"layers/common/tzurot/logs.py", "layers/common/tzurot/redaction.py"}
# Operator tools talk to a terminal, not to CloudWatch.
PRINT_ALLOWED = ("layers/common/tzurot/cli/", "layers/common/tzurot/dev/")
LOG_METHODS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "log"}


def _is_logging_attr(node: ast.AST, name: str) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == name
        and isinstance(node.value, ast.Name)
        and node.value.id == "logging"
    )


def violations(path: Path) -> list[str]:
    rel = path.relative_to(ROOT).as_posix()
    tree = ast.parse(path.read_text(), filename=rel)
    found = []
    for node in ast.walk(tree):
        where = f"{rel}:{getattr(node, 'lineno', 0)}"
        if (
            isinstance(node, ast.ImportFrom)
            and "powertools" in (node.module or "")
            and any(alias.name == "Logger" for alias in node.names)
            and rel not in INFRASTRUCTURE
        ):
            found.append(f"{where} imports powertools Logger (use tzurot.logs.get_logger)")
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if any(_is_logging_attr(func, m) for m in LOG_METHODS) or _is_logging_attr(
            func, "basicConfig"
        ):
            found.append(f"{where} logs through the logging module directly")
        # logging.getLogger(...).info(...)
        if (
            isinstance(func, ast.Attribute)
            and func.attr in LOG_METHODS
            and isinstance(func.value, ast.Call)
            and _is_logging_attr(func.value.func, "getLogger")
        ):
            found.append(f"{where} logs through a stdlib logger")
        if isinstance(func, ast.Name) and func.id == "print" and not rel.startswith(PRINT_ALLOWED):
            found.append(f"{where} prints (Lambda output is a log: use get_logger)")
    # A stdlib logger kept in a variable is a logger someone will call.
    if rel not in INFRASTRUCTURE:
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Call)
                and _is_logging_attr(node.value.func, "getLogger")
            ):
                found.append(f"{rel}:{node.lineno} keeps a stdlib logger (use get_logger)")
    return found


def test_sources_found():
    assert any(p.name == "logs.py" for p in SOURCES)
    assert len(SOURCES) > 20


def test_only_the_redacting_logger_is_used():
    problems = [problem for path in SOURCES for problem in violations(path)]
    assert problems == []


def test_the_check_catches_each_kind(monkeypatch):
    sample = ROOT / "layers" / "common" / "tzurot" / "_discipline_sample.py"
    code = (
        "import logging\n"
        "from aws_lambda_powertools import Logger\n"
        "log = logging.getLogger('x')\n"
        "logging.info('a')\n"
        "logging.getLogger('y').warning('b')\n"
        "print('c')\n"
    )
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: code)
    assert [v.split(" ", 1)[1] for v in violations(sample)] == [
        "imports powertools Logger (use tzurot.logs.get_logger)",
        "logs through the logging module directly",
        "logs through a stdlib logger",
        "prints (Lambda output is a log: use get_logger)",
        "keeps a stdlib logger (use get_logger)",
    ]
