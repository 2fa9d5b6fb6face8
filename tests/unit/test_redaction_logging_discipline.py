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
# traceback's printers write straight to stderr, which Lambda ships to CloudWatch unredacted.
TRACEBACK_PRINTERS = {"print_exc", "print_exception", "print_stack", "print_tb", "print_last"}


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
    operator_tool = rel.startswith(PRINT_ALLOWED)
    for node in ast.walk(tree):
        where = f"{rel}:{getattr(node, 'lineno', 0)}"
        if (
            isinstance(node, ast.ImportFrom)
            and "powertools" in (node.module or "")
            and any(alias.name == "Logger" for alias in node.names)
            and rel not in INFRASTRUCTURE
        ):
            found.append(f"{where} imports powertools Logger (use tzurot.logs.get_logger)")
        # `from logging import getLogger` or `import logging as log` would hide every call
        # from the checks below.
        if (
            isinstance(node, ast.ImportFrom)
            and node.module == "logging"
            and rel not in INFRASTRUCTURE
        ):
            found.append(f"{where} imports names from logging (use tzurot.logs.get_logger)")
        if isinstance(node, ast.Import) and any(
            alias.name == "logging" and alias.asname for alias in node.names
        ):
            found.append(f"{where} imports logging under another name")
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr in {"write", "writelines"}
            and isinstance(func.value, ast.Attribute)
            and func.value.attr in {"stdout", "stderr", "__stdout__", "__stderr__"}
            and not operator_tool
        ):
            found.append(f"{where} writes to {func.value.attr} (use get_logger)")
        if (
            isinstance(func, ast.Attribute)
            and func.attr in TRACEBACK_PRINTERS
            and isinstance(func.value, ast.Name)
            and func.value.id == "traceback"
            and not operator_tool
        ):
            found.append(f"{where} prints a traceback (use logger.exception)")
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
        if isinstance(func, ast.Name) and func.id == "print" and not operator_tool:
            found.append(f"{where} prints (Lambda output is a log: use get_logger)")
        if _is_logging_attr(func, "Logger") and rel not in INFRASTRUCTURE:
            found.append(f"{where} makes a stdlib Logger (use get_logger)")
    # A stdlib logger kept in a variable and then called logs around the redacting formatter.
    # (Keeping one to configure a library's logger, e.g. to silence it, is fine.)
    if rel not in INFRASTRUCTURE:
        kept = {  # `log` or `self.log` -> the line it was assigned on
            ast.unparse(target): node.lineno
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign | ast.AnnAssign)
            and isinstance(node.value, ast.Call)
            and _is_logging_attr(node.value.func, "getLogger")
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in LOG_METHODS
                and ast.unparse(node.func.value) in kept
            ):
                found.append(
                    f"{rel}:{node.lineno} logs through the stdlib logger kept on line "
                    f"{kept[ast.unparse(node.func.value)]} (use get_logger)"
                )
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
        "from logging import getLogger\n"
        "import logging as lg\n"
        "sys.stderr.write('d')\n"
        "traceback.print_exc()\n"
        "other = logging.Logger('z')\n"
        "typed: logging.Logger = logging.getLogger('w')\n"
        "log.info('e')\n"
        "typed.error('f')\n"
        "quiet = logging.getLogger('library')\n"
        "quiet.setLevel(logging.ERROR)\n"
        "self.log = logging.getLogger('v')\n"
        "self.log.debug('g')\n"
    )
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: code)
    assert sorted(by_line(violations(sample))) == [
        (2, "imports powertools Logger (use tzurot.logs.get_logger)"),
        (4, "logs through the logging module directly"),
        (5, "logs through a stdlib logger"),
        (6, "prints (Lambda output is a log: use get_logger)"),
        (7, "imports names from logging (use tzurot.logs.get_logger)"),
        (8, "imports logging under another name"),
        (9, "writes to stderr (use get_logger)"),
        (10, "prints a traceback (use logger.exception)"),
        (11, "makes a stdlib Logger (use get_logger)"),
        (13, "logs through the stdlib logger kept on line 3 (use get_logger)"),
        (14, "logs through the stdlib logger kept on line 12 (use get_logger)"),
        (18, "logs through the stdlib logger kept on line 17 (use get_logger)"),
    ]


def by_line(found: list[str]) -> list[tuple[int, str]]:
    """("path:line message", ...) as (line, message) pairs."""
    pairs = []
    for problem in found:
        where, message = problem.split(" ", 1)
        pairs.append((int(where.rsplit(":", 1)[1]), message))
    return pairs


def test_operator_tools_may_print_but_not_log_around_the_logger(monkeypatch):
    sample = ROOT / "layers" / "common" / "tzurot" / "cli" / "_discipline_sample.py"
    code = "import sys\nprint('ok')\nsys.stderr.write('ok')\nlogging.warning('no')\n"
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: code)
    assert by_line(violations(sample)) == [(4, "logs through the logging module directly")]
