"""The two modals this app opens, and reading what comes back when they are submitted.

Which modal a submit belongs to travels in its custom_id (`<kind>:<argument>`), since a modal
submit carries nothing of the command that opened it.

/config edit-advanced opens with an EMPTY input (with a hint), not the current value: a modal
must be the direct answer to the command, and the current value is an effective config the
worker computes (personality default < user default < user per-personality override). Doing that
on the request path would put several queries and the config logic on Discord's 3-second clock.
`/config show` lists the current advanced parameters; submitting replaces the user's advanced
parameters with the JSON given, and an empty submit clears them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tzurot.discord import responses
from tzurot.discord.definitions import PROVIDERS

WALLET_SET = "wallet-set"
CONFIG_ADVANCED = "config-advanced"
API_KEY_FIELD = "api_key"
ADVANCED_FIELD = "advanced_parameters"
MAX_KEY_LENGTH = 512
MAX_ADVANCED_LENGTH = 4000
MAX_PERSONALITY_LENGTH = 80


@dataclass(frozen=True)
class ModalTarget:
    kind: str  # WALLET_SET or CONFIG_ADVANCED
    argument: str  # provider, or personality ("" = the user's defaults)


def wallet_key_modal(provider: str) -> dict[str, Any]:
    label = PROVIDERS[provider]
    return responses.modal(
        f"{WALLET_SET}:{provider}",
        f"Your {label} API key",
        [
            responses.text_input(
                API_KEY_FIELD,
                "API key",
                description="Stored encrypted and used only for your own requests.",
                placeholder=f"paste your {label} key",
                min_length=8,
                max_length=MAX_KEY_LENGTH,
            )
        ],
    )


def advanced_parameters_modal(personality: str | None) -> dict[str, Any]:
    # custom_id holds at most 100 characters; the option's own limit (80) keeps names whole.
    personality = (personality or "")[:MAX_PERSONALITY_LENGTH]
    title = f"Advanced: {personality}" if personality else "Advanced parameters (defaults)"
    return responses.modal(
        f"{CONFIG_ADVANCED}:{personality}",
        title,
        [
            responses.text_input(
                ADVANCED_FIELD,
                "Advanced parameters (JSON)",
                style=responses.PARAGRAPH,
                description="Replaces your current ones (see /config show); empty clears them.",
                placeholder='{"frequencyPenalty": 0.5, "topK": 40}',
                required=False,
                max_length=MAX_ADVANCED_LENGTH,
            )
        ],
    )


def parse_target(custom_id: str | None) -> ModalTarget | None:
    """The modal a submit belongs to, or None for a custom_id this app never issued."""
    kind, sep, argument = (custom_id or "").partition(":")
    if not sep:
        return None
    if kind == WALLET_SET and argument in PROVIDERS:
        return ModalTarget(kind, argument)
    if kind == CONFIG_ADVANCED:
        return ModalTarget(kind, argument)
    return None


def field_value(components: list[dict[str, Any]] | None, custom_id: str) -> str | None:
    """The submitted value of the text input `custom_id`, in label or action-row layout."""
    for top in components or ():
        if not isinstance(top, dict):
            continue
        inner = top.get("components")
        candidates = inner if isinstance(inner, list) else [top.get("component")]
        for component in candidates:
            if isinstance(component, dict) and component.get("custom_id") == custom_id:
                value = component.get("value")
                return value if isinstance(value, str) else None
    return None
