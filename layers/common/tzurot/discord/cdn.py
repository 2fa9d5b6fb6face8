"""Where the workers may download attachments from: Discord's CDN and nothing else.

A user can put any URL in a forged (but signed) interaction; fetching only under the configured
CDN base URLs (`DISCORD_CDN_BASE_URL`, default Discord's two CDN hosts over https) means no payload
can make a worker request an arbitrary address, such as the instance metadata service.
"""

from __future__ import annotations

from urllib.parse import urlsplit

DEFAULT_BASE_URLS = ("https://cdn.discordapp.com", "https://media.discordapp.net")


def base_urls(raw: str | None) -> tuple[str, ...]:
    """The base URLs of a `DISCORD_CDN_BASE_URL` value: one, or several separated by commas."""
    bases = tuple(part.strip().rstrip("/") for part in (raw or "").split(",") if part.strip())
    return bases or DEFAULT_BASE_URLS


def _origin_and_path(url: str) -> tuple[str, str, int | None, str] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.username or parts.password:
        return None
    return parts.scheme.lower(), (parts.hostname or "").lower(), port, parts.path


def allowed(url: str, bases: tuple[str, ...]) -> bool:
    """Whether `url` lies under one of `bases`: same scheme, host and port, and its path inside
    the base's path (so `https://cdn.example/a` does not admit `https://cdn.example/ab`)."""
    target = _origin_and_path(url)
    if target is None or not target[1]:
        return False
    for base in bases:
        wanted = _origin_and_path(base)
        if wanted is None or target[:3] != wanted[:3]:
            continue
        prefix = wanted[3].rstrip("/")
        if not prefix or target[3] == prefix or target[3].startswith(prefix + "/"):
            return True
    return False
