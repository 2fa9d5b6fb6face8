"""A personality's birthday, as the profile card and the prompt say it.

The date itself is a fixed fact (it goes into the cached system prompt); the age and "today is
their birthday" depend on the day in the user's timezone, so they go into the per-turn context
block (tzurot.commands.prompt), which keeps the system prompt byte-identical between turns.
A 29 February birthday is celebrated on 28 February in other years.
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tzurot.personalities.model import Birthday

MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def birthday_text(birthday: Birthday | None) -> str:
    """Day and month ("24 December"), with the year when known; "not set" without one."""
    if birthday is None:
        return "not set"
    text = f"{birthday.day} {MONTHS[birthday.month - 1]}"
    return f"{text} {birthday.year}" if birthday.year is not None else text


def is_birthday(birthday: Birthday, today: date) -> bool:
    if (birthday.month, birthday.day) == (today.month, today.day):
        return True
    leap_day = (birthday.month, birthday.day) == (2, 29)
    return leap_day and not calendar.isleap(today.year) and (today.month, today.day) == (2, 28)


def age_on(birthday: Birthday, today: date) -> int | None:
    """Whole years since the birth date (None without a year, or before it)."""
    if birthday.year is None:
        return None
    before = (today.month, today.day) < (birthday.month, birthday.day)
    age = today.year - birthday.year - (1 if before and not is_birthday(birthday, today) else 0)
    return age if age >= 0 else None


def birthday_facts(birthday: Birthday | None, today: date, name: str) -> list[str]:
    """The context block's lines about the birthday on `today` (the user's local date)."""
    if birthday is None:
        return []
    facts = []
    age = age_on(birthday, today)
    if age is not None:
        facts.append(f"{name}'s age today: {age}")
    if is_birthday(birthday, today):
        facts.append(f"Today is {name}'s birthday.")
    return facts
