"""Image generation of the OpenAI, OpenRouter and Gemini clients against the loopback fakes:
exact request bodies, decoded bytes, size mapping, and errors through the shared classification."""

from __future__ import annotations

import base64

import pytest

from tests.fakes.providers import FAKE_PNG, FakeGemini, FakeOpenAI, FakeOpenRouter, make_png
from tzurot.config import Settings
from tzurot.providers import IMAGE_PROVIDERS, get_image_provider
from tzurot.providers.base import (
    ImageRequest,
    ImageResult,
    closest_aspect_ratio,
    decode_base64,
    image_mime,
    parse_data_url,
)
from tzurot.providers.errors import (
    BadRequest,
    ContentBlocked,
    InvalidKey,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
    UnknownProvider,
)
from tzurot.providers.gemini import GeminiProvider
from tzurot.providers.openai import OpenAIProvider, image_quality, image_size
from tzurot.providers.openrouter import OpenRouterProvider

OPENAI_KEY = "sk-proj-abcdefghijklmnopqrstuvwxyz012345"
ROUTER_KEY = "sk-or-v1-0123456789abcdef0123456789abcdef"
GOOGLE_KEY = "AIzaSyA-0123456789abcdefghijklmnopqrstu"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32


@pytest.fixture(scope="module")
def servers():
    fakes = {
        "openai": FakeOpenAI(valid_keys={OPENAI_KEY}),
        "openrouter": FakeOpenRouter(valid_keys={ROUTER_KEY}),
        "google": FakeGemini(valid_keys={GOOGLE_KEY}),
    }
    with (
        fakes["openai"].serve() as openai_url,
        fakes["openrouter"].serve() as router_url,
        fakes["google"].serve() as gemini_url,
    ):
        yield fakes, {"openai": openai_url, "openrouter": router_url, "google": gemini_url}


@pytest.fixture
def fakes(servers):
    for fake in servers[0].values():
        fake.reset()
    return servers[0]


@pytest.fixture
def openai(servers) -> OpenAIProvider:
    return OpenAIProvider(servers[1]["openai"])


@pytest.fixture
def router(servers) -> OpenRouterProvider:
    return OpenRouterProvider(servers[1]["openrouter"])


@pytest.fixture
def gemini(servers) -> GeminiProvider:
    return GeminiProvider(servers[1]["google"])


# --- OpenAI: POST /images/generations ---------------------------------------------------------


def test_openai_gpt_image_body_size_mapping_and_bytes(fakes, openai):
    request = ImageRequest(
        model="gpt-image-1.5", prompt="a lighthouse", size="1792x1024", advanced={"quality": "high"}
    )

    result = openai.generate_image(OPENAI_KEY, request)

    assert result == ImageResult(FAKE_PNG, "image/png", "gpt-image-1.5")
    assert result.data == FAKE_PNG and result.filename == "image.png"
    sent = fakes["openai"].last_request
    assert (sent.method, sent.path) == ("POST", "/v1/images/generations")
    assert sent.headers["authorization"] == f"Bearer {OPENAI_KEY}"
    # GPT image models always answer in base64 and reject response_format; 1792x1024 was
    # dall-e-3's landscape, the standard-size models make 1536x1024.
    assert sent.json == {
        "model": "gpt-image-1.5",
        "prompt": "a lighthouse",
        "n": 1,
        "size": "1536x1024",
        "quality": "high",
    }


def test_openai_retired_dall_e_settings_are_not_sent(fakes, openai):
    """style and quality standard/hd existed only for the retired DALL-E models; stored configs
    keep them (validation notes it), the request leaves them out, the fake would refuse them."""
    request = ImageRequest(
        model="gpt-image-1.5",
        prompt="a fox",
        size="1024x1792",
        advanced={"quality": "hd", "style": "natural"},
    )
    result = openai.generate_image(OPENAI_KEY, request)
    assert fakes["openai"].last_request.json == {
        "model": "gpt-image-1.5",
        "prompt": "a fox",
        "n": 1,
        "size": "1024x1536",
    }
    assert result.data == FAKE_PNG


