"""The usage ledger: one `usage_logs` row per provider call.

A trigger on `usage_logs` (migration 0003) adds each row's tokens to `usage_daily`, the per user,
UTC day and key source aggregate that quota checks read; so recording usage is one INSERT and
nothing else. Callers that write more in the same step (history, idempotency) combine the
statement from `usage_statement` with theirs through `tzurot.db.compose.atomically`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tzurot.db.compose import Statement
from tzurot.usage.counts import CountsNote, clamp_count

RequestType = Literal["text", "voice", "image", "embedding"]
KeySource = Literal["user", "guest"]

# At most one row per interaction (a partial unique index, migration 0006): a write replayed
# by a redelivery or from the spool counts once.
_INSERT = """INSERT INTO usage_logs
    (user_id, personality_id, provider, model, tokens_in, tokens_out, tokens_total,
     request_type, key_source, interaction_id, counts_note)
VALUES (%(usage_user_id)s, %(usage_personality_id)s, %(usage_provider)s, %(usage_model)s,
        %(usage_tokens_in)s, %(usage_tokens_out)s, %(usage_tokens_total)s,
        %(usage_request_type)s, %(usage_key_source)s, %(usage_interaction_id)s,
        %(usage_counts_note)s)
ON CONFLICT (interaction_id) WHERE interaction_id IS NOT NULL DO NOTHING"""


@dataclass(frozen=True)
class UsageRecord:
    """One provider call. user_id and personality_id are the database uuids (as text or UUID)."""

    user_id: str
    personality_id: str | None
    provider: str
    model: str
    tokens_in: int
    tokens_out: int
    request_type: RequestType = "text"
    key_source: KeySource = "user"
    interaction_id: str | None = None
    counts_note: CountsNote | None = None  # set when the counts are not the provider's own

    @property
    def tokens_total(self) -> int:
        return self.tokens_in + self.tokens_out


def usage_statement(record: UsageRecord) -> Statement:
    """The INSERT recording `record`, to run alone or combined with other writes. Counts that
    cannot be stored as they are (negative, absurdly large, not numbers) are clamped and the
    row says so (`counts_note`): a paid call always leaves a row."""
    tokens_in, note_in = clamp_count(record.tokens_in)
    tokens_out, note_out = clamp_count(record.tokens_out)
    note = record.counts_note or note_in or note_out
    return Statement(
        _INSERT,
        {
            "usage_user_id": str(record.user_id),
            "usage_personality_id": (
                str(record.personality_id) if record.personality_id is not None else None
            ),
            "usage_provider": record.provider,
            "usage_model": record.model[:100],
            "usage_tokens_in": tokens_in,
            "usage_tokens_out": tokens_out,
            "usage_tokens_total": tokens_in + tokens_out,
            "usage_request_type": record.request_type,
            "usage_key_source": record.key_source,
            "usage_interaction_id": record.interaction_id,
            "usage_counts_note": note,
        },
    )


def record_usage(conn, record: UsageRecord) -> None:
    """Write one usage row (one statement, one round trip)."""
    usage_statement(record).execute(conn)
