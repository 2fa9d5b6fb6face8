"""What memory does for a personality (its ltm settings, or the defaults), and which embedding
model each provider uses.

Environment (both optional; the defaults need nothing):

- `TZUROT_EMBEDDING_MODELS`: `provider=model` pairs, comma-separated, overriding the defaults
  below; `provider=` (no model) switches embeddings off for that provider, whose users then get
  full-text recall only;
- `TZUROT_EMBEDDING_DIMENSIONS`: the vector size asked of every provider (default 1536, the size
  the HNSW index covers; `native` sends none: the model's own size).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tzurot.personalities.model import Personality

DEFAULT_THRESHOLD = 0.4  # cosine similarity; related texts score 0.4-0.7 with these models
DEFAULT_LIMIT = 5
MAX_LIMIT = 20  # however many a personality asks for, the prompt gets at most this many
DEFAULT_DIMENSIONS = 1536
DEFAULT_EMBEDDING_MODELS: dict[str, str] = {
    "openai": "text-embedding-3-small",
    "openrouter": "openai/text-embedding-3-small",
    "google": "gemini-embedding-001",
}


class InvalidEmbeddingSettings(ValueError):
    """TZUROT_EMBEDDING_MODELS or TZUROT_EMBEDDING_DIMENSIONS cannot be read."""


@dataclass(frozen=True)
class MemoryPolicy:
    """A personality's memory: on or off, the similarity a memory needs, how many to recall.

    ltm_enabled NULL means off: memory costs the user embedding tokens, so a personality has it
    only when it says so (shapes.inc imports carry the flag)."""

    enabled: bool
    threshold: float
    limit: int

    @classmethod
    def of(cls, personality: Personality) -> MemoryPolicy:
        ltm, llm = personality.ltm, personality.llm
        threshold = ltm.threshold
        if threshold is None and llm is not None:
            threshold = llm.memory_score_threshold
        limit = ltm.max_retrieved
        if limit is None and llm is not None:
            limit = llm.memory_limit
        return cls(
            enabled=bool(ltm.enabled),
            threshold=float(DEFAULT_THRESHOLD if threshold is None else threshold),
            limit=min(DEFAULT_LIMIT if limit is None else limit, MAX_LIMIT),
        )

    @property
    def active(self) -> bool:
        return self.enabled and self.limit > 0


@dataclass(frozen=True)
class EmbeddingSettings:
    models: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_EMBEDDING_MODELS))
    dimensions: int | None = DEFAULT_DIMENSIONS

    def model_for(self, provider: str) -> str | None:
        return self.models.get(provider) or None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> EmbeddingSettings:
        env = os.environ if env is None else env
        models = dict(DEFAULT_EMBEDDING_MODELS)
        for pair in filter(
            None, (p.strip() for p in env.get("TZUROT_EMBEDDING_MODELS", "").split(","))
        ):
            provider, sep, model = pair.partition("=")
            if not sep or provider.strip() not in DEFAULT_EMBEDDING_MODELS:
                known = ", ".join(DEFAULT_EMBEDDING_MODELS)
                raise InvalidEmbeddingSettings(
                    f"TZUROT_EMBEDDING_MODELS: {pair!r} is not provider=model ({known})"
                )
            models[provider.strip()] = model.strip()
        raw = env.get("TZUROT_EMBEDDING_DIMENSIONS", "").strip().lower()
        dimensions: int | None = DEFAULT_DIMENSIONS
        if raw == "native":
            dimensions = None
        elif raw:
            if not raw.isdigit() or not 1 <= int(raw) <= 16000:
                raise InvalidEmbeddingSettings(
                    "TZUROT_EMBEDDING_DIMENSIONS must be a whole number from 1 to 16000 or 'native'"
                )
            dimensions = int(raw)
        return cls(models, dimensions)