@pytest.mark.parametrize(
    ("model", "quality", "sent"),
    [
        ("gpt-image-2.5-sunburst", "max", "max"),
        ("gpt-image-2.5-flare-2026-09-08", "xhigh", "xhigh"),
        ("gpt-image-1.5", "xhigh", None),
        ("gpt-image-2", "medium", "medium"),
        ("gpt-image-2", "standard", None),
    ],
)
def test_openai_image_quality_per_model(model, quality, sent):
    assert image_quality(model, quality) == sent


def test_openai_shut_down_models_are_refused_by_the_fake_as_by_the_api(fakes, openai):
    with pytest.raises(BadRequest) as refused:
        openai.generate_image(OPENAI_KEY, ImageRequest(model="gpt-image-1", prompt="x"))
    assert refused.value.status == 404
    assert "gpt-image-1" in str(refused.value)


def test_openai_output_format_and_real_bytes_decide_the_type(fakes, openai):
    fakes["openai"].queue_reply(image=JPEG, image_mime="image/jpeg")
    result = openai.generate_image(OPENAI_KEY, ImageRequest(model="gpt-image-1-mini", prompt="x"))
    assert (result.data, result.mime_type, result.filename) == (JPEG, "image/jpeg", "image.jpg")


@pytest.mark.parametrize(
    ("model", "size", "sent"),
    [
        ("gpt-image-1.5", "1024x1024", "1024x1024"),
        ("gpt-image-1.5", "1024x1792", "1024x1536"),
        ("gpt-image-1-mini", "1792x1024", "1536x1024"),
        ("gpt-image-2", "1792x1024", "1792x1024"),
        # free sizes: multiples of 16, aspect within 3:1, at most 3840x2160 pixels
        ("gpt-image-2", "1000x1000", "1008x1008"),
        ("gpt-image-2.5-sunburst", "1500x500", "1488x496"),
        ("gpt-image-2.5-flare", "4000x1000", "2880x960"),
        ("gpt-image-2-2026-04-21", "4096x4096", "2880x2880"),
        ("gpt-image-2", "64x64", "64x64"),
    ],
)
def test_openai_image_size_per_model(model, size, sent):
    assert image_size(model, size) == sent


def test_openai_url_instead_of_base64_is_no_image(fakes, openai):
    fakes["openai"].queue_raw(200, {"created": 1, "data": [{"url": "https://example.com/a.png"}]})
    with pytest.raises(ProviderUnavailable) as info:
        openai.generate_image(OPENAI_KEY, ImageRequest(model="gpt-image-2", prompt="x"))
    assert str(info.value) == "OpenAI is unreachable or failing right now: returned no image"


def test_openai_image_errors_use_the_chat_classification(fakes, openai):
    request = ImageRequest(model="gpt-image-2.5-sunburst", prompt="x")
    with pytest.raises(InvalidKey) as info:
        openai.generate_image("sk-proj-wrongwrongwrongwrong1234", request)
    assert str(info.value) == "OpenAI rejected the API key (invalid, revoked or expired)"

    fakes["openai"].queue_error("quota")
    with pytest.raises(QuotaExhausted):
        openai.generate_image(OPENAI_KEY, request)

    fakes["openai"].queue_error("rate_limit", retry_after=7)
    with pytest.raises(RateLimited) as limited:
        openai.generate_image(OPENAI_KEY, request)
    assert limited.value.retry_after == 7

    fakes["openai"].queue_error("server_error")
    with pytest.raises(ProviderUnavailable):
        openai.generate_image(OPENAI_KEY, request)


