"""What Discord would let through for a command's options, derived from the definitions.

Discord's client enforces each option's type, choices, `min_length`/`max_length` and
`min_value`/`max_value`, and never sends an option the command does not define or leaves out a
required one. A signed request is not necessarily from that client (a leaked key, a replay
edited in flight, a local tool), so the endpoint applies the same rules before a job exists
(a 300 KB `message` used to reach the provider), and `tzurot simulate` refuses to build what
Discord would never send. One function, read from tzurot.discord.definitions: a limit changed
there is enforced everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from tzurot.discord.definitions import INTEGER, NUMBER, STRING, SUB_COMMAND, Command, Option

# Discord's integer and number options hold values within ±2^53.
DISCORD_NUMBER_LIMIT = 2**53
_TYPE_NAMES = {STRING: "text", INTEGER: "a whole number", NUMBER: "a number"}

Value = str | int | float | bool


def option_problems(
    command: Command,
    subcommand: str | None,
    values: Mapping[str, Value],
    *,
    focused: str | None = None,
) -> list[str]:
    """One line per value Discord would not send (empty: all fine). `focused` is an
    autocomplete's partly typed option: only its presence and type are checked."""
    scope = command.options
    if subcommand is not None:
        sub = command.subcommand(subcommand)
        scope = sub.options if sub is not None else ()
    known = {option.name: option for option in scope if option.type != SUB_COMMAND}
    problems = [
        f"`{name}` is not an option of this command" for name in values if name not in known
    ]
    for name, option in known.items():
        if name not in values:
            if option.required and focused is None:
                problems.append(f"`{name}` is required")
            continue
        problem = value_problem(option, values[name], partial=name == focused)
        if problem:
            problems.append(f"`{name}` {problem}")
    return problems


def value_problem(option: Option, value: Value, *, partial: bool = False) -> str | None:
    """Why `value` does not fit `option`, or None. `partial`: still being typed (autocomplete),
    so only its type is checked."""
    if option.type == STRING:
        if not isinstance(value, str):
            return "must be text"
        if partial:
            return None
        return _length_problem(option, value) or _choice_problem(option, value)
    if option.type in (INTEGER, NUMBER):
        if partial and isinstance(value, str):
            return None  # Discord sends what is typed so far as text
        if not _is_number(value, whole=option.type == INTEGER):
            return f"must be {_TYPE_NAMES[option.type]}"
        if partial:
            return None
        return _range_problem(option, value) or _choice_problem(option, value)
    return None  # types this app does not define options of


def _is_number(value: Value, *, whole: bool) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return abs(value) <= DISCORD_NUMBER_LIMIT
    if isinstance(value, float) and not whole:
        return math.isfinite(value) and abs(value) <= DISCORD_NUMBER_LIMIT
    return False


def _length_problem(option: Option, value: str) -> str | None:
    if option.max_length is not None and len(value) > option.max_length:
        return f"can be at most {option.max_length} characters (got {len(value)})"
    if option.min_length is not None and len(value) < option.min_length:
        plural = "s" if option.min_length > 1 else ""
        return f"needs at least {option.min_length} character{plural}"
    return None


def _range_problem(option: Option, value: float) -> str | None:
    if option.min_value is not None and value < option.min_value:
        return f"must be at least {option.min_value:g}"
    if option.max_value is not None and value > option.max_value:
        return f"must be at most {option.max_value:g}"
    return None


def _choice_problem(option: Option, value: Value) -> str | None:
    allowed = [choice for _, choice in option.choices]
    if allowed and value not in allowed:
        return "must be one of: " + ", ".join(str(choice) for choice in allowed)
    return None
