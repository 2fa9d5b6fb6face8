"""/character avatar: the picture a user attached, fetched from Discord's CDN and uploaded again
with the reply, whose attachment URL becomes the character's avatar.

Discord keeps a slash command's attachment only briefly, so its URL cannot be the avatar. The
worker fetches it, but only under Discord's CDN base URLs (tzurot.discord.cdn: a URL elsewhere is
refused before any request), without following redirects, and stops reading past MAX_BYTES.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from tzurot.discord import cdn

MAX_BYTES = 8 * 1024 * 1024
TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}
TIMEOUT = httpx.Timeout(10.0, connect=3.0)


class AvatarRefused(Exception):
    """The picture cannot be used; the message is fit to show the user."""


@dataclass(frozen=True)
class Picture:
    data: bytes
    content_type: str

    @property
    def filename(self) -> str:
        return f"avatar.{TYPES[self.content_type]}"


def _content_type(value: str | None) -> str:
    return (value or "").split(";")[0].strip().lower()


def check_declared(size: object, content_type: object) -> None:
    """What Discord says about the attachment, before anything is fetched."""
    if isinstance(size, int) and size > MAX_BYTES:
        raise AvatarRefused("That picture is too big: at most 8 MB, please.")
    if isinstance(content_type, str) and _content_type(content_type) not in TYPES:
        raise AvatarRefused("Please attach a PNG, JPEG, GIF or WebP picture.")


def fetch(url: str, bases: tuple[str, ...], client: httpx.Client | None = None) -> Picture:
    if not cdn.allowed(url, bases):
        raise AvatarRefused("Please attach the picture to the command itself.")
    owned = client is None
    client = client or httpx.Client(timeout=TIMEOUT, follow_redirects=False)
    try:
        with client.stream("GET", url) as response:
            if response.status_code != 200:
                raise AvatarRefused(
                    "I couldn't download that picture from Discord. Please try again."
                )
            content_type = _content_type(response.headers.get("content-type"))
            if content_type not in TYPES:
                raise AvatarRefused("Please attach a PNG, JPEG, GIF or WebP picture.")
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > MAX_BYTES:
                raise AvatarRefused("That picture is too big: at most 8 MB, please.")
            data = bytearray()
            for chunk in response.iter_bytes():
                data.extend(chunk)
                if len(data) > MAX_BYTES:
                    raise AvatarRefused("That picture is too big: at most 8 MB, please.")
    except httpx.HTTPError:
        raise AvatarRefused(
            "I couldn't download that picture from Discord. Please try again."
        ) from None
    finally:
        if owned:
            client.close()
    if not data:
        raise AvatarRefused("That picture is empty.")
    return Picture(bytes(data), content_type)
