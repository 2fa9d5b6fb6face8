"""Text building blocks of the account commands' replies: numbers, times, lists, a bar chart.

Replies are Discord markdown. Anything that must line up (the chart) goes in a code block, where
Discord uses a monospace font; everything else stays short lines and bullets.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

# A bar is drawn in eighths of a character: full blocks, then one partial block.
FULL_BLOCK = "█"
PARTIAL_BLOCKS = ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")
CHART_WIDTH = 20
MAX_LABEL = 24


def tokens(count: int) -> str:
    """A count with thousands separators: 1234567 -> "1,234,567"."""
    return f"{int(count):,}"


def plural(count: int, one: str, many: str | None = None) -> str:
    """The count and the noun: "1 request", "2 requests" (with separators)."""
    return f"{tokens(count)} {one if count == 1 else (many or one + 's')}"


def bar(value: int, maximum: int, width: int = CHART_WIDTH) -> str:
    """A bar `value / maximum` of `width` characters long, to an eighth of a character; any
    value above zero shows at least a sliver."""
    if value <= 0 or maximum <= 0:
        return ""
    eighths = max(round(value / maximum * width * 8), 1)
    full, rest = divmod(min(eighths, width * 8), 8)
    return FULL_BLOCK * full + PARTIAL_BLOCKS[rest]


def bar_chart(rows: Sequence[tuple[str, int]], width: int = CHART_WIDTH) -> str:
    """One line per (label, value): the label, a bar scaled to the largest value, the value.

        OpenAI · text      ████████████████████  12,345
        Anthropic · text   ████▌                  2,800

    Labels longer than MAX_LABEL are cut with an ellipsis. No rows: an empty string.
    """
    if not rows:
        return ""
    labels = [clip(label, MAX_LABEL) for label, _ in rows]
    values = [tokens(value) for _, value in rows]
    maximum = max(value for _, value in rows)
    label_width = max(len(label) for label in labels)
    value_width = max(len(value) for value in values)
    lines = [
        f"{label:<{label_width}}  {bar(value, maximum, width):<{width}}  {shown:>{value_width}}"
        for label, (_, value), shown in zip(labels, rows, values, strict=True)
    ]
    return "\n".join(lines)


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, marked with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def code_block(text: str, language: str = "text") -> str:
    """`text` in a fenced code block (backticks inside cannot close it early)."""
    return f"```{language}\n{text.replace('```', 'ʼʼʼ')}\n```"


def inline_code(text: str) -> str:
    """`text` as inline code, safe for any content (no backticks can break out)."""
    return f"`{str(text).replace('`', 'ʼ')}`"


def bullets(lines: Iterable[str]) -> str:
    return "\n".join(f"• {line}" for line in lines)


def discord_time(moment: datetime, style: str = "f") -> str:
    """A Discord timestamp, shown to each reader in their own client's time zone.
    Styles: "f" date and time, "D" date, "R" relative ("in 3 hours")."""
    return f"<t:{int(moment.timestamp())}:{style}>"


def local_time(moment: datetime, zone: str) -> str:
    """`moment` in `zone` as "Mon 23 Nov 2026, 01:00" (for display only; math stays in UTC)."""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M}"


def utc_offset(moment: datetime, zone: str) -> str:
    """The zone's offset from UTC at `moment`: "UTC+05:30", "UTC−08:00", "UTC+00:00"."""
    offset = moment.astimezone(ZoneInfo(zone)).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    sign = "+" if minutes >= 0 else "−"
    hours, minutes = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"
