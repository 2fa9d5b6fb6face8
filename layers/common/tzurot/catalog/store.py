"""The `model_catalog` table's queries (psycopg 3).

Import-light on purpose (psycopg and the standard library only): the interactions function
imports this module for `/config set-model` autocomplete on its cold-start clock, as it imports
tzurot.personalities.repository for personality names.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

import psycopg

from tzurot.catalog.model import CatalogModel

DISCORD_MAX_CHOICES = 25
DISCORD_CHOICE_MAX_LENGTH = 100

_COLUMNS = (
    "provider, model_id, display_name, context_length, input_modalities, output_modalities, "
    "input_price_per_million, output_price_per_million, released_at, deprecated_at, "
    "shutdown_date"
)

_INSERT = f"""INSERT INTO model_catalog ({_COLUMNS}, updated_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, now())"""


def replace_provider(conn: psycopg.Connection, provider: str, models: Iterable[CatalogModel]):
    """The provider's rows become exactly `models` (one transaction: readers see the old list
    or the new one, never half). Returns the number of rows written."""
    rows = [
        (
            provider,
            m.model_id,
            m.display_name,
            m.context_length,
            list(m.input_modalities),
            list(m.output_modalities),
            m.input_price,
            m.output_price,
            m.released_at,
            m.deprecated_at,
            m.shutdown_date,
        )
        for m in models
        if m.provider == provider
    ]
    with conn.transaction(), conn.cursor() as cursor:
        cursor.execute("DELETE FROM model_catalog WHERE provider = %s", (provider,))
        cursor.executemany(_INSERT, rows)
    return len(rows)


def _model(row: tuple) -> CatalogModel:
    (provider, model_id, name, context, inputs, outputs, price_in, price_out, released,
     deprecated, shutdown) = row  # fmt: skip
    return CatalogModel(
        provider=provider,
        model_id=model_id,
        display_name=name,
        context_length=context,
        input_modalities=tuple(inputs or ()),
        output_modalities=tuple(outputs or ()),
        input_price=price_in,
        output_price=price_out,
        released_at=released,
        deprecated_at=deprecated,
        shutdown_date=shutdown,
    )


def list_models(
    conn: psycopg.Connection, provider: str | None = None, search: str | None = None
) -> list[CatalogModel]:
    """Rows by provider and id, optionally one provider's, optionally those containing `search`."""
    rows = conn.execute(
        f"""SELECT {_COLUMNS} FROM model_catalog
        WHERE (%(provider)s::text IS NULL OR provider = %(provider)s)
          AND strpos(lower(model_id), lower(%(search)s)) > 0
        ORDER BY provider, lower(model_id)""",
        {"provider": provider, "search": search or ""},
    ).fetchall()
    return [_model(row) for row in rows]


def find(conn: psycopg.Connection, provider: str, model_id: str) -> CatalogModel | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM model_catalog WHERE provider = %s AND model_id = %s",
        (provider, model_id),
    ).fetchone()
    return _model(row) if row else None


def newest_with_output(
    conn: psycopg.Connection, provider: str, output: str, today: date, id_prefix: str = ""
) -> str | None:
    """The most recently released model of `provider` whose id starts with `id_prefix`, that
    takes a text prompt, outputs `output` and is not shut down by `today`; None when the catalog
    knows none. Rows
    without a release date (Gemini's list has none) come last, the highest id first: versions
    sort up ("gemini-3-..." after "gemini-2.5-...")."""
    row = conn.execute(
        """SELECT model_id FROM model_catalog
        WHERE provider = %(provider)s AND %(output)s = ANY(output_modalities)
          AND (cardinality(input_modalities) = 0 OR 'text' = ANY(input_modalities))
          AND starts_with(model_id, %(prefix)s)
          AND (shutdown_date IS NULL OR shutdown_date > %(today)s)
        ORDER BY released_at DESC NULLS LAST, model_id DESC
        LIMIT 1""",
        {"provider": provider, "output": output, "today": today, "prefix": id_prefix},
    ).fetchone()
    return row[0] if row else None


# Models of one provider (or of all, without one) that can answer in text and are not shut
# down: the id starting with what was typed first, then the part after the vendor ("gpt" finds
# "openai/gpt-4o"), then any id containing it; alphabetically within each.
_AUTOCOMPLETE = """
SELECT provider, model_id, context_length, input_price_per_million, output_price_per_million
FROM (
    SELECT provider, model_id, context_length, input_price_per_million,
           output_price_per_million, lower(model_id) AS folded,
           strpos(lower(model_id), %(query)s) AS at
    FROM model_catalog
    WHERE (%(provider)s::text IS NULL OR provider = %(provider)s)
      AND (shutdown_date IS NULL OR shutdown_date > current_date)
      AND (cardinality(output_modalities) = 0 OR %(output)s = ANY(output_modalities))
) m
WHERE at > 0
ORDER BY CASE WHEN at = 1 THEN 0 WHEN substr(folded, at - 1, 1) = '/' THEN 1 ELSE 2 END,
         folded, provider
LIMIT %(limit)s
"""


def autocomplete_models(
    conn: psycopg.Connection,
    query: str,
    provider: str | None = None,
    output: str = "text",
    limit: int = DISCORD_MAX_CHOICES,
) -> list[tuple[str, str]]:
    """(label, value) choices: the value is the model id, the label adds what helps choosing
    (context length, prices per million tokens, and the provider when none was picked)."""
    limit = min(limit, DISCORD_MAX_CHOICES)
    if limit < 1:
        return []
    rows = conn.execute(
        _AUTOCOMPLETE,
        {
            "query": query.strip().casefold(),
            "provider": provider,
            "output": output,
            "limit": limit,
        },
    ).fetchall()
    return [
        (choice_label(model_id, row_provider if provider is None else None, context, i, o),
         model_id)
        for row_provider, model_id, context, i, o in rows
    ]  # fmt: skip


def choice_label(
    model_id: str,
    provider: str | None,
    context: int | None,
    price_in: Decimal | None,
    price_out: Decimal | None,
) -> str:
    """ "openai/gpt-4o · 128k context · $2.50/$10 per M tokens" (what fits in 100 characters)."""
    parts = [model_id if provider is None else f"{model_id} ({provider})"]
    if context:
        parts.append(f"{_thousands(context)} context")
    if price_in is not None and price_out is not None:
        parts.append(f"${_price(price_in)}/${_price(price_out)} per M tokens")
    label = " · ".join(parts)
    return (
        label if len(label) <= DISCORD_CHOICE_MAX_LENGTH else parts[0][:DISCORD_CHOICE_MAX_LENGTH]
    )


def _thousands(tokens: int) -> str:
    if tokens >= 1_000_000 and tokens % 1_000_000 == 0:
        return f"{tokens // 1_000_000}M"
    return f"{round(tokens / 1000)}k" if tokens >= 1000 else str(tokens)


def _price(value: Decimal) -> str:
    """2.5 -> "2.50", 10 -> "10", 0.3 -> "0.30", 0.075 -> "0.075" (cents at least, up to 4
    decimals below a dollar)."""
    if value >= 1 or value == 0:
        return f"{value:.2f}".removesuffix(".00")
    whole, _, cents = f"{value:.4f}".partition(".")
    return f"{whole}.{cents.rstrip('0').ljust(2, '0')}"