def test_openai_image_moderation_and_billing_codes(fakes, openai):
    request = ImageRequest(model="gpt-image-2.5-sunburst", prompt="x")
    fakes["openai"].queue_raw(
        400,
        {
            "error": {
                "message": "Your request was rejected by the safety system.",
                "type": "image_generation_user_error",
                "param": None,
                "code": "moderation_blocked",
            }
        },
    )
    with pytest.raises(ContentBlocked) as blocked:
        openai.generate_image(OPENAI_KEY, request)
    assert blocked.value.detail == "Your request was rejected by the safety system."

    fakes["openai"].queue_raw(
        400,
        {
            "error": {
                "message": "Billing hard limit has been reached",
                "type": "invalid_request_error",
                "param": None,
                "code": "billing_hard_limit_reached",
            }
        },
    )
    with pytest.raises(QuotaExhausted):
        openai.generate_image(OPENAI_KEY, request)


# --- OpenRouter: chat completions with modalities ---------------------------------------------


def test_openrouter_image_body_and_data_url(fakes, router):
    request = ImageRequest(
        model="black-forest-labs/flux-1.1-pro",
        prompt="pixel art: a castle",
        size="1792x1024",
        negative_prompt="text, watermark",
        advanced={"steps": 25, "guidanceScale": 7.5, "scheduler": "DPM++ 2M", "seed": 12345},
    )

    result = router.generate_image(ROUTER_KEY, request)

    assert result == ImageResult(FAKE_PNG, "image/png", "black-forest-labs/flux-1.1-pro")
    sent = fakes["openrouter"].last_request
    assert (sent.path, sent.headers["authorization"]) == (
        "/api/v1/chat/completions",
        f"Bearer {ROUTER_KEY}",
    )
    assert sent.json == {
        "model": "black-forest-labs/flux-1.1-pro",
        "messages": [{"role": "user", "content": "pixel art: a castle"}],
        "modalities": ["image", "text"],
        "image_config": {
            "aspect_ratio": "16:9",
            "steps": 25,
            "guidance_scale": 7.5,
            "scheduler": "DPM++ 2M",
            "negative_prompt": "text, watermark",
        },
        "seed": 12345,
    }


def test_openrouter_minimal_body_portrait(fakes, router):
    router.generate_image(ROUTER_KEY, ImageRequest(model="m/x", prompt="p", size="1024x1792"))
    assert fakes["openrouter"].last_request.json == {
        "model": "m/x",
        "messages": [{"role": "user", "content": "p"}],
        "modalities": ["image", "text"],
        "image_config": {"aspect_ratio": "9:16"},
    }


def _router_answer(message: dict, finish: str = "stop") -> dict:
    return {
        "id": "gen-1",
        "object": "chat.completion",
        "created": 1,
        "model": "google/gemini-2.5-flash-image",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
    }


def test_openrouter_text_only_answer_is_a_bad_request_with_the_words(fakes, router):
    fakes["openrouter"].queue_raw(
        200, _router_answer({"role": "assistant", "content": "I can only describe it in words."})
    )
    with pytest.raises(BadRequest) as info:
        router.generate_image(ROUTER_KEY, ImageRequest(model="openai/gpt-4o", prompt="x"))
    assert info.value.detail == "no image, the model said: I can only describe it in words."


def test_openrouter_refusal_and_empty_answers(fakes, router):
    request = ImageRequest(model="google/gemini-2.5-flash-image", prompt="x")
    fakes["openrouter"].queue_raw(
        200, _router_answer({"role": "assistant", "content": None}, finish="content_filter")
    )
    with pytest.raises(ContentBlocked):
        router.generate_image(ROUTER_KEY, request)
    # An https image URL is not fetched (it would be a request to any host): no image.
    fakes["openrouter"].queue_raw(
        200,
        _router_answer(
            {
                "role": "assistant",
                "content": "",
                "images": [{"type": "image_url", "image_url": {"url": "https://x.test/a.png"}}],
            }
        ),
    )
    with pytest.raises(ProviderUnavailable) as info:
        router.generate_image(ROUTER_KEY, request)
    assert info.value.detail == "returned no image"


