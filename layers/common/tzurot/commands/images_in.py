"""Images shown to a personality: fetched from Discord's CDN, checked, handed to the provider.

Only URLs under the configured CDN bases (DISCORD_CDN_BASE_URL, default Discord's two CDN hosts)
are fetched, without following redirects, so no payload can make the worker reach another
address. Each image is read up to the provider's size limit (20 MB at most), its type comes from
its first bytes (PNG, JPEG, WebP, GIF; an animated GIF is cut to its first frame), and it lives
in memory only for the provider call: it is never stored. What cannot be shown becomes a note
in the prompt's context block, so the personality can say so instead of pretending to see.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from tzurot.discord import cdn
from tzurot.discord.attachments import MAX_IMAGES, ImageRef
from tzurot.logs import get_logger
from tzurot.providers import vision
from tzurot.providers.base import ImageInput

log = get_logger("tzurot.images_in")

FETCH_TIMEOUT = httpx.Timeout(10.0, connect=3.0)
TYPES_SHOWN = "PNG, JPEG, WebP or GIF"


@dataclass
class ImagesIn:
    """The images the model gets, and notes about those it does not."""

    images: list[ImageInput] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class ImageRefused(Exception):
    """One image that is not shown; the message is the note's reason."""


def sniff(data: bytes) -> str | None:
    """The image type from the first bytes; None when it is none of the four."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def gif_first_frame(data: bytes) -> bytes | None:
    """The GIF up to the end of its first image, then the trailer: a still of frame one.
    None when the file is not a well-formed GIF."""
    try:
        at = 13
        if data[10] & 0x80:
            at += 3 * 2 ** ((data[10] & 7) + 1)
        while True:
            block = data[at]
            if block == 0x3B:  # trailer: there was at most one frame
                return data[: at + 1]
            if block == 0x21:  # extension: label, then sub-blocks
                at = _skip_sub_blocks(data, at + 2)
            elif block == 0x2C:  # image descriptor, local colour table, LZW size, data
                packed = data[at + 9]
                at += 10
                if packed & 0x80:
                    at += 3 * 2 ** ((packed & 7) + 1)
                end = _skip_sub_blocks(data, at + 1)
                if end > len(data):
                    return None
                return data[:end] + b";"
            else:
                return None
    except IndexError:
        return None


def _skip_sub_blocks(data: bytes, at: int) -> int:
    while data[at]:
        at += data[at] + 1
    return at + 1


def fetch(client: httpx.Client, ref: ImageRef, limit: int) -> tuple[str, bytes]:
    """(type, bytes) of one image, or ImageRefused. The size is checked before (Discord's
    stated size, Content-Length) and while reading."""
    if ref.size is not None and ref.size > limit:
        raise ImageRefused(f"it is larger than {limit // vision.MB} MB")
    try:
        with client.stream("GET", ref.url, timeout=FETCH_TIMEOUT) as response:
            if response.status_code != 200:
                raise ImageRefused("it could not be fetched")
            length = response.headers.get("content-length")
            if length and length.isdigit() and int(length) > limit:
                raise ImageRefused(f"it is larger than {limit // vision.MB} MB")
            data = bytearray()
            for chunk in response.iter_bytes():
                data += chunk
                if len(data) > limit:
                    raise ImageRefused(f"it is larger than {limit // vision.MB} MB")
    except httpx.HTTPError as exc:
        log.info("image fetch failed", extra={"error_type": type(exc).__name__})
        raise ImageRefused("it could not be fetched") from None
    data = bytes(data)
    mime = sniff(data)
    if mime is None:
        raise ImageRefused(f"it is not a {TYPES_SHOWN} image")
    if mime == "image/gif":
        data = gif_first_frame(data) or b""
        if not data:
            raise ImageRefused("it is not a readable GIF")
    return mime, data


def gather(
    refs: list[ImageRef],
    *,
    cdn_bases: tuple[str, ...],
    provider: str,
    model: str,
    catalog_inputs: tuple[str, ...] | None,
    client: httpx.Client | None = None,
) -> ImagesIn:
    """The images to send with the turn (at most MAX_IMAGES), and a note for each one that is
    not sent and why."""
    found = ImagesIn()
    refs = list(dict.fromkeys(refs))  # the same attachment reached twice is shown once
    if not refs:
        return found
    if len(refs) > MAX_IMAGES:
        found.notes.append(f"They showed {len(refs)} images; only the first {MAX_IMAGES} are sent.")
        refs = refs[:MAX_IMAGES]
    if not vision.sees_images(provider, model, catalog_inputs):
        names = ", ".join(ref.filename for ref in refs)
        found.notes.append(
            f"They showed you {len(refs)} image(s) ({names}) that you cannot see: the model "
            f"{model} does not take images. Tell them so rather than guessing what is in it."
        )
        return found
    limit = vision.image_limit(provider)
    own_client = client is None
    client = client or httpx.Client(follow_redirects=False)
    try:
        for ref in refs:
            try:
                if not cdn.allowed(ref.url, cdn_bases):
                    raise ImageRefused("it is not on Discord's CDN")
                mime, data = fetch(client, ref, limit)
                if not vision.accepts_type(provider, mime):
                    raise ImageRefused(f"{provider} does not take {mime} images")
            except ImageRefused as refused:
                log.info("image not shown", extra={"reason": str(refused)})
                found.notes.append(
                    f"They showed you {ref.filename}, but {refused}, so you do not see it."
                )
                continue
            found.images.append(ImageInput(mime_type=mime, data=data))
    finally:
        if own_client:
            client.close()
    return found


def for_turn(conn, refs: list[ImageRef], settings, provider: str, model: str) -> ImagesIn:
    """`gather` for a chat turn: the catalog's modalities for the model when it lists it (one
    query, only when there are images)."""
    if not refs:
        return ImagesIn()
    from tzurot.catalog.store import find

    known = find(conn, provider, model)
    return gather(
        refs,
        cdn_bases=settings.discord_cdn_base_urls,
        provider=provider,
        model=model,
        catalog_inputs=known.input_modalities if known else None,
    )
