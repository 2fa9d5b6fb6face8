"""`/config set-model` autocompletes model names from the catalog, through the real endpoint and
a real database (the production wiring: ModelChoices on the shared connection)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

from tests.fakes.interactions import PUBLIC_KEY, Recorder, autocomplete, signed
from tzurot.catalog.model import CatalogModel
from tzurot.catalog.store import replace_provider
from tzurot.db import connection
from tzurot.discord.endpoint import InteractionEndpoint

TODAY = date.today()


def endpoint() -> InteractionEndpoint:
    recorder = Recorder()
    return InteractionEndpoint(
        public_key=PUBLIC_KEY, send_job=recorder.send_job, seal=recorder.seal
    )


def choices(ep: InteractionEndpoint, *args: str) -> list[dict]:
    headers, body = signed(autocomplete("config", "set-model", *args))
    response = ep.handle(headers, body)
    assert response.status == 200
    answer = json.loads(response.body)
    assert answer["type"] == 8
    return answer["data"]["choices"]


def model(provider: str, model_id: str, **fields) -> CatalogModel:
    return CatalogModel(provider=provider, model_id=model_id, **fields)


def fill(db) -> None:
    text = ("text",)
    replace_provider(
        db,
        "openrouter",
        [
            model(
                "openrouter",
                "openai/gpt-4o",
                context_length=128000,
                output_modalities=text,
                input_price=Decimal("2.5"),
                output_price=Decimal("10"),
            ),
            model("openrouter", "openai/gpt-4o-mini", output_modalities=text),
            model("openrouter", "acme/not-gpt", output_modalities=text),
            model(
                "openrouter", "google/gemini-2.5-flash-image", output_modalities=("image", "text")
            ),
            model("openrouter", "black-forest-labs/flux", output_modalities=("image",)),
        ],
    )
    replace_provider(
        db,
        "openai",
        [
            model("openai", "gpt-4o", output_modalities=text),
            model("openai", "gpt-4-0613", output_modalities=text, shutdown_date=TODAY),
            model("openai", "gpt-4.5-preview", shutdown_date=TODAY + timedelta(days=30)),
            model("openai", "gpt-image-2", output_modalities=("image",)),
            model("openai", "gpt-unknown-family"),  # modalities not published: offered
        ],
    )


def test_models_of_the_picked_provider_that_answer_in_text(db):
    fill(db)
    ep = endpoint()
    assert choices(ep, "provider=openai", "model=GPT") == [
        {"name": "gpt-4.5-preview", "value": "gpt-4.5-preview"},
        {"name": "gpt-4o", "value": "gpt-4o"},
        {"name": "gpt-unknown-family", "value": "gpt-unknown-family"},
    ]
    # OpenRouter: the id's start, then the part after the vendor, then anywhere; with what
    # helps choosing in the label.
    assert choices(ep, "provider=openrouter", "model=gpt") == [
        {
            "name": "openai/gpt-4o · 128k context · $2.50/$10 per M tokens",
            "value": "openai/gpt-4o",
        },
        {"name": "openai/gpt-4o-mini", "value": "openai/gpt-4o-mini"},
        {"name": "acme/not-gpt", "value": "acme/not-gpt"},
    ]
    assert [c["value"] for c in choices(ep, "provider=openrouter", "model=")] == [
        "acme/not-gpt",
        "google/gemini-2.5-flash-image",
        "openai/gpt-4o",
        "openai/gpt-4o-mini",
    ]


def test_no_provider_yet_lists_every_provider_with_its_name(db):
    fill(db)
    assert choices(endpoint(), "model=gpt-4o") == [
        {"name": "gpt-4o (openai)", "value": "gpt-4o"},
        {"name": "openai/gpt-4o (openrouter) · 128k context · $2.50/$10 per M tokens",
         "value": "openai/gpt-4o"},
        {"name": "openai/gpt-4o-mini (openrouter)", "value": "openai/gpt-4o-mini"},
    ]  # fmt: skip


def test_at_most_25_and_an_empty_catalog_offers_nothing(db):
    ep = endpoint()
    assert choices(ep, "provider=openai", "model=gpt") == []
    replace_provider(
        db,
        "openai",
        [model("openai", f"gpt-{n:03d}", output_modalities=("text",)) for n in range(40)],
    )
    found = choices(endpoint(), "provider=openai", "model=gpt")
    assert [c["value"] for c in found] == [f"gpt-{n:03d}" for n in range(25)]


def test_database_down_means_no_model_suggestions(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:9/none?connect_timeout=1")
    connection.reset_shared_connection()
    try:
        assert choices(endpoint(), "provider=openai", "model=gpt") == []
    finally:
        connection.reset_shared_connection()
