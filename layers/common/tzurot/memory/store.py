"""The memories SQL: recall (full-text inside /chat's state statement, vector as one query),
the write that joins a turn's commit, and the user's own reads and deletions.

Recall reads one user's memories with one personality through `memories_owner_idx` and ranks
them exactly (cosine distance or ts_rank over those rows). It never orders by the HNSW
expression `embedding::vector(N)`: pgvector 0.6 filters an HNSW scan after taking the
`hnsw.ef_search` (40) nearest rows of ALL users, so a per-user filter would find almost nothing;
the exact scan of a few hundred rows is both right and fast (docs/benchmarks.md, "Memory").
Both recalls leave out the turns the prompt replays anyway (the recent history window).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tzurot.db.compose import Statement

# Words of the message OR-ed (plainto_tsquery ANDs them, and a long message would then match
# nothing); english stemming and stop words, so "the" or "is" match nothing. NULL when the
# message has no searchable word, which matches no row.
_TSQUERY = (
    "nullif(replace(plainto_tsquery('english', %(memory_query)s)::text, ' & ', ' | '), '')::tsquery"
)


@dataclass(frozen=True)
class Memory:
    id: int
    content: str
    created_at: datetime
    score: float  # cosine similarity (vector recall) or ts_rank (full-text)
    model: str | None = None  # the embedding model of its vector, if it has one


def window_sql(limit_sql: str) -> str:
    """The interaction ids of the conversation's last `limit_sql` messages (the history params
    of tzurot.commands.history), which recall skips."""
    return f"""SELECT w.interaction_id FROM (
        SELECT interaction_id FROM conversation_messages
        WHERE channel_id = %(history_channel_id)s AND personality_id = %(history_personality_id)s
        ORDER BY id DESC LIMIT {limit_sql}) w
    WHERE w.interaction_id IS NOT NULL"""


def _not_replayed(limit_sql: str) -> str:
    window = window_sql(limit_sql)
    return f"(m.source_interaction_id IS NULL OR m.source_interaction_id NOT IN ({window}))"


def enabled_sql(user_sql: str) -> str:
    """The user's switch for the personality `memory_personality_id`: its own row, else their
    "all personalities" row, else on."""
    return f"""coalesce(
        (SELECT s.enabled FROM memory_settings s
         WHERE s.user_id = {user_sql} AND s.personality_id = %(memory_personality_id)s),
        (SELECT s.enabled FROM memory_settings s
         WHERE s.user_id = {user_sql} AND s.personality_id IS NULL),
        true)"""


def state_sql(user_sql: str, history_limit_sql: str) -> str:
    """A scalar subquery for /chat's state statement: NULL when memory is off (the personality's
    `memory_on` parameter, or the user's switch), else the full-text recall as a JSON array of
    {id, content, created_at, score, model}, best first."""
    return f"""(SELECT CASE WHEN %(memory_on)s AND {enabled_sql(user_sql)} THEN
        (SELECT coalesce(jsonb_agg(jsonb_build_object(
                    'id', f.id, 'content', f.content, 'created_at', f.created_at,
                    'score', f.rank, 'model', f.embedding_model)
                    ORDER BY f.rank DESC, f.id DESC), '[]'::jsonb)
         FROM (SELECT m.id, m.content, m.created_at, m.embedding_model,
                      ts_rank(m.search, q.q) AS rank
               FROM memories m, (SELECT {_TSQUERY} AS q) q
               WHERE m.user_id = {user_sql} AND m.personality_id = %(memory_personality_id)s
                 AND m.search @@ q.q AND {_not_replayed(history_limit_sql)}
               ORDER BY rank DESC, m.id DESC
               LIMIT %(memory_limit)s) f)
    END)"""


def state_params(*, on: bool, personality_id: str, query: str, limit: int) -> dict[str, Any]:
    return {
        "memory_on": on,
        "memory_personality_id": str(personality_id),
        "memory_query": query,
        "memory_limit": limit,
    }


def parse(rows: list[dict] | None) -> list[Memory]:
    return [
        Memory(
            id=int(row["id"]),
            content=row["content"],
            created_at=datetime.fromisoformat(row["created_at"]),
            score=float(row["score"]),
            model=row.get("model"),
        )
        for row in rows or []
    ]


def vector_literal(vector: list[float]) -> str:
    return "[" + ",".join(repr(x) for x in vector) + "]"


_VECTOR_RECALL = f"""SELECT m.id, m.content, m.created_at, 1 - (m.embedding <=> q.v) AS similarity
FROM memories m, (SELECT %(vector)s::vector AS v) q
WHERE m.user_id = %(user_id)s AND m.personality_id = %(history_personality_id)s
  AND m.embedding_model = %(model)s AND m.dims = %(dims)s
  AND 1 - (m.embedding <=> q.v) >= %(threshold)s
  AND {_not_replayed("%(window)s")}
