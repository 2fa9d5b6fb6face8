"""Daily token limits, checked before a provider call.

Tokens are counted per user per UTC day and per key source: calls paid with the user's own key
('user', limit `Settings.daily_token_limit`) and guest calls paid with the operator's key
('guest', the tighter `Settings.guest_daily_token_limit`). A limit of 0 means unlimited.

The check reads the `usage_daily` aggregate (one row per user, day and key source, kept by a
trigger on `usage_logs`), so its cost does not grow with the number of usage rows. A call that
starts under the limit may end over it (its size is unknown in advance); the next call is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from tzurot.config import Settings
from tzurot.errors import TzurotError
from tzurot.usage.ledger import KeySource


class QuotaExceeded(TzurotError):
    """The user reached their daily token limit for this key source."""

    def __init__(self, quota: Quota):
        self.quota = quota
        super().__init__(
            f"daily limit of {quota.limit} tokens reached ({quota.key_source} key); "
            f"resets at {quota.resets_at:%Y-%m-%d %H:%M} UTC"
        )


@dataclass(frozen=True)
class Quota:
    key_source: KeySource
    limit: int  # 0: unlimited
    used: int
    resets_at: datetime

    @property
    def exceeded(self) -> bool:
        return self.limit > 0 and self.used >= self.limit

    @property
    def remaining(self) -> int | None:
        return None if self.limit == 0 else max(self.limit - self.used, 0)


def daily_limit(settings: Settings, key_source: KeySource) -> int:
    return settings.guest_daily_token_limit if key_source == "guest" else settings.daily_token_limit


def utc_day(now: datetime) -> tuple[date, datetime]:
    """The UTC day `now` falls in and the moment it ends (when the counters reset)."""
    day = now.astimezone(UTC).date()
    return day, datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


def usage_today_sql(user_id_sql: str) -> str:
    """A scalar subquery: today's tokens per key source as a JSON object, e.g.
    {"user": 1200, "guest": 40}. `user_id_sql` is the SQL expression of the user's uuid; the
    day comes from the `quota_day` parameter (see `quota_params`). Reads at most two rows of the
    `usage_daily` primary key."""
    return (
        "(SELECT coalesce(jsonb_object_agg(key_source, tokens), '{}'::jsonb) FROM usage_daily"
        f" WHERE user_id = {user_id_sql} AND day = %(quota_day)s)"
    )


def quota_params(now: datetime) -> dict[str, date]:
    return {"quota_day": utc_day(now)[0]}


def evaluate(
    used_by_source: dict[str, int], key_source: KeySource, settings: Settings, now: datetime
) -> Quota:
    """The quota for `key_source` given today's usage; raises QuotaExceeded when it is spent."""
    quota = Quota(
        key_source=key_source,
        limit=daily_limit(settings, key_source),
        used=int(used_by_source.get(key_source, 0)),
        resets_at=utc_day(now)[1],
    )
    if quota.exceeded:
        raise QuotaExceeded(quota)
    return quota


def tokens_used_today(conn, user_id: str, now: datetime | None = None) -> dict[str, int]:
    """Today's tokens per key source for one user (one round trip)."""
    now = now or datetime.now(UTC)
    row = conn.execute(
        "SELECT " + usage_today_sql("%(quota_user_id)s"),
        {"quota_user_id": str(user_id), **quota_params(now)},
    ).fetchone()
    return {source: int(tokens) for source, tokens in (row[0] or {}).items()}


def check_quota(
    conn,
    user_id: str,
    key_source: KeySource,
    settings: Settings,
    now: datetime | None = None,
) -> Quota:
    """Check one user's daily limit before a provider call; raises QuotaExceeded when spent."""
    now = now or datetime.now(UTC)
    return evaluate(tokens_used_today(conn, user_id, now), key_source, settings, now)
