"""/imagine's decisions without the stack: the plan per personality or default, the prompt,
the hourly window, the upload payload, and the retry cache."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.fakes.transit import PUBLIC_KEY as TRANSIT_KEY
from tzurot.commands.imagine import (
    DEFAULT_MODELS,
    EmptyPrompt,
    ImageLimitReached,
    ImagePlan,
    ImagesDisabled,
    ImageSettingsUnusable,
    NoImageKey,
    RecentImages,
    check_hourly_limit,
    compose_prompt,
    plan_for,
    upload,
)
from tzurot.crypto.transit import Binding, seal
from tzurot.jobs.model import Job
from tzurot.personalities.model import ImageConfig, Personality
from tzurot.providers.base import ImageResult

ALL = frozenset({"openai", "google", "openrouter"})


def personality(image: ImageConfig | None, **fields) -> Personality:
    return Personality(id=uuid.uuid4(), name="Lilith", slug="lilith", image=image, **fields)


def config(provider="openrouter", model="m/x", enabled=True, size="1024x1024", **advanced):
    return ImageConfig(provider, model, enabled, size, advanced)


def test_default_provider_is_the_first_keyed_one_in_table_order():
    assert list(DEFAULT_MODELS) == ["openrouter", "openai", "google"]
    options = {"prompt": " a fox "}
    assert plan_for(None, ALL, options) == ImagePlan(
        "openrouter", "google/gemini-2.5-flash-image", "1024x1024", "a fox"
    )
    assert plan_for(None, frozenset({"google", "openai"}), {**options, "size": "1792x1024"}) == (
        ImagePlan("openai", "gpt-image-2.5-sunburst", "1792x1024", "a fox")
    )
    with pytest.raises(NoImageKey) as info:
        plan_for(None, frozenset({"anthropic", "elevenlabs"}), options)
    assert info.value.provider is None


def test_personality_plan_takes_prefix_negatives_and_keeps_provider_keys():
    lilith = personality(
        config(
            promptPrefix="A pixel art style image of...",
            negativePrompt="blurry",
            defaultNegativePrompt=" text, watermark ",
            steps=20,
            seed=3,
        )
    )
    assert plan_for(lilith, frozenset(), {"prompt": "a sunset"}) == ImagePlan(
        provider="openrouter",
        model="m/x",
        size="1024x1024",
        prompt="A pixel art style image of a sunset",
        negative_prompt="text, watermark, blurry",
        advanced={"steps": 20, "seed": 3},
    )


def test_asked_size_wins_over_default_size_and_configured_aspect_ratio():
    gemma = personality(
        config("google", "gemini-2.5-flash-image", size="1024x1792", aspectRatio="4:3")
    )
    assert plan_for(gemma, ALL, {"prompt": "x"}).advanced == {"aspectRatio": "4:3"}
    assert plan_for(gemma, ALL, {"prompt": "x"}).size == "1024x1792"
    chosen = plan_for(gemma, ALL, {"prompt": "x", "size": "1792x1024"})
    assert (chosen.size, chosen.advanced) == ("1792x1024", {})


def test_refusals():
    with pytest.raises(ImagesDisabled) as disabled:
        plan_for(personality(config(enabled=False)), ALL, {"prompt": "x"})
    assert str(disabled.value).startswith("Lilith doesn't create images.")
    with pytest.raises(ImagesDisabled):
        plan_for(personality(None), ALL, {"prompt": "x"})
    with pytest.raises(ImageSettingsUnusable) as unusable:
        plan_for(personality(config(size="huge")), ALL, {"prompt": "x"})
    assert unusable.value.problems == ["size: must be WIDTHxHEIGHT in pixels, e.g. 1024x1024"]
    with pytest.raises(EmptyPrompt):
        plan_for(None, ALL, {"prompt": "   "})


def test_compose_prompt():
    assert compose_prompt(None, "a cat") == "a cat"
    assert compose_prompt("  Watercolour:  ", "a cat") == "Watercolour: a cat"
    assert compose_prompt("In the style of…", "a cat") == "In the style of a cat"


def test_hourly_window_names_when_the_next_image_is_allowed():
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    stamps = [now - timedelta(minutes=m) for m in (55, 40, 10)]
    check_hourly_limit(stamps, 4)
    check_hourly_limit(stamps, 0)  # 0: no limit
    with pytest.raises(ImageLimitReached) as info:
        check_hourly_limit(stamps, 2)  # over by one: the second oldest must leave first
    assert info.value.frees_at == now - timedelta(minutes=40) + timedelta(hours=1)
    with pytest.raises(ImageLimitReached) as exact:
        check_hourly_limit(stamps, 3)
    assert exact.value.frees_at == now + timedelta(minutes=5)


def test_upload_payload_and_file():
    job = Job(
        queue="image",
        interaction_id="1",
        token_sealed=seal(TRANSIT_KEY, "tok", Binding.token(interaction_id="1", user_id="3")),
        application_id="2",
        user_id="3",
        username="u",
        command="imagine",
        options={"prompt": "a cat"},
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    image = ImageResult(b"\xff\xd8\xff-jpeg", "image/jpeg", "m")
    plan = ImagePlan("google", "gemini-2.5-flash-image", "1024x1024", "a cat")
    payload, file = upload(job, personality(None, avatar_url="https://a.test/l.png"), plan, image)
    assert payload == {
        "embeds": [
            {
                "author": {"name": "Lilith", "icon_url": "https://a.test/l.png"},
                "description": "a cat",
                "image": {"url": "attachment://image.jpg"},
                "footer": {"text": "Google Gemini · gemini-2.5-flash-image"},
            }
        ],
        "allowed_mentions": {"parse": []},
    }
    assert (file.filename, file.content, file.content_type, file.description) == (
        "image.jpg",
        b"\xff\xd8\xff-jpeg",
        "image/jpeg",
        "a cat",
    )


def test_recent_images_keep_few_and_forget_old(monkeypatch):
    cache = RecentImages(size=2, ttl=10)
    clock = [100.0]
    monkeypatch.setattr("tzurot.commands.imagine.time.monotonic", lambda: clock[0])
    for name in ("a", "b", "c"):
        cache.put(name, ({"n": name}, None))
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (
        None,
        ({"n": "b"}, None),
        ({"n": "c"}, None),
    )
    clock[0] = 111.0
    assert cache.get("c") is None
