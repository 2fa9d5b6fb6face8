"""Attachments are fetched only under the configured CDN base URLs."""

from __future__ import annotations

import pytest

from tzurot.config import Settings
from tzurot.discord import cdn

DISCORD = cdn.DEFAULT_BASE_URLS


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://cdn.discordapp.com/attachments/1/2/a.png?ex=1&is=2&hm=3", True),
        ("https://media.discordapp.net/attachments/1/2/a.png", True),
        ("https://CDN.discordapp.com/attachments/1/2/a.png", True),
        ("http://cdn.discordapp.com/attachments/1/2/a.png", False),
        ("https://cdn.discordapp.com:444/attachments/1/2/a.png", False),
        ("https://cdn.discordapp.com.evil.example/a.png", False),
        ("https://evil.example/cdn.discordapp.com/a.png", False),
        ("https://user@cdn.discordapp.com/a.png", False),
        ("http://169.254.169.254/latest/meta-data/", False),
        ("file:///etc/passwd", False),
        ("https://[::1/", False),
        ("", False),
    ],
)
def test_only_discords_cdn_by_default(url, ok):
    assert cdn.allowed(url, DISCORD) is ok


def test_a_base_with_a_path_admits_only_what_is_under_it():
    bases = cdn.base_urls("http://127.0.0.1:8123/cdn/")
    assert bases == ("http://127.0.0.1:8123/cdn",)
    assert cdn.allowed("http://127.0.0.1:8123/cdn/attachments/a.png", bases)
    assert not cdn.allowed("http://127.0.0.1:8123/cdnx/a.png", bases)
    assert not cdn.allowed("http://127.0.0.1:8124/cdn/a.png", bases)
    assert not cdn.allowed("https://cdn.discordapp.com/attachments/a.png", bases)


def test_settings_read_the_contract_variable():
    assert Settings.from_env({}).discord_cdn_base_urls == DISCORD
    one = Settings.from_env({"DISCORD_CDN_BASE_URL": "http://127.0.0.1:9/"})
    assert one.discord_cdn_base_urls == ("http://127.0.0.1:9",)
