"""One catalog row, as every provider's list is read into."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

# Provider names as usage_logs, user_api_keys and /config spell them.
CATALOG_PROVIDERS = ("openrouter", "openai", "anthropic", "google")


@dataclass(frozen=True)
class CatalogModel:
    provider: str
    model_id: str
    display_name: str | None = None
    context_length: int | None = None
    # Empty: the provider does not say (nothing is refused for a modality nobody knows).
    input_modalities: tuple[str, ...] = ()
    output_modalities: tuple[str, ...] = ()
    # US dollars per million tokens; None where the provider publishes no price in its list.
    input_price: Decimal | None = None
    output_price: Decimal | None = None
    released_at: datetime | None = None
    deprecated_at: date | None = None
    shutdown_date: date | None = None

    def shut_down_by(self, day: date) -> bool:
        return self.shutdown_date is not None and self.shutdown_date <= day
