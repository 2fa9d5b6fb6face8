"""The CDN guard and the GIF still, without any network."""

from __future__ import annotations

import pytest

from tests.fakes.cdn import JPEG, PNG, gif
from tzurot.commands.images_in import gif_first_frame, sniff
from tzurot.config import Settings
from tzurot.discord import cdn
from tzurot.providers.vision import sees_images

BASES = Settings().discord_cdn_base_urls


def test_a_forged_attachment_url_is_refused_by_the_cdn_guard():
    """images_in fetches through tzurot.discord.cdn (its own unit tests cover the rules)."""
    assert cdn.allowed("https://cdn.discordapp.com/attachments/1/2/a.png?ex=1", BASES)
    assert not cdn.allowed("https://cdn.discordapp.com@169.254.169.254/latest/meta-data", BASES)


def test_sniff_reads_the_bytes_not_the_name():
    assert sniff(PNG) == "image/png"
    assert sniff(JPEG) == "image/jpeg"
    assert sniff(gif()) == "image/gif"
    assert sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff(b"<html>") is None


def test_gif_first_frame():
    assert gif_first_frame(gif(frames=4)) == gif(frames=1)
    assert gif_first_frame(gif(frames=1)) == gif(frames=1)
    assert gif_first_frame(gif(frames=2)[:20]) is None  # cut short


@pytest.mark.parametrize(
    ("provider", "model", "inputs", "expected"),
    [
        ("openai", "gpt-4o-mini", None, True),
        ("openai", "gpt-3.5-turbo", None, False),
        ("anthropic", "claude-sonnet-4-5", None, True),
        ("anthropic", "claude-2.1", None, False),
        ("google", "gemini-2.5-flash", None, True),
        ("openrouter", "anthropic/claude-3.5-sonnet", None, True),
        ("openrouter", "meta-llama/llama-3.1-8b-instruct", None, False),
        ("openrouter", "meta-llama/llama-3.2-11b-vision", ("text", "image"), True),
        ("openai", "gpt-4o-mini", ("text",), False),  # the catalog wins
    ],
)
def test_vision_per_catalog_then_provider(provider, model, inputs, expected):
    assert sees_images(provider, model, inputs) is expected
