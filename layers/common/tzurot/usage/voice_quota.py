"""The daily voice character limit, checked before each synthesis.

Voice is counted in characters (what ElevenLabs bills), per user per UTC day, from the
`usage_logs` rows of request_type 'voice', whose tokens_in holds the characters billed
(tzurot.commands.voice). The size of a synthesis is known before the call, so the check is
exact: a reply that would take the day past `Settings.voice_daily_char_limit` is not spoken,
one that reaches it exactly is. 0 disables the limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time

from tzurot.config import Settings
from tzurot.errors import TzurotError
from tzurot.usage.limits import utc_day


class VoiceLimitReached(TzurotError):
    def __init__(self, limit: int, used: int, resets_at: datetime):
        self.limit = limit
        self.used = used
        self.resets_at = resets_at
        super().__init__(f"daily voice limit of {limit} characters reached ({used} used)")


@dataclass(frozen=True)
class VoiceQuota:
    limit: int  # 0: unlimited
    used: int
    resets_at: datetime


def chars_today_sql(user_id_sql: str) -> str:
    """A scalar subquery: the voice characters of the user whose uuid is `user_id_sql` since
    the `voice_day_start` parameter (`day_params`). Served by the (user_id, timestamp) index:
    at most a day of one user's rows."""
    return (
        "(SELECT coalesce(sum(tokens_in), 0)::bigint FROM usage_logs"
        f' WHERE user_id = {user_id_sql} AND "timestamp" >= %(voice_day_start)s'
        " AND request_type = 'voice')"
    )


def day_params(now: datetime) -> dict[str, datetime]:
    """The start of the UTC day `now` falls in (00:00 UTC), for `chars_today_sql`."""
    return {"voice_day_start": datetime.combine(utc_day(now)[0], time(0), tzinfo=UTC)}


def check(used: int, wanted: int, settings: Settings, now: datetime) -> VoiceQuota:
    """The quota after speaking `wanted` more characters; VoiceLimitReached when that would go
    over the limit."""
    quota = VoiceQuota(settings.voice_daily_char_limit, used, utc_day(now)[1])
    if quota.limit > 0 and used + wanted > quota.limit:
        raise VoiceLimitReached(quota.limit, used, quota.resets_at)
    return quota
