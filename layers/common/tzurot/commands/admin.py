"""/admin usage [period]: everyone's token usage, for the bot's owners only (BOT_OWNER_IDS).

Totals (with the estimated cost where prices are known, tzurot.usage.cost), tokens by provider
and request type (the same chart as /usage), and the top users and
personalities of the window. Anyone else gets a polite refusal and nothing is read.
"""

from __future__ import annotations

from tzurot.commands import formatting as fmt
from tzurot.commands.account import AccountCall, Refusal, Reply, run
from tzurot.commands.usage import (
    cost_line,
    heading,
    kinds_chart,
    requested_window,
    totals,
    voice_line,
)
from tzurot.logs import get_logger

log = get_logger("tzurot.admin")

OWNERS_ONLY = "Sorry, `/admin` is only for the bot's owners."


def handle(job, ctx) -> str:
    return run(job, ctx, _SUBCOMMANDS.get(job.subcommand or "", _unknown))


def require_owner(call: AccountCall) -> None:
    if call.job.user_id not in call.ctx.settings.bot_owner_ids:
        log.warning("admin command refused", extra={"reference": call.reference})
        raise Refusal(OWNERS_ONLY)


def usage(call: AccountCall) -> Reply:
    from tzurot.usage.report import global_usage

    require_owner(call)
    span = requested_window(call)
    report = global_usage(call.conn, span)
    lines = [heading("Usage of all users", span, "UTC")]
    if not report.by_kind:
        lines.append("No tokens used in this period.")
        return Reply("\n".join(lines))
    lines.append(f"Total: {totals(report.total)} by {fmt.plural(report.users, 'user')}.")
    lines.extend(cost_line(call, span))
    lines.extend(voice_line(report.voice))
    lines.append(kinds_chart(report.by_kind))
    lines.append("**Top users**")
    lines.extend(
        f"{rank}. <@{discord_id}> ({fmt.inline_code(username or 'unknown')}): "
        f"{fmt.plural(row.tokens_total, 'token')}, {fmt.plural(row.requests, 'request')}"
        for rank, (discord_id, username, row) in enumerate(report.top_users, 1)
    )
    if report.top_personalities:
        lines.append("**Top personalities**")
        lines.extend(
            f"{rank}. {row.label}: {fmt.plural(row.tokens_total, 'token')}, "
            f"{fmt.plural(row.requests, 'request')}"
            for rank, row in enumerate(report.top_personalities, 1)
        )
    return Reply("\n".join(lines))


def _unknown(call: AccountCall) -> Reply:
    require_owner(call)
    raise Refusal("Sorry, I don't know that `/admin` command. Try `/help`.")


_SUBCOMMANDS = {"usage": usage}
