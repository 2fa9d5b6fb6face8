"""/imagine end to end: signed interaction -> moto SQS (image queue) -> image handler -> fake
provider (its real wire format) -> fake Discord (multipart upload). Exact provider bodies for the
three providers, the multipart edit, usage rows, redelivery, and a retry after Discord failed.

The world is the /chat rig (tests/e2e/chat_stack.py: database, moto, fakes, seeded
personalities and keys); `ImagineStack` adds the image queue, the image handler and image
configs for the seeded personalities.
"""

from __future__ import annotations

import pytest

from tests.e2e.chat_stack import KEYS
from tests.e2e.imagine_stack import (
    FAKE_PNG,
    GUILD,
    assert_uploaded,
    expected_upload,
    imagine,  # noqa: F401  (fixture)
)
from tzurot.commands.imagine import DEFAULT_MODELS

PROVIDER_CASES = {
    # slug: (options, provider, model, provider body, Discord footer)
    "lilith": (
        ["prompt=a lighthouse at dusk", "personality=lil"],
        "openrouter",
        "black-forest-labs/flux-1.1-pro",
        {
            "model": "black-forest-labs/flux-1.1-pro",
            "messages": [
                {"role": "user", "content": "A moody oil painting of a lighthouse at dusk"}
            ],
            "modalities": ["image", "text"],
            "image_config": {
                "aspect_ratio": "1:1",
                "steps": 28,
                "guidance_scale": 3.5,
                "negative_prompt": "text, watermark, blurry, extra fingers",
            },
            "seed": 7,
        },
        "OpenRouter · black-forest-labs/flux-1.1-pro",
    ),
    "ada": (
        ["prompt=a lighthouse at dusk", "personality=Ada", "size=1792x1024"],
        "openai",
        "gpt-image-2",
        {
            "model": "gpt-image-2",
            "prompt": "a lighthouse at dusk",
            "n": 1,
            "size": "1792x1024",
        },
        "OpenAI · gpt-image-2",
    ),
    "gemma": (
        ["prompt=a lighthouse at dusk", "personality=gemma"],
        "google",
        "gemini-2.5-flash-image",
        {
            "contents": [
                {"role": "user", "parts": [{"text": "Watercolour: a lighthouse at dusk"}]}
            ],
            "generationConfig": {
                "responseModalities": ["TEXT", "IMAGE"],
                "imageConfig": {"aspectRatio": "3:4"},
            },
        },
        "Google Gemini · gemini-2.5-flash-image",
    ),
}
AUTH = {
    "openai": ("authorization", f"Bearer {KEYS['openai']}"),
    "openrouter": ("authorization", f"Bearer {KEYS['openrouter']}"),
    "google": ("x-goog-api-key", KEYS["google"]),
}


@pytest.mark.parametrize("slug", list(PROVIDER_CASES))
def test_imagine_with_each_provider(imagine, slug):  # noqa: F811
    options, provider, model, body, footer = PROVIDER_CASES[slug]
    imagine.store_key(provider)

    payload, result = imagine.imagine(*options)

    assert result == {"batchItemFailures": []}
    fake = imagine.provider(provider)
    assert len(fake.requests) == 1
    header, value = AUTH[provider]
    assert fake.last_request.headers[header] == value
    assert fake.last_request.json == body
    assert_uploaded(imagine, payload, expected_upload("a lighthouse at dusk", footer, slug))
    assert imagine.usage_rows() == [
        (GUILD.user_id, slug, provider, model, 0, 1000, 1000, "image", "user")
    ]
    assert imagine.db.execute(
        "SELECT tokens, requests FROM usage_daily WHERE user_id = %s", (imagine.user_id,)
    ).fetchall() == [(1000, 1)]
    assert imagine.status(payload["id"]) == ("done", 1)


def test_without_a_personality_the_first_keyed_provider_draws(imagine):  # noqa: F811
    imagine.store_key("google")
    imagine.store_key("openai")  # preferred over google; openrouter would come first

    payload, result = imagine.imagine("prompt=a fox in the snow", "size=1024x1792")

    assert result == {"batchItemFailures": []}
    assert imagine.provider("google").requests == []
    assert imagine.provider("openai").last_request.json == {
        "model": DEFAULT_MODELS["openai"],
        "prompt": "a fox in the snow",
        "n": 1,
        "size": "1024x1792",  # gpt-image-2.5 takes any size in multiples of 16
    }
    footer = f"OpenAI · {DEFAULT_MODELS['openai']}"
    assert_uploaded(imagine, payload, expected_upload("a fox in the snow", footer, None))
    assert imagine.usage_rows() == [
        (GUILD.user_id, None, "openai", DEFAULT_MODELS["openai"], 0, 1000, 1000, "image", "user")
    ]


def test_only_an_openai_key_draws_with_a_model_that_is_not_shut_down(imagine):  # noqa: F811
    """The fake refuses gpt-image-1 and dall-e-* as the API does since their shutdown; the
    default must be a current model, so a keyless-config /imagine works."""
    imagine.store_key("openai")

    payload, result = imagine.imagine("prompt=a red kite")

    assert result == {"batchItemFailures": []}
    sent = imagine.provider("openai").last_request.json
    assert sent["model"] == "gpt-image-2.5-sunburst" == DEFAULT_MODELS["openai"]
    assert sent["size"] == "1024x1024"
    assert imagine.status(payload["id"]) == ("done", 1)
    assert [row[3] for row in imagine.usage_rows()] == ["gpt-image-2.5-sunburst"]


def test_redelivered_job_draws_and_counts_once(imagine):  # noqa: F811
    imagine.store_key("openrouter")
    payload = imagine.interact("prompt=a castle", "personality=lilith")
    messages = imagine.receive()
    assert imagine.deliver(messages) == {"batchItemFailures": []}
    for _ in range(2):  # SQS at-least-once: the same message again, and again
        assert imagine.deliver(messages) == {"batchItemFailures": []}

    assert len(imagine.provider("openrouter").requests) == 1
    assert len(imagine.calls(payload["token"])) == 1
    assert len(imagine.image_usage()) == 1
    assert imagine.status(payload["id"]) == ("done", 1)


def test_discord_down_during_the_upload_retries_without_drawing_again(imagine):  # noqa: F811
    imagine.store_key("openai")
    imagine.discord.fail_next(r"PATCH /webhooks/", status=503)
    payload = imagine.interact("prompt=a harbour", "personality=ada")

    first = imagine.receive()
    assert imagine.deliver(first) == {
        "batchItemFailures": [{"itemIdentifier": first[0]["MessageId"]}]
    }
    assert imagine.status(payload["id"]) == ("processing", 1)
    assert len(imagine.image_usage()) == 1  # the image was made and paid for

    again = imagine.receive()
    assert again[0]["Attributes"]["ApproximateReceiveCount"] == "2"
    assert imagine.deliver(again) == {"batchItemFailures": []}
    # The second attempt only uploaded the image the first one made.
    assert len(imagine.provider("openai").requests) == 1
    assert len(imagine.image_usage()) == 1
    patches = imagine.calls(payload["token"])
    assert [call.status for call in patches] == [503, 200]
    assert patches[1].files[0].content == FAKE_PNG
    assert imagine.status(payload["id"]) == ("done", 2)
