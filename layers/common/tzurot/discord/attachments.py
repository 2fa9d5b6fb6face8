"""Images people show the app: references to Discord attachments, read from an interaction's
`data.resolved` (an `image` option, a message command's target message) or from a message the
bot fetched (a linked message).

Only the reference travels in the job (URL, type, size, name); the worker fetches the bytes
from Discord's CDN when it calls the provider (tzurot.commands.images_in) and never stores them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

MAX_IMAGES = 4  # per turn: the option, the target message's and linked messages' images


class ImageRef(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    url: str
    filename: str = "image"
    content_type: str | None = None
    size: int | None = None


def image_refs(attachments: Any) -> list[ImageRef]:
    """The attachments (Discord attachment objects) that say they are images."""
    found = []
    for item in attachments if isinstance(attachments, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("url"), str):
            continue
        kind = item.get("content_type")
        if isinstance(kind, str) and not kind.startswith("image/"):
            continue
        found.append(ImageRef.model_validate(item))
    return found


def option_images(resolved: dict[str, Any] | None, attachment_ids: list[str]) -> list[ImageRef]:
    """The images of attachment options, by id, from `data.resolved.attachments`."""
    attachments = (resolved or {}).get("attachments") or {}
    chosen = [attachments.get(str(i)) for i in attachment_ids]
    return image_refs([item for item in chosen if item])
