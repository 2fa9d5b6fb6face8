"""What the model catalog changes for users, end to end: `/config set-model` refuses a model the
catalog knows is shut down or cannot chat; `/imagine` without a personality draws with the
provider's newest image model the catalog lists (the constant when it lists none); a
personality's image model known to be shut down is refused before any provider call; /usage and
/admin usage show an estimated cost where prices are known. With an empty catalog nothing
changes (the other e2e modules run with one)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from starlette.responses import JSONResponse

from tests.e2e.conftest import OWNER_ID, private
from tests.e2e.imagine_stack import (
    assert_uploaded,
    expected_upload,
    imagine,  # noqa: F401  (fixture)
)
from tests.e2e.test_account_usage import usage  # noqa: F401  (fixture)
from tests.fakes.interactions import GUILD
from tzurot.catalog.model import CatalogModel
from tzurot.catalog.store import replace_provider
from tzurot.dev import simulator

OWNER = simulator.Identity(user_id=OWNER_ID, username="owner", guild_id=GUILD.guild_id)
TEXT, IMAGE = ("text",), ("image",)


def fill_openai(db) -> None:
    def model(model_id, outputs, released, shutdown=None):
        return CatalogModel(
            "openai",
            model_id,
            output_modalities=outputs,
            released_at=datetime.fromisoformat(released),
            shutdown_date=shutdown,
        )

    replace_provider(
        db,
        "openai",
        [
            model("gpt-4o", TEXT, "2024-05-13T00:00:00+00:00"),
            model("gpt-4-0613", TEXT, "2023-06-13T00:00:00+00:00", date(2025, 6, 6)),
            model("dall-e-3", IMAGE, "2023-10-31T00:00:00+00:00", date(2026, 5, 12)),
            model("gpt-image-1", IMAGE, "2025-04-23T00:00:00+00:00", date(2026, 10, 23)),
            model("gpt-image-2", IMAGE, "2026-04-21T00:00:00+00:00"),
            model("gpt-image-1-mini", IMAGE, "2025-10-06T00:00:00+00:00"),
        ],
    )


def test_set_model_refuses_what_the_catalog_knows_cannot_chat(account):
    fill_openai(account.db)
    shut = account.command("config", "set-model", "provider=openai", "model=gpt-4-0613")
    assert account.reply(shut) == private(
        "Nothing was changed: `gpt-4-0613` was shut down on 2025-06-06, so it can't be used for "
        "chat. Start typing in the `model` option to see the models that can."
    )
    drawing = account.command("config", "set-model", "provider=openai", "model=gpt-image-2")
    assert account.reply(drawing) == private(
        "Nothing was changed: `gpt-image-2` makes images, not text, so it can't be used for "
        "chat. Start typing in the `model` option to see the models that can."
    )
    assert account.db.execute("SELECT count(*) FROM user_config_overrides").fetchone() == (0,)
    # A model the catalog lists for text, and one it does not know, are both accepted.
    for model in ("gpt-4o", "gpt-5-not-listed-yet"):
        exchange = account.command("config", "set-model", "provider=openai", f"model={model}")
        assert account.reply(exchange)["content"].startswith(f"Saved: OpenAI model `{model}`")


SHUT_DOWN = {"gpt-image-1", "dall-e-2", "dall-e-3"}


def refuse_shut_down_models(key, recorded):
    """OpenAI's answer to a request naming a model that was shut down."""
    model = (recorded.json or {}).get("model") if isinstance(recorded.json, dict) else None
    if model not in SHUT_DOWN:
        return None
    return JSONResponse(
        {"error": {"message": f"The model `{model}` does not exist or you do not have access "
                   "to it.", "type": "invalid_request_error", "param": None,
                   "code": "model_not_found"}},
        status_code=404,
    )  # fmt: skip


def test_imagine_without_a_personality_uses_the_newest_listed_image_model(imagine, monkeypatch):  # noqa: F811
    fill_openai(imagine.db)
    monkeypatch.setattr(imagine.provider("openai"), "refuse", refuse_shut_down_models)
    imagine.store_key("openai")  # the only key: OpenAI draws
    payload, result = imagine.imagine("prompt=a fox in the snow")
    assert result == {"batchItemFailures": []}
    # gpt-image-1 (the old constant) is shut down; gpt-image-2 is the newest still running.
    assert imagine.provider("openai").last_request.json["model"] == "gpt-image-2"
    assert_uploaded(
        imagine, payload, expected_upload("a fox in the snow", "OpenAI · gpt-image-2", None)
    )


def test_a_personalitys_shut_down_image_model_is_refused_before_any_call(imagine):  # noqa: F811
    fill_openai(imagine.db)
    # Ada's image config from before DALL-E's retirement (the stack's is a current model).
    imagine.db.execute(
        "UPDATE image_configs SET model = 'dall-e-3' WHERE personality_id = %s",
        (imagine.personality_ids["ada"],),
    )
    imagine.store_key("openai")
    payload, result = imagine.imagine("prompt=a lighthouse", "personality=ada")
    assert result == {"batchItemFailures": []}
    assert imagine.provider("openai").requests == []
    reply = imagine.private_reply(payload)
    assert reply.startswith(
        "Ada's image settings can't be used (`dall-e-3` was shut down on 2026-05-12). "
        "Please tell the bot's operator."
    )
    assert imagine.image_usage() == []


@pytest.fixture
def priced_usage(usage):  # noqa: F811
    """test_account_usage's rows, and OpenRouter prices for three of their models."""
    prices = {  # dollars per million tokens (input, output)
        "openai/gpt-4o-mini": ("0.15", "0.60"),  # prices OpenAI's own gpt-4o-mini rows
        "openai/gpt-4o": ("2.50", "10"),
        "x/y": ("1", "2"),
    }
    replace_provider(
        usage.db,
        "openrouter",
        [
            CatalogModel(
                "openrouter",
                model_id,
                output_modalities=TEXT,
                input_price=Decimal(i),
                output_price=Decimal(o),
            )
            for model_id, (i, o) in prices.items()
        ],
    )
    return usage


def test_usage_shows_an_estimated_cost_where_prices_are_known(priced_usage):
    today = priced_usage.reply(priced_usage.command("usage"))["content"].split("\n")
    # 1,100 in x $0.15/M + 334 out x $0.60/M = $0.000366
    assert today[-2:-1] == [
        "Estimated cost: about $0.00037 at list prices (every chat request; images and voice "
        "not included)."
    ]
    month = priced_usage.reply(priced_usage.command("usage", "period=month"))["content"]
    # + x/y (OpenRouter): 9,000 x $1/M + 1,000 x $2/M = $0.011; Anthropic: no price known.
    assert (
        "Estimated cost: about $0.011 at list prices (3 of 4 chat requests; images and voice "
        "not included)."
    ) in month.split("\n")


def test_admin_usage_shows_everyones_estimated_cost(priced_usage):
    lines = priced_usage.reply(priced_usage.command("admin", "usage", "period=week", who=OWNER))[
        "content"
    ].split("\n")
    # This week: the user's gpt-4o-mini ($0.000366), the other user's gpt-4o (700 x 2.5 +
    # 77 x 10 = $0.00252); the user's Anthropic request has no price.
    assert lines[3] == (
        "Estimated cost: about $0.0029 at list prices (3 of 4 chat requests; images and voice "
        "not included)."
    )
