"""Token counts as providers report them, made fit for the ledger.

A provider answer is paid whatever its usage block says, so a count that is negative, absurdly
large or not a number never stops the usage row: it is clamped, and the row says why
(`usage_logs.counts_note`, migration 0006). A missing count is 0 (some OpenAI-compatible
servers omit usage) and not flagged.
"""

from __future__ import annotations

import math
from typing import Literal

# No real call counts anywhere near this; a provider claiming more is clamped (and flagged).
MAX_TOKENS_PER_CALL = 10**12

CountsNote = Literal["negative", "too_large", "unexpected", "unreadable"]


def clamp_count(value: object) -> tuple[int, CountsNote | None]:
    """(the count to store, why it differs from what the provider sent or None)."""
    if value is None:
        return 0, None
    note: CountsNote | None = None
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            return 0, "unexpected"
        if not math.isfinite(number):
            return 0, "unexpected"
        value, note = int(number), "unexpected"
    if value < 0:
        return 0, "negative"
    if value > MAX_TOKENS_PER_CALL:
        return MAX_TOKENS_PER_CALL, "too_large"
    return value, note


def clamp_total(*parts: object) -> tuple[int, CountsNote | None]:
    """The sum of several reported counts (input + cache tokens, output + thinking), each
    clamped; the first part's note wins."""
    total, note = 0, None
    for part in parts:
        value, part_note = clamp_count(part)
        total += value
        note = note or part_note
    return min(total, MAX_TOKENS_PER_CALL), note
