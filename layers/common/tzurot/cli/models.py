"""`tzurot models refresh|list`: the model catalog (tzurot.catalog).

`refresh` fetches OpenRouter's public list, and OpenAI's, Anthropic's and Gemini's with the
operator keys in TZUROT_CATALOG_KEYS (see tzurot.catalog.refresh); `list` prints what is stored.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from tzurot.catalog.model import CATALOG_PROVIDERS, CatalogModel
from tzurot.cli.schema import needs_schema
from tzurot.errors import TzurotError


class CatalogNotMigrated(TzurotError):
    pass


def register(subparsers: argparse._SubParsersAction) -> None:
    models = subparsers.add_parser("models", help="model catalog: refresh, list")
    verbs = models.add_subparsers(dest="models_verb", required=True)

    refresh = verbs.add_parser("refresh", help="fetch the providers' model lists into the catalog")
    refresh.add_argument(
        "--provider",
        choices=CATALOG_PROVIDERS,
        action="append",
        help="only this provider (repeatable; default: all, keyed ones when a key is set)",
    )
    refresh.set_defaults(handler=run_refresh)

    listing = verbs.add_parser("list", help="print the catalog")
    listing.add_argument("--provider", choices=CATALOG_PROVIDERS, help="only this provider")
    listing.add_argument("--search", metavar="TEXT", help="only ids containing TEXT")
    listing.set_defaults(handler=run_list)


_needs_schema = needs_schema(
    lambda: CatalogNotMigrated(
        "this database has no model catalog yet: run `tzurot db migrate` first"
    )
)


@_needs_schema
def run_refresh(args: argparse.Namespace) -> int:
    from tzurot.catalog.refresh import refresh_from_env

    providers = tuple(dict.fromkeys(args.provider)) if args.provider else CATALOG_PROVIDERS
    results = refresh_from_env(providers)
    for result in results:
        print(result.line())
    return 1 if any(result.status == "failed" for result in results) else 0


@_needs_schema
def run_list(args: argparse.Namespace) -> int:
    from tzurot.catalog.store import list_models
    from tzurot.db.connection import connect

    with connect(autocommit=True) as conn:
        models = list_models(conn, args.provider, args.search)
    if not models:
        print("no models in the catalog (fill it with `tzurot models refresh`)")
        return 0
    today = datetime.now(UTC).date()
    rows = [("PROVIDER", "MODEL", "CONTEXT", "IN->OUT", "$/M IN", "$/M OUT", "SHUTDOWN")]
    rows += [_row(model, today) for model in models]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        padded = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*padded, row[-1]]).rstrip())
    return 0


def _row(model: CatalogModel, today) -> tuple[str, ...]:
    def price(value) -> str:
        return "-" if value is None else f"{value.normalize():f}"

    modalities = (
        f"{'+'.join(model.input_modalities) or '?'}->{'+'.join(model.output_modalities) or '?'}"
    )
    shutdown = "-"
    if model.shutdown_date:
        shutdown = str(model.shutdown_date) + (" (shut down)" if model.shut_down_by(today) else "")
    return (
        model.provider,
        model.model_id,
        str(model.context_length or "-"),
        modalities,
        price(model.input_price),
        price(model.output_price),
        shutdown,
    )