ORDER BY m.embedding <=> q.v, m.id DESC
LIMIT %(limit)s"""


def vector_recall(
    conn,
    *,
    user_id: str,
    personality_id: str,
    channel_id: str,
    vector: list[float],
    model: str,
    threshold: float,
    limit: int,
    window: int,
) -> list[Memory]:
    """Memories of this model at least `threshold` similar to `vector`, most similar first (one
    round trip). `window`: how many recent messages the prompt replays (skipped)."""
    rows = conn.execute(
        _VECTOR_RECALL,
        {
            "vector": vector_literal(vector),
            "user_id": str(user_id),
            "history_personality_id": str(personality_id),
            "history_channel_id": channel_id,
            "model": model,
            "dims": len(vector),
            "threshold": threshold,
            "window": window,
            "limit": limit,
        },
    ).fetchall()
    return [Memory(int(r[0]), r[1], r[2], float(r[3]), model) for r in rows]


def write_statement(
    *,
    user_id: str,
    personality_id: str,
    content: str,
    interaction_id: str,
    channel_id: str | None,
    vector: list[float] | None,
    model: str | None,
    created_at: datetime,
) -> Statement:
    """The INSERT of one memory, to join the turn's commit; a redelivered turn writes none."""
    return Statement(
        """INSERT INTO memories (user_id, personality_id, content, source_interaction_id,
        source_channel_id, embedding, embedding_model, dims, created_at)
VALUES (%(memory_user_id)s, %(memory_personality_id)s, %(memory_content)s,
        %(memory_interaction_id)s, %(memory_channel_id)s, %(memory_vector)s::vector,
        %(memory_model)s, %(memory_dims)s, %(memory_created_at)s)
ON CONFLICT (source_interaction_id) DO NOTHING""",
        {
            "memory_user_id": str(user_id),
            "memory_personality_id": str(personality_id),
            "memory_content": content,
            "memory_interaction_id": interaction_id,
            "memory_channel_id": channel_id,
            "memory_vector": vector_literal(vector) if vector else None,
            "memory_model": model if vector else None,
            "memory_dims": len(vector) if vector else None,
            "memory_created_at": created_at,
        },
    )


# --- the user's own reads and deletions (/memory, /privacy) ------------------------------------


@dataclass(frozen=True)
class ListedMemory:
    id: int
    personality: str
    content: str
    created_at: datetime


def page(
    conn, user_id: str, personality_id: str | None, offset: int, size: int
) -> tuple[list[ListedMemory], int]:
    """One page of the user's memories (all personalities, or one), newest first, and the
    total (one round trip)."""
    rows = conn.execute(
        """SELECT m.id, coalesce(p.display_name, p.name), m.content, m.created_at,
                  count(*) OVER () AS total
        FROM memories m JOIN personalities p ON p.id = m.personality_id
        WHERE m.user_id = %(user)s AND (%(personality)s::uuid IS NULL
                                        OR m.personality_id = %(personality)s::uuid)
        ORDER BY m.id DESC OFFSET %(offset)s LIMIT %(size)s""",
        {"user": user_id, "personality": personality_id, "offset": offset, "size": size},
    ).fetchall()
    if not rows and offset:
        total = conn.execute(
            "SELECT count(*) FROM memories WHERE user_id = %(user)s AND (%(personality)s::uuid "
            "IS NULL OR personality_id = %(personality)s::uuid)",
            {"user": user_id, "personality": personality_id},
        ).fetchone()[0]
        return [], int(total)
    return [ListedMemory(r[0], r[1], r[2], r[3]) for r in rows], int(rows[0][4]) if rows else 0


def forget(conn, user_id: str, memory_id: int) -> str | None:
    """Delete one of the user's memories; its text, or None when they have no such memory."""
    row = conn.execute(
        "DELETE FROM memories WHERE id = %s AND user_id = %s RETURNING content",
        (memory_id, user_id),
    ).fetchone()
    return row[0] if row else None


def clear(conn, user_id: str, personality_id: str | None) -> int:
    """Delete the user's memories (with one personality, or all); how many went."""
    cur = conn.execute(
        "DELETE FROM memories WHERE user_id = %(user)s AND (%(personality)s::uuid IS NULL "
        "OR personality_id = %(personality)s::uuid)",
        {"user": user_id, "personality": personality_id},
    )
    return cur.rowcount


def set_enabled(conn, user_id: str, personality_id: str | None, enabled: bool) -> None:
    """The user's switch for one personality or (None) for all. Switching all personalities
    also drops the per-personality rows, so the last word is the one in effect."""
    with conn.transaction():
        if personality_id is None:
            conn.execute("DELETE FROM memory_settings WHERE user_id = %s", (user_id,))
        conn.execute(
            """INSERT INTO memory_settings (user_id, personality_id, enabled)
            VALUES (%s, %s, %s)
            ON CONFLICT ON CONSTRAINT memory_settings_scope_key
            DO UPDATE SET enabled = EXCLUDED.enabled, updated_at = now()""",
            (user_id, personality_id, enabled),
        )


def choices(conn, discord_id: str, typed: str, limit: int = 25) -> list[tuple[str, str]]:
    """Autocomplete for /memory forget: (label, memory id) of the user's newest memories whose
    text contains what they typed (one indexed query)."""
    rows = conn.execute(
        """SELECT m.id, coalesce(p.display_name, p.name), m.created_at, m.content
        FROM memories m
        JOIN users u ON u.id = m.user_id
        JOIN personalities p ON p.id = m.personality_id
        WHERE u.discord_id = %(discord_id)s
          AND (%(typed)s = '' OR m.content ILIKE '%%' || %(typed)s || '%%')
        ORDER BY m.id DESC LIMIT %(limit)s""",
        {
            "discord_id": discord_id,
            "typed": typed.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_"),
            "limit": limit,
        },
    ).fetchall()
    found = []
    for memory_id, personality, created, content in rows:
        text = " ".join(content.split())
        label = f"{created:%Y-%m-%d} {personality}: {text}"
        found.append((label[:99] + "…" if len(label) > 100 else label, str(memory_id)))
    return found
