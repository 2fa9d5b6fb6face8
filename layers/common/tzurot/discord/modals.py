"""The two modals this app opens, and reading what comes back when they are submitted.

Which modal a submit belongs to travels in its custom_id (`<kind>:<argument>`), since a modal
submit carries nothing of the command that opened it.

/config edit-advanced opens prefilled with the user's stored advanced parameters for the scope
(their defaults, or their setting for one personality): what a submit replaces, so an unchanged
submit changes nothing. The endpoint reads them with one indexed query under a short deadline
(tzurot.discord.prefill); when the database is slow or down the form opens empty and its note
says so. Submitting replaces the user's advanced parameters with the JSON given; an empty submit
clears them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tzurot.discord import prefill as prefills
from tzurot.discord import responses
from tzurot.discord.character_forms import CHARACTER_CREATE
from tzurot.discord.definitions import PROVIDERS
from tzurot.storable import storable

WALLET_SET = "wallet-set"
CONFIG_ADVANCED = "config-advanced"
API_KEY_FIELD = "api_key"
ADVANCED_FIELD = "advanced_parameters"
MAX_KEY_LENGTH = 512
MAX_ADVANCED_LENGTH = prefills.MAX_VALUE_LENGTH
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


# The note under the field (Discord allows 100 characters), by what the prefill found.
ADVANCED_NOTES = {
    prefills.STORED: (
        "Your current ones are filled in. What you submit replaces them; empty clears them."
    ),
    prefills.NONE: "You have none of your own yet (/config show lists what applies now).",
    prefills.TOO_LONG: "Yours are too long to show here (see /config show). This replaces them.",
    prefills.UNAVAILABLE: "Couldn't load your current ones (see /config show). This replaces them.",
}


def scope_name(option: object) -> str:
    """The personality option as the form carries it: stripped and cut to fit the custom_id
    (at most 100 characters; the option's own limit is 80); "" means the user's defaults."""
    return option.strip()[:MAX_PERSONALITY_LENGTH] if isinstance(option, str) else ""


def advanced_parameters_modal(personality: str, prefill: prefills.Prefill) -> dict[str, Any]:
    """The form for `personality` (a scope_name), starting from `prefill`."""
    title = f"Advanced: {personality}" if personality else "Advanced parameters (defaults)"
    return responses.modal(
        f"{CONFIG_ADVANCED}:{personality}",
        title,
        [
            responses.text_input(
                ADVANCED_FIELD,
                "Advanced parameters (JSON)",
                style=responses.PARAGRAPH,
                description=ADVANCED_NOTES.get(
                    prefill.status, ADVANCED_NOTES[prefills.UNAVAILABLE]
                ),
                placeholder='{"frequencyPenalty": 0.5, "topK": 40}',
                value=prefill.value if prefill.status == prefills.STORED else None,
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
    if kind in (CONFIG_ADVANCED, CHARACTER_CREATE):
        return ModalTarget(kind, argument)
    return None


def form_inputs(custom_id: str) -> dict[str, dict[str, Any]] | None:
    """The text inputs (custom_id -> component JSON) of the modal this app opens under
    `custom_id`, or None for a custom_id it never issues. Read from the modals themselves, so a
    tool that builds submits (`tzurot simulate`) knows the fields and limits Discord applies."""
    target = parse_target(custom_id)
    if target is None:
        return None
    if target.kind == WALLET_SET:
        form = wallet_key_modal(target.argument)
    else:
        form = advanced_parameters_modal(target.argument, prefills.Prefill(prefills.NONE))
    inputs = (label["component"] for label in form["data"]["components"])
    return {component["custom_id"]: component for component in inputs}


def field_value(components: list[dict[str, Any]] | None, custom_id: str) -> str | None:
    """The submitted value of the text input `custom_id`, in label or action-row layout, made
    storable (tzurot.storable)."""
    for top in components or ():
        if not isinstance(top, dict):
            continue
        inner = top.get("components")
        candidates = inner if isinstance(inner, list) else [top.get("component")]
        for component in candidates:
            if isinstance(component, dict) and component.get("custom_id") == custom_id:
                value = component.get("value")
                return storable(value) if isinstance(value, str) else None
    return None
