"""Conversation history per (channel, personality): what the prompt replays, and what a turn adds.

A turn is written as two rows, the user's message and the answer, in the same statement as its
usage row and the job's 'done' mark (see tzurot.commands.chat), so history never holds a question
without its answer. Rows carry the interaction id, which lets a retry find an answer that was
already generated (the reply failed, not the provider call) and send it again.
`max_conversation_history` counts messages (rows), not pairs.

A replayed user message carries its speaker's username (users.username, joined in the same
subquery), so in a channel where several people talk to one personality the model can tell them
apart. Rows without a user (imported, or the user was deleted) replay without one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tzurot.db.compose import Statement
from tzurot.storable import storable

Role = Literal["user", "assistant"]


@dataclass(frozen=True)
class HistoryMessage:
    role: Role
    content: str
    speaker: str | None = None  # the username of who wrote a user message; None on answers


def recent_sql(limit_sql: str) -> str:
    """A scalar subquery: the last `limit_sql` messages of the conversation in the parameters
    `history_channel_id` / `history_personality_id`, oldest first, as a JSON array of
    {"role", "content", "speaker"}. Walks the (channel_id, personality_id, id DESC) index
    backwards; the users join happens after the LIMIT, on the few rows it kept."""
    return f"""(SELECT coalesce(jsonb_agg(jsonb_build_object('role', h.role, 'content', h.content,
                                                     'speaker', u.username)
                                ORDER BY h.id), '[]'::jsonb)
    FROM (SELECT id, role, content, user_id FROM conversation_messages
          WHERE channel_id = %(history_channel_id)s
            AND personality_id = %(history_personality_id)s
          ORDER BY id DESC
          LIMIT {limit_sql}) h
    LEFT JOIN users u ON u.id = h.user_id AND h.role = 'user')"""


def history_params(channel_id: str, personality_id: str) -> dict[str, str]:
    return {"history_channel_id": channel_id, "history_personality_id": str(personality_id)}


def parse(rows: list[dict] | None) -> list[HistoryMessage]:
    return [HistoryMessage(row["role"], row["content"], row.get("speaker")) for row in rows or []]


def recent(conn, channel_id: str, personality_id: str, limit: int) -> list[HistoryMessage]:
    """The last `limit` messages, oldest first (one round trip)."""
    row = conn.execute(
        "SELECT " + recent_sql("%(history_limit)s"),
        {**history_params(channel_id, personality_id), "history_limit": limit},
    ).fetchone()
    return parse(row[0])


def turn_statement(
    *,
    channel_id: str,
    personality_id: str,
    user_id: str,
    interaction_id: str,
    question: str,
    answer: str,
) -> Statement:
    """The INSERT of one turn (two rows, question before answer), to combine with other writes."""
    return Statement(
        """INSERT INTO conversation_messages
    (channel_id, personality_id, user_id, role, content, interaction_id)
VALUES (%(turn_channel_id)s, %(turn_personality_id)s, %(turn_user_id)s, 'user',
        %(turn_question)s, %(interaction_id)s),
       (%(turn_channel_id)s, %(turn_personality_id)s, %(turn_user_id)s, 'assistant',
        %(turn_answer)s, %(interaction_id)s)""",
        {
            "turn_channel_id": channel_id,
            "turn_personality_id": str(personality_id),
            "turn_user_id": str(user_id),
            # Cleaned again here: the answer comes from a provider (tzurot.storable).
            "turn_question": storable(question),
            "turn_answer": storable(answer),
            "interaction_id": interaction_id,
        },
    )


def committed_answer(conn, channel_id: str, personality_id: str, interaction_id: str) -> str | None:
    """The answer already stored for this interaction, if an earlier attempt got that far.

    Only asked on a retry. Walks the conversation's index from the newest row; a retry comes
    minutes after its turn was written, so the row is near the top.
    """
    row = conn.execute(
        """SELECT content FROM conversation_messages
        WHERE channel_id = %s AND personality_id = %s AND interaction_id = %s
          AND role = 'assistant'
        ORDER BY id DESC LIMIT 1""",
        (channel_id, str(personality_id), interaction_id),
    ).fetchone()
    return row[0] if row else None
