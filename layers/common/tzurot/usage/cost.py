"""Estimated cost in US dollars of the text requests in a usage window, from the model
catalog's prices (tzurot.catalog; migration 0007).

A request is priced by its own provider's catalog row, else (OpenAI, Anthropic and Gemini list
no prices) by OpenRouter's row for the same model, "<provider>/<model>": OpenRouter passes those
models through at their makers' list prices. Requests of models with no known price, images and
voice are not priced, and the answer says how many were, so a partial estimate reads as one.
Cached or reasoning tokens are not told apart in usage_logs: the estimate uses the plain input
and output prices.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

# Usage is grouped per model first, so the price lookups are one per model, not per request.
_COST = """WITH m AS (
    SELECT provider, model, sum(tokens_in)::numeric AS tin, sum(tokens_out)::numeric AS tout,
           count(*) AS requests
    FROM usage_logs
    WHERE (%(user_id)s::uuid IS NULL OR user_id = %(user_id)s::uuid)
      AND "timestamp" >= %(start)s AND "timestamp" < %(end)s AND request_type = 'text'
    GROUP BY provider, model
)
SELECT coalesce(sum(m.tin * p.price_in + m.tout * p.price_out) / 1000000, 0),
       coalesce(sum(m.requests) FILTER (WHERE p.price_in IS NOT NULL), 0),
       coalesce(sum(m.requests), 0)
FROM m LEFT JOIN LATERAL (
    SELECT c.input_price_per_million AS price_in, c.output_price_per_million AS price_out
    FROM model_catalog c
    WHERE c.input_price_per_million IS NOT NULL AND c.output_price_per_million IS NOT NULL
      AND ((c.provider = m.provider AND c.model_id = m.model)
           OR (m.provider <> 'openrouter' AND c.provider = 'openrouter'
               AND c.model_id = m.provider || '/' || m.model))
    ORDER BY c.provider = m.provider DESC
    LIMIT 1
) p ON true"""


@dataclass(frozen=True)
class CostEstimate:
    dollars: Decimal
    priced_requests: int
    text_requests: int

    def line(self) -> str | None:
        """ "Estimated cost: about $0.42 (prices known for 12 of 14 chat requests)."; None when
        no request could be priced."""
        if not self.priced_requests:
            return None
        coverage = (
            "every chat request"
            if self.priced_requests == self.text_requests
            else f"{self.priced_requests} of {self.text_requests} chat requests"
        )
        return (
            f"Estimated cost: about {dollars(self.dollars)} at list prices "
            f"({coverage}; images and voice not included)."
        )


def dollars(value: Decimal) -> str:
    """$12.35 or $0.42 from ten cents up; below, two significant digits: $0.011, $0.0031."""
    if value >= Decimal("0.1") or value == 0:
        return f"${value:,.2f}"
    return f"${value:.2g}" if value >= Decimal("0.0001") else "less than $0.0001"


def estimate(conn, start, end, user_id: str | None = None) -> CostEstimate:
    """The window's text requests (one user's, or everyone's without `user_id`), priced."""
    total, priced, requests = conn.execute(
        _COST, {"user_id": user_id, "start": start, "end": end}
    ).fetchone()
    return CostEstimate(Decimal(total), int(priced), int(requests))
