"""Confirmation buttons: the "Delete" / "Cancel" pair under `/memory clear` and `/privacy delete`.

A button's custom_id says everything the click needs, so the endpoint answers it inline without
the database: `<confirm|cancel>:<action>:<scope>:<issued unix seconds>:<user id>`. On a click:

- an id this app did not make (an old format, garbage): the message becomes "expired", buttons
  gone (UPDATE_MESSAGE);
- someone else's button (the confirmation is private, so only by a crafted request): refused;
- Cancel: the message says nothing was deleted, buttons gone;
- Delete older than CONFIRM_SECONDS (a stale button, e.g. scrolled back to): "expired", nothing
  deleted, buttons gone;
- Delete in time: one job for the worker and DEFERRED_UPDATE_MESSAGE (inside Discord's 3 s); the
  worker deletes and edits the message into the result, buttons gone. A second click on the same
  message deletes nothing more (there is nothing left) and says so.

Plain data and no imports beyond the standard library (the interactions cold start).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CONFIRM_SECONDS = 300  # five minutes to press Delete
ALL = "*"  # the scope "every personality" (or the whole account)

# action -> (command, subcommand) the worker runs on confirmation
ACTIONS: dict[str, tuple[str, str]] = {
    "memory-clear": ("memory", "clear"),
    "privacy-delete": ("privacy", "delete"),
}

UPDATE_MESSAGE = 7
DEFERRED_UPDATE_MESSAGE = 6
ACTION_ROW, BUTTON = 1, 2
SECONDARY, DANGER = 2, 4

EXPIRED = "This confirmation has expired, so nothing was deleted. Run the command again."
CANCELLED = "Cancelled. Nothing was deleted."
NOT_YOURS = "That button belongs to someone else's command."


@dataclass(frozen=True)
class Button:
    confirm: bool
    action: str
    scope: str  # a personality id, or ALL
    issued: int
    user_id: str

    def stale(self, now: float) -> bool:
        return not (self.issued - 60 <= now <= self.issued + CONFIRM_SECONDS)


def custom_id(confirm: bool, action: str, scope: str, issued: int, user_id: str) -> str:
    return f"{'confirm' if confirm else 'cancel'}:{action}:{scope}:{issued}:{user_id}"


def parse(value: str | None) -> Button | None:
    parts = (value or "").split(":")
    if len(parts) != 5:
        return None
    kind, action, scope, issued, user_id = parts
    if kind not in ("confirm", "cancel") or action not in ACTIONS or not issued.isdigit():
        return None
    if not scope or not user_id.isdigit():
        return None
    return Button(kind == "confirm", action, scope, int(issued), user_id)


def confirmation_row(
    action: str, scope: str, user_id: str, issued: int, label: str
) -> list[dict[str, Any]]:
    """One action row: a red `label` button and a grey Cancel."""
    return [
        {
            "type": ACTION_ROW,
            "components": [
                {
                    "type": BUTTON,
                    "style": DANGER,
                    "label": label,
                    "custom_id": custom_id(True, action, scope, issued, user_id),
                },
                {
                    "type": BUTTON,
                    "style": SECONDARY,
                    "label": "Cancel",
                    "custom_id": custom_id(False, action, scope, issued, user_id),
                },
            ],
        }
    ]


def update(content: str) -> dict[str, Any]:
    """Replace the message the button is on with `content`, without buttons."""
    return {
        "type": UPDATE_MESSAGE,
        "data": {"content": content[:2000], "components": [], "allowed_mentions": {"parse": []}},
    }


def deferred_update() -> dict[str, Any]:
    return {"type": DEFERRED_UPDATE_MESSAGE}
