"""/character's interactions-side pieces: the create form, and the attachment of /character
avatar read from the interaction's `resolved` data into the job's options (the worker fetches
it; the endpoint never downloads anything)."""

from __future__ import annotations

from typing import Any

from tzurot.discord import responses

CHARACTER_CREATE = "character-create"
NAME_FIELD = "name"
PROMPT_FIELD = "description"
GREETING_FIELD = "greeting"
ERROR_FIELD = "error_message"
FIELDS = (NAME_FIELD, PROMPT_FIELD, GREETING_FIELD, ERROR_FIELD)


def create_modal() -> dict[str, Any]:
    # Limits: tzurot.personalities.characters (Discord's own: a text input holds 4000).
    return responses.modal(
        f"{CHARACTER_CREATE}:",
        "New character",
        [
            responses.text_input(
                NAME_FIELD, "Name", placeholder="e.g. Nyx", min_length=1, max_length=80
            ),
            responses.text_input(
                PROMPT_FIELD,
                "Description (its system prompt)",
                style=responses.PARAGRAPH,
                description="Who it is and how it talks. Only you can use it until you make it "
                "public.",
                min_length=1,
                max_length=4000,
            ),
            responses.text_input(
                GREETING_FIELD,
                "Greeting (optional)",
                style=responses.PARAGRAPH,
                required=False,
                max_length=2000,
            ),
            responses.text_input(
                ERROR_FIELD,
                "Error message (optional)",
                description="What it says when a reply fails.",
                style=responses.PARAGRAPH,
                required=False,
                max_length=2000,
            ),
        ],
    )


def attachment_options(resolved: dict[str, Any] | None, attachment_id: object) -> dict[str, Any]:
    """The chosen attachment's URL, size, type and name as job options (image_*); nothing
    when Discord did not resolve it (the worker then asks for an image)."""
    attachments = (resolved or {}).get("attachments") or {}
    found = attachments.get(str(attachment_id)) if isinstance(attachments, dict) else None
    if not isinstance(found, dict) or not isinstance(found.get("url"), str):
        return {}
    options: dict[str, Any] = {"image_url": found["url"][:2000]}
    if isinstance(found.get("size"), int):
        options["image_size"] = found["size"]
    if isinstance(found.get("content_type"), str):
        options["image_type"] = found["content_type"][:100]
    if isinstance(found.get("filename"), str):
        options["image_filename"] = found["filename"][:200]
    return options
