"""Removes secrets from anything about to be logged (initial version; see issue 3)."""

from __future__ import annotations

import re
from typing import Any

REDACTED = "[REDACTED]"
_PATTERNS = [
    re.compile(r"sk-(?:ant-|or-|proj-)?[A-Za-z0-9_-]{16,}"),
    re.compile(r"sk_[A-Za-z0-9]{16,}"),
    re.compile(r"AIza[0-9A-Za-z_-]{35}"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
]


def redact(value: Any) -> Any:
    if isinstance(value, str):
        for pattern in _PATTERNS:
            value = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + REDACTED, value)
        return value
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value