def test_openrouter_image_errors_including_inside_a_200(fakes, router):
    request = ImageRequest(model="google/gemini-2.5-flash-image", prompt="x")
    with pytest.raises(InvalidKey):
        router.generate_image("sk-or-v1-nope", request)
    fakes["openrouter"].queue_error("quota")
    with pytest.raises(QuotaExhausted):
        router.generate_image(ROUTER_KEY, request)
    fakes["openrouter"].queue_error("blocked")
    with pytest.raises(ContentBlocked):
        router.generate_image(ROUTER_KEY, request)
    fakes["openrouter"].queue_raw(
        200, {"error": {"code": 502, "message": "Provider returned error"}}
    )
    with pytest.raises(ProviderUnavailable) as info:
        router.generate_image(ROUTER_KEY, request)
    assert info.value.detail == "Provider returned error"


# --- Gemini: generateContent with an image-output model ---------------------------------------


def test_gemini_image_body_aspect_ratio_and_inline_data(fakes, gemini):
    request = ImageRequest(model="gemini-2.5-flash-image", prompt="a cat", size="1024x1792")

    result = gemini.generate_image(GOOGLE_KEY, request)

    assert result == ImageResult(FAKE_PNG, "image/png", "gemini-2.5-flash-image")
    sent = gemini_sent = fakes["google"].last_request
    assert sent.path == "/v1beta/models/gemini-2.5-flash-image:generateContent"
    assert sent.headers["x-goog-api-key"] == GOOGLE_KEY and "key" not in sent.query
    assert gemini_sent.json == {
        "contents": [{"role": "user", "parts": [{"text": "a cat"}]}],
        "generationConfig": {
            "responseModalities": ["TEXT", "IMAGE"],
            "imageConfig": {"aspectRatio": "9:16"},
        },
    }


