"""Several writes as one statement: one network round trip, one implicit transaction.

Each module owns the SQL of its own write (a usage row, history rows, an idempotency record) and
returns it as a `Statement`; `atomically` runs any number of them as data-modifying CTEs of a
single statement. PostgreSQL executes every data-modifying CTE exactly once, to completion, in the
same snapshot, so the parts commit together or not at all. Parts must not depend on each other's
effects (they cannot see each other's rows), which is the case for independent inserts/updates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Statement:
    """SQL with `%(name)s` placeholders and the values for them."""

    sql: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def execute(self, conn) -> None:
        conn.execute(self.sql, dict(self.params))


def atomically(*parts: Statement) -> Statement:
    """One statement that performs every part; parameter names shared by parts must agree."""
    if not parts:
        raise ValueError("nothing to run")
    if len(parts) == 1:
        return parts[0]
    params: dict[str, Any] = {}
    for part in parts:
        for name, value in part.params.items():
            if name in params and params[name] != value:
                raise ValueError(f"parameter {name!r} has two different values")
            params[name] = value
    ctes = ",\n".join(f"part_{index} AS ({part.sql})" for index, part in enumerate(parts))
    return Statement(f"WITH {ctes}\nSELECT {len(parts)}", params)
