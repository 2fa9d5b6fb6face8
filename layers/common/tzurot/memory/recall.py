"""One /chat turn's memory: what it recalls before the model call, and what it remembers after.

    turn = TurnMemory(ctx, personality, state_memory, provider=..., key_source=...)
    recalled = turn.recall(conn, api_key, user_id=..., channel_id=..., message=..., window=...)
    prompt block: turn.block(recalled, speaker=..., timezone=...)
    commit: *turn.statements(...)          # joins the usage/history/done statement

Round trips: the full-text recall rides in the state statement /chat already makes; an
embedding (the user's own key, where the provider has embeddings) adds one query, the vector
recall. The write joins the turn's commit. So a warm job makes at most one more round trip.

A failed embedding never fails the reply: the turn recalls by full text only, and its memory is
stored without a vector (still found by full-text search later).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from tzurot.commands.prompt import zone
from tzurot.db.compose import Statement
from tzurot.logs import get_logger
from tzurot.memory import store
from tzurot.memory.settings import EmbeddingSettings, InvalidEmbeddingSettings, MemoryPolicy
from tzurot.usage.ledger import UsageRecord, usage_statement

if TYPE_CHECKING:
    from tzurot.commands.context import JobContext
    from tzurot.personalities.model import Personality
    from tzurot.providers.embeddings import Embedding

log = get_logger("tzurot.memory")

MEMORY_MAX_CHARS = 1000  # per recalled memory in the prompt


def _embedding_settings() -> EmbeddingSettings | None:
    """The operator's embedding settings; None (full-text only, logged) when they are wrong."""
    try:
        return EmbeddingSettings.from_env()
    except InvalidEmbeddingSettings as exc:
        log.error("embedding settings ignored", extra={"error": str(exc)})
        return None


class TurnMemory:
    def __init__(
        self,
        ctx: JobContext,
        personality: Personality,
        fulltext: list[store.Memory] | None,
        *,
        provider: str,
        key_source: str,
    ):
        """`fulltext`: the state statement's recall (None: memory is off for this user)."""
        self.ctx = ctx
        self.personality = personality
        self.policy = MemoryPolicy.of(personality)
        self.on = self.policy.active and fulltext is not None
        self.fulltext = fulltext or []
        self.provider = provider
        self.embedding_settings = _embedding_settings()
        # The operator's guest key pays for no one's memory: guests get full-text recall.
        self.model = (
            self.embedding_settings.model_for(provider)
            if key_source == "user" and self.embedding_settings
            else None
        )
        self.embedding: Embedding | None = None

    def recall(
        self, conn, api_key: str, *, user_id: str, channel_id: str, message: str, window: int
    ) -> list[store.Memory]:
        """Up to the policy's limit: vector matches above the threshold first (best first),
        then full-text matches among the memories the vector search could not judge."""
        if not self.on:
            return []
        found: list[store.Memory] = []
        self.embedding = self._embed(api_key, message)
        if self.embedding is not None:
            found = store.vector_recall(
                conn,
                user_id=user_id,
                personality_id=str(self.personality.id),
                channel_id=channel_id,
                vector=self.embedding.vector,
                model=self.embedding.model,
                threshold=self.policy.threshold,
                limit=self.policy.limit,
                window=window,
            )
        # A memory with a vector of this model was judged by its similarity (the threshold);
        # full text speaks for the others (no vector, or another model's).
        judged = self.embedding.model if self.embedding is not None else None
        found += [memory for memory in self.fulltext if judged is None or memory.model != judged]
        return found[: self.policy.limit]

    def _embed(self, api_key: str, text: str) -> Embedding | None:
        from tzurot.providers.embeddings import get_embedding_client
        from tzurot.providers.errors import ProviderError, UnknownProvider

        if self.model is None or self.embedding_settings is None:
            return None
        try:
            options = self.ctx.provider_options.get(self.provider, {})
            client = get_embedding_client(self.provider, self.ctx.settings, **options)
            return client.embed(api_key, self.model, text, self.embedding_settings.dimensions)
        except (ProviderError, UnknownProvider) as exc:
            log.warning(
                "embedding failed; full-text recall only",
                extra={"provider": self.provider, "error": type(exc).__name__},
            )
            return None

    def block(self, recalled: list[store.Memory], *, speaker: str, timezone: str | None) -> str:
        """The recalled memories, oldest first, dated in the user's zone, in a tagged block."""
        if not recalled:
            return ""
        tz = zone(timezone)
        lines = [
            "<memories>",
            f"From your earlier conversations with {speaker} (dates in their time zone):",
        ]
        for memory in sorted(recalled, key=lambda m: (m.created_at, m.id)):
            text = memory.content.strip()
            if len(text) > MEMORY_MAX_CHARS:
                text = text[:MEMORY_MAX_CHARS] + "…"
            day = memory.created_at.astimezone(tz)
            lines.append(f"[{day:%A, %d %B %Y}]\n{text}")
        lines.append("</memories>")
        return "\n".join(lines)

    def statements(
        self,
        *,
        user_id: str,
        interaction_id: str,
        channel_id: str | None,
        speaker: str,
        question: str,
        answer: str,
        key_source: str,
        now: datetime,
    ) -> list[Statement]:
        """The memory of this turn and the embedding's usage row, for the turn's commit."""
        if not self.on:
            return []
        embedding = self.embedding
        parts = [
            store.write_statement(
                user_id=user_id,
                personality_id=str(self.personality.id),
                content=f"{speaker}: {question}\n{self.personality.label}: {answer}",
                interaction_id=interaction_id,
                channel_id=channel_id,
                vector=embedding.vector if embedding else None,
                model=embedding.model if embedding else None,
                created_at=now,
            )
        ]
        if embedding is not None:
            usage = usage_statement(
                UsageRecord(
                    user_id=user_id,
                    personality_id=str(self.personality.id),
                    provider=self.provider,
                    model=embedding.model,
                    tokens_in=embedding.tokens,
                    tokens_out=0,
                    request_type="embedding",
                    key_source=key_source,  # type: ignore[arg-type]
                )
            )
            # The turn's own usage row uses the same parameter names: rename this one's.
            parts.append(
                Statement(
                    usage.sql.replace("%(usage_", "%(embedding_usage_"),
                    {f"embedding_{k}": v for k, v in usage.params.items()},
                )
            )
        return parts
