"""Small readers of the model catalog: prices, labels, model families, dollars."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tzurot.catalog.sources import gemini_outputs, openai_outputs, per_million
from tzurot.catalog.store import choice_label
from tzurot.usage.cost import CostEstimate, dollars


@pytest.mark.parametrize(
    ("price", "expected"),
    [
        ("0.0000025", Decimal("2.500000")),
        ("0", Decimal("0.000000")),
        ("-1", None),  # OpenRouter: varies per request
        ("abc", None),
        ("NaN", None),
        (None, None),
        (True, None),
    ],
)
def test_per_million(price, expected):
    assert per_million(price) == expected


@pytest.mark.parametrize(
    ("model_id", "outputs"),
    [
        ("gpt-image-2", ("image",)),
        ("dall-e-3", ("image",)),
        ("gpt-4o-mini-tts", ("audio",)),
        ("gpt-4o-transcribe", ("text",)),
        ("text-embedding-3-large", ("embeddings",)),
        ("omni-moderation-latest", ("moderation",)),
        ("gpt-4o-realtime-preview", ("text", "audio")),
        ("o3-mini", ("text",)),
        ("gpt-5.1", ("text",)),
        ("babbage-002", ()),
    ],
)
def test_openai_families(model_id, outputs):
    assert openai_outputs(model_id) == outputs


def test_gemini_families():
    generate = ("generateContent",)
    assert gemini_outputs("gemini-2.5-flash", generate) == ("text",)
    assert gemini_outputs("gemini-2.5-flash-image", generate) == ("text", "image")
    assert gemini_outputs("gemini-2.5-flash-preview-tts", generate) == ("audio",)
    assert gemini_outputs("imagen-4.0-generate-001", ("predict",)) == ("image",)
    assert gemini_outputs("gemini-embedding-001", ("embedContent",)) == ("embeddings",)
    assert gemini_outputs("aqa", ("generateAnswer",)) == ()


def test_choice_labels_fit_discord():
    assert choice_label("gpt-4o", None, 128000, Decimal("2.5"), Decimal("10")) == (
        "gpt-4o · 128k context · $2.50/$10 per M tokens"
    )
    assert choice_label("m", "openai", 1_000_000, Decimal("0.075"), Decimal("0.3")) == (
        "m (openai) · 1M context · $0.075/$0.30 per M tokens"
    )
    long_id = "vendor/" + "x" * 90
    assert choice_label(long_id, None, 8192, Decimal(1), Decimal(2)) == long_id


def test_dollars_and_the_cost_line():
    assert [dollars(Decimal(v)) for v in ("1234.5", "0.42", "0.011366", "0.0031", "0")] == [
        "$1,234.50",
        "$0.42",
        "$0.011",
        "$0.0031",
        "$0.00",
    ]
    assert CostEstimate(Decimal("0"), 0, 5).line() is None
    assert CostEstimate(Decimal("0.5"), 2, 2).line() == (
        "Estimated cost: about $0.50 at list prices (every chat request; images and voice not "
        "included)."
    )
