"""Usage reports for /usage (one user) and /admin usage (everyone), read from `usage_logs`.

Periods are calendar windows in UTC, the same clock as the daily limits (tzurot.usage.limits):
"day" is today since 00:00 UTC, "week" since Monday 00:00 UTC, "month" since the 1st 00:00 UTC,
each up to now. A user's timezone only changes how the start is shown, never what is counted, so
two users asking at the same moment see the same window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any, Literal, cast

Period = Literal["day", "week", "month"]
PERIODS: tuple[Period, ...] = ("day", "week", "month")
TOP = 5  # users and personalities listed by /admin usage


@dataclass(frozen=True)
class Window:
    period: Period
    start: datetime  # inclusive, UTC midnight
    end: datetime  # exclusive: the moment asked


def window(period: str, now: datetime) -> Window:
    """The UTC calendar window of `period` that contains `now`; ValueError for another period."""
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r}; expected one of {', '.join(PERIODS)}")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC)
    day = now.date()
    if period == "week":
        day -= timedelta(days=day.weekday())  # Monday
    elif period == "month":
        day = day.replace(day=1)
    return Window(cast(Period, period), datetime.combine(day, time(0), tzinfo=UTC), now)


@dataclass(frozen=True)
class UsageRow:
    """Tokens of one group (a provider and request type, a user, a personality)."""

    label: str
    tokens_in: int
    tokens_out: int
    tokens_total: int
    requests: int


def token_total(by_kind: list[tuple[str, str, UsageRow]]) -> UsageRow:
    """Every row's tokens. A voice row's characters count as tokens one for one (tokens_in),
    as an image counts as 1000 output tokens (tzurot.commands.voice, .imagine)."""
    return _sum("total", [row for *_, row in by_kind])


def voice_total(by_kind: list[tuple[str, str, UsageRow]]) -> UsageRow:
    """Characters spoken (tokens_in of the voice rows) and voice requests, shown besides."""
    return _sum("voice", [row for _, kind, row in by_kind if kind == "voice"])


@dataclass(frozen=True)
class UserUsage:
    by_kind: list[tuple[str, str, UsageRow]]  # (provider, request_type, row), most tokens first

    @property
    def total(self) -> UsageRow:
        return token_total(self.by_kind)

    @property
    def voice(self) -> UsageRow:
        return voice_total(self.by_kind)


@dataclass(frozen=True)
class GlobalUsage:
    by_kind: list[tuple[str, str, UsageRow]]
    users: int  # distinct users in the window
    top_users: list[tuple[str, str | None, UsageRow]]  # (discord_id, username, row)
    top_personalities: list[UsageRow]  # label: the personality's display name or name

    @property
    def total(self) -> UsageRow:
        return token_total(self.by_kind)

    @property
    def voice(self) -> UsageRow:
        return voice_total(self.by_kind)


def _sum(label: str, rows: list[UsageRow]) -> UsageRow:
    return UsageRow(
        label,
        sum(r.tokens_in for r in rows),
        sum(r.tokens_out for r in rows),
        sum(r.tokens_total for r in rows),
        sum(r.requests for r in rows),
    )


_SUMS = "sum(tokens_in)::bigint, sum(tokens_out)::bigint, sum(tokens_total)::bigint, count(*)"

# The (user_id, "timestamp") index serves the per-user report.
_USER_REPORT = f"""SELECT provider, request_type, {_SUMS}
FROM usage_logs
WHERE user_id = %(user_id)s AND "timestamp" >= %(start)s AND "timestamp" < %(end)s
GROUP BY provider, request_type
ORDER BY sum(tokens_total) DESC, provider, request_type"""

# Everything /admin usage shows, in one round trip: the window's rows once (a CTE), then the
# groups as JSON arrays.
_GLOBAL_REPORT = """WITH w AS (
    SELECT * FROM usage_logs WHERE "timestamp" >= %(start)s AND "timestamp" < %(end)s
)
SELECT
    (SELECT coalesce(jsonb_agg(k ORDER BY k.tokens DESC, k.provider, k.request_type), '[]')
     FROM (SELECT provider, request_type, sum(tokens_in)::bigint AS tin,
                  sum(tokens_out)::bigint AS tout, sum(tokens_total)::bigint AS tokens,
                  count(*) AS requests
           FROM w GROUP BY provider, request_type) k),
    (SELECT count(DISTINCT user_id) FROM w),
    (SELECT coalesce(jsonb_agg(u ORDER BY u.tokens DESC, u.discord_id), '[]')
     FROM (SELECT usr.discord_id, usr.username, sum(w.tokens_in)::bigint AS tin,
                  sum(w.tokens_out)::bigint AS tout, sum(w.tokens_total)::bigint AS tokens,
                  count(*) AS requests
           FROM w JOIN users usr ON usr.id = w.user_id
           GROUP BY usr.discord_id, usr.username
           ORDER BY tokens DESC, usr.discord_id LIMIT %(top)s) u),
    (SELECT coalesce(jsonb_agg(p ORDER BY p.tokens DESC, p.label), '[]')
     FROM (SELECT coalesce(pr.display_name, pr.name) AS label, sum(w.tokens_in)::bigint AS tin,
                  sum(w.tokens_out)::bigint AS tout, sum(w.tokens_total)::bigint AS tokens,
                  count(*) AS requests
           FROM w JOIN personalities pr ON pr.id = w.personality_id
           GROUP BY pr.id, pr.display_name, pr.name
           ORDER BY tokens DESC, label LIMIT %(top)s) p)"""


def _row(label: str, data: dict[str, Any]) -> UsageRow:
    return UsageRow(
        label, int(data["tin"]), int(data["tout"]), int(data["tokens"]), int(data["requests"])
    )


def user_usage(conn, user_id: str, span: Window) -> UserUsage:
    """One user's tokens in `span` by provider and request type (one round trip)."""
    rows = conn.execute(
        _USER_REPORT, {"user_id": str(user_id), "start": span.start, "end": span.end}
    ).fetchall()
    return UserUsage(
        by_kind=[
            (provider, kind, UsageRow(f"{provider} {kind}", *map(int, sums)))
            for provider, kind, *sums in rows
        ]
    )


def global_usage(conn, span: Window, top: int = TOP) -> GlobalUsage:
    """Everyone's tokens in `span`: by provider and request type, users, top users and
    personalities (one round trip)."""
    kinds, users, top_users, top_personalities = conn.execute(
        _GLOBAL_REPORT, {"start": span.start, "end": span.end, "top": top}
    ).fetchone()
    return GlobalUsage(
        by_kind=[
            (k["provider"], k["request_type"], _row(f"{k['provider']} {k['request_type']}", k))
            for k in kinds
        ],
        users=int(users),
        top_users=[(u["discord_id"], u["username"], _row(u["discord_id"], u)) for u in top_users],
        top_personalities=[_row(p["label"], p) for p in top_personalities],
    )
