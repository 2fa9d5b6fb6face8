"""/usage [period]: the user's tokens by provider and request type, as a text bar chart.

The window is a UTC calendar period (tzurot.usage.report); its start is shown in the user's own
timezone. Below the chart: the totals, an estimated cost where the model catalog knows prices
(tzurot.usage.cost), and today's use against the daily limit.
"""

from __future__ import annotations

from datetime import datetime

from tzurot.commands import formatting as fmt
from tzurot.commands.account import AccountCall, Refusal, Reply, run
from tzurot.commands.errors import provider_name
from tzurot.usage.report import PERIODS, UsageRow, Window, window

TITLES = {"day": "today", "week": "this week", "month": "this month"}
SOURCES = {"user": "with your own keys", "guest": "of free guest tokens"}


def handle(job, ctx) -> str:
    return run(job, ctx, show_usage)


def requested_window(call: AccountCall) -> Window:
    """The window of the `period` option (default: day) up to now."""
    period = call.option("period") or "day"
    if period not in PERIODS:
        raise Refusal("Please pick a period from the list: day, week or month.")
    return window(period, call.ctx.now())


def heading(title: str, span: Window, zone: str) -> str:
    """The title ("**Your usage this week**") and when the window started, in `zone`."""
    return f"**{title} {TITLES[span.period]}**\nSince {fmt.local_time(span.start, zone)} ({zone})"


def kinds_chart(by_kind: list[tuple[str, str, UsageRow]]) -> str:
    """The bar chart of tokens per provider and request type, in a code block (voice: its
    characters, which count as tokens one for one; see tzurot.commands.voice)."""
    rows = [(f"{provider_name(p)} · {kind}", row.tokens_total) for p, kind, row in by_kind]
    return fmt.code_block(fmt.bar_chart(rows))


def totals(row: UsageRow) -> str:
    return (
        f"{fmt.plural(row.tokens_total, 'token')} ({fmt.tokens(row.tokens_in)} in, "
        f"{fmt.tokens(row.tokens_out)} out) in {fmt.plural(row.requests, 'request')}"
    )


def voice_line(row: UsageRow) -> list[str]:
    """ "Voice: N characters in M requests." when anything was spoken."""
    if not row.requests:
        return []
    return [
        f"Voice: {fmt.plural(row.tokens_in, 'character')} in {fmt.plural(row.requests, 'request')}."
    ]


def show_usage(call: AccountCall) -> Reply:
    from tzurot.usage.report import user_usage

    span = requested_window(call)
    user = call.user
    report = user_usage(call.conn, user.id, span)
    lines = [heading("Your usage", span, user.zone)]
    if report.by_kind:
        lines.append(kinds_chart(report.by_kind))
        lines.append(f"Total: {totals(report.total)}.")
        lines.extend(cost_line(call, span, user.id))
        lines.extend(voice_line(report.voice))
    else:
        lines.append("No tokens used in this period.")
    lines.extend(daily_limits(call, span.end))
    return Reply("\n".join(lines))


def cost_line(call: AccountCall, span: Window, user_id: str | None = None) -> list[str]:
    """The estimated cost of the window's chat requests, when any has a known price."""
    from tzurot.usage.cost import estimate

    line = estimate(call.conn, span.start, span.end, user_id).line()
    return [line] if line else []


def daily_limits(call: AccountCall, now: datetime) -> list[str]:
    """Today's tokens against the daily limits: the own-key limit whenever there is one, the
    guest limit once guest tokens were used."""
    from tzurot.usage.limits import daily_limit, tokens_used_today, utc_day

    used = tokens_used_today(call.conn, call.user.id, now)
    resets = fmt.discord_time(utc_day(now)[1], "R")
    lines = []
    for source, label in SOURCES.items():
        limit = daily_limit(call.ctx.settings, source)
        if limit and (source == "user" or used.get(source)):
            lines.append(
                f"Today: {fmt.tokens(used.get(source, 0))} of {fmt.plural(limit, 'token')} "
                f"{label}; the limit resets {resets}."
            )
    lines.extend(voice_limit(call, now, resets))
    return lines


def voice_limit(call: AccountCall, now: datetime, resets: str) -> list[str]:
    """Today's spoken characters against the daily voice limit, once anything was spoken."""
    from tzurot.usage import voice_quota

    limit = call.ctx.settings.voice_daily_char_limit
    if not limit:
        return []
    (spoken,) = call.conn.execute(
        "SELECT " + voice_quota.chars_today_sql("%(voice_user_id)s"),
        {"voice_user_id": call.user.id, **voice_quota.day_params(now)},
    ).fetchone()
    if not spoken:
        return []
    return [
        f"Today: {fmt.tokens(spoken)} of {fmt.plural(limit, 'character')} of speech; the limit "
        f"resets {resets}."
    ]