def test_gemini_configured_ratio_and_safety_level(fakes, gemini):
    request = ImageRequest(
        model="models/gemini-2.5-flash-image",
        prompt="a cat",
        size="1024x1024",
        advanced={"aspectRatio": "4:3", "safetyFilterLevel": "block_only_high"},
    )
    gemini.generate_image(GOOGLE_KEY, request)
    sent = fakes["google"].last_request
    assert sent.json["generationConfig"]["imageConfig"] == {"aspectRatio": "4:3"}
    assert sent.json["safetySettings"] == [
        {"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_ONLY_HIGH"},
        {"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "BLOCK_ONLY_HIGH"},
        {"category": "HARM_CATEGORY_SEXUALLY_EXPLICIT", "threshold": "BLOCK_ONLY_HIGH"},
        {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "threshold": "BLOCK_ONLY_HIGH"},
    ]


def test_gemini_unknown_safety_level_is_refused_before_any_call(fakes, gemini):
    request = ImageRequest(model="m", prompt="x", advanced={"safetyFilterLevel": "strict"})
    with pytest.raises(BadRequest) as info:
        gemini.generate_image(GOOGLE_KEY, request)
    assert info.value.detail == (
        "safetyFilterLevel 'strict' is not one of block_low_and_above, "
        "block_medium_and_above, block_only_high, block_none"
    )
    assert fakes["google"].requests == []


def test_gemini_blocked_and_failed_images(fakes, gemini):
    request = ImageRequest(model="gemini-2.5-flash-image", prompt="x")
    fakes["google"].queue_error("blocked")
    with pytest.raises(ContentBlocked) as prompt_blocked:
        gemini.generate_image(GOOGLE_KEY, request)
    assert prompt_blocked.value.detail == "prompt blocked (SAFETY)"
    fakes["google"].queue_raw(
        200,
        {
            "candidates": [
                {"content": {"parts": [], "role": "model"}, "finishReason": "IMAGE_SAFETY"}
            ]
        },
    )
    with pytest.raises(ContentBlocked) as image_blocked:
        gemini.generate_image(GOOGLE_KEY, request)
    assert image_blocked.value.detail == "answer blocked (IMAGE_SAFETY)"
    fakes["google"].queue_raw(
        200,
        {
            "candidates": [
                {"content": {"parts": [{"text": "Sure! Imagine a cat."}]}, "finishReason": "STOP"}
            ]
        },
    )
    with pytest.raises(BadRequest) as words:
        gemini.generate_image(GOOGLE_KEY, request)
    assert words.value.detail == "no image, the model said: Sure! Imagine a cat."


def test_gemini_image_errors(fakes, gemini):
    request = ImageRequest(model="gemini-2.5-flash-image", prompt="x")
    with pytest.raises(InvalidKey):
        gemini.generate_image("AIzaSyWrongWrongWrongWrongWrongWrong00", request)
    fakes["google"].queue_error("quota")
    with pytest.raises(QuotaExhausted):
        gemini.generate_image(GOOGLE_KEY, request)
    fakes["google"].queue_error("rate_limit", retry_after=3)
    with pytest.raises(RateLimited) as limited:
        gemini.generate_image(GOOGLE_KEY, request)
    assert limited.value.retry_after == 3


def test_a_key_in_a_provider_message_never_reaches_the_error(fakes, router):
    fakes["openrouter"].queue_raw(
        200, _router_answer({"role": "assistant", "content": f"your key {ROUTER_KEY} is odd"})
    )
    with pytest.raises(BadRequest) as info:
        router.generate_image(ROUTER_KEY, ImageRequest(model="m", prompt="x"))
    assert ROUTER_KEY not in str(info.value) and ROUTER_KEY not in (info.value.detail or "")


# --- shared helpers and the registry ----------------------------------------------------------


def test_aspect_ratios_data_urls_and_types():
    ratios = ("1:1", "16:9", "9:16", "4:3", "3:4")
    assert [
        closest_aspect_ratio(w, h, ratios)
        for w, h in [(1024, 1024), (1792, 1024), (1024, 1792), (1200, 900)]
    ] == ["1:1", "16:9", "9:16", "4:3"]
    png = make_png(2, 3, (1, 2, 3))
    encoded = base64.b64encode(png).decode()
    assert parse_data_url(f"data:image/png;base64,{encoded}") == ("image/png", png)
    assert parse_data_url("data:image/png,rawtext") is None
    assert parse_data_url("https://example.com/x.png") is None
    assert decode_base64("not base64!") is None and decode_base64(None) is None
    assert image_mime(png, "image/jpeg") == "image/png"  # the bytes win over the label
    assert image_mime(b"RIFF\x00\x00\x00\x00WEBPVP8 ", None) == "image/webp"
    assert image_mime(b"????", "image/webp") == "image/webp"
    assert image_mime(b"????", "application/octet-stream") == "image/png"


def test_fake_png_is_a_real_png():
    assert FAKE_PNG.startswith(b"\x89PNG\r\n\x1a\n") and FAKE_PNG[12:16] == b"IHDR"
    assert int.from_bytes(FAKE_PNG[16:20], "big") == 4 and FAKE_PNG.endswith(b"IEND\xaeB`\x82")


def test_registry_builds_image_clients_for_the_three_providers():
    settings = Settings(openrouter_base_url="http://127.0.0.1:9/api/v1")
    assert IMAGE_PROVIDERS == ("openai", "google", "openrouter")
    clients = {name: get_image_provider(name, settings) for name in IMAGE_PROVIDERS}
    assert {name: type(client).__name__ for name, client in clients.items()} == {
        "openai": "OpenAIProvider",
        "google": "GeminiProvider",
        "openrouter": "OpenRouterProvider",
    }
    assert clients["openrouter"].http.base_url == "http://127.0.0.1:9/api/v1"
    with pytest.raises(UnknownProvider) as info:
        get_image_provider("anthropic", settings)
    assert str(info.value) == (
        "unknown provider 'anthropic'; expected one of: google, openai, openrouter"
    )
