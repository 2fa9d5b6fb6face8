"""Interaction responses (the body of the HTTP answer to Discord), as plain dicts.

Each builder returns one of the callback shapes in Discord's API (InteractionCallbackTypes).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

PONG = 1
CHANNEL_MESSAGE_WITH_SOURCE = 4
DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE = 5
APPLICATION_COMMAND_AUTOCOMPLETE_RESULT = 8
MODAL = 9

EPHEMERAL = 1 << 6  # message flag 64: only the invoking user sees it
MAX_CHOICES = 25
MAX_CHOICE_LENGTH = 100

# Component types and text input styles used in modals.
LABEL = 18
TEXT_INPUT = 4
SHORT = 1
PARAGRAPH = 2


def pong() -> dict[str, Any]:
    return {"type": PONG}


def deferred(*, ephemeral: bool) -> dict[str, Any]:
    """ "Thinking...": the worker edits this message later through the interaction webhook."""
    body: dict[str, Any] = {"type": DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE}
    if ephemeral:
        body["data"] = {"flags": EPHEMERAL}
    return body


def message(content: str, *, ephemeral: bool = True) -> dict[str, Any]:
    # No mentions: a reply that echoes user input must never ping anyone.
    data: dict[str, Any] = {"content": content[:2000], "allowed_mentions": {"parse": []}}
    if ephemeral:
        data["flags"] = EPHEMERAL
    return {"type": CHANNEL_MESSAGE_WITH_SOURCE, "data": data}


def autocomplete(
    choices: Iterable[tuple[str, str]], max_value_length: int | None = None
) -> dict[str, Any]:
    """At most 25 (label, value) choices, labels cut to Discord's 100 characters. A value longer
    than 100 characters, or than `max_value_length` (the option's own max_length), is left out."""
    longest = min(MAX_CHOICE_LENGTH, max_value_length or MAX_CHOICE_LENGTH)
    result = []
    for label, value in choices:
        if len(result) == MAX_CHOICES:
            break
        if not label or len(value) > longest:
            continue  # a value that cannot be sent whole would select something else
        result.append({"name": label[:MAX_CHOICE_LENGTH], "value": value})
    return {"type": APPLICATION_COMMAND_AUTOCOMPLETE_RESULT, "data": {"choices": result}}


def text_input(
    custom_id: str,
    label: str,
    *,
    style: int = SHORT,
    description: str | None = None,
    placeholder: str | None = None,
    value: str | None = None,
    required: bool = True,
    min_length: int | None = None,
    max_length: int | None = None,
) -> dict[str, Any]:
    """A text input wrapped in a label component (the current modal layout)."""
    field: dict[str, Any] = {
        "type": TEXT_INPUT,
        "custom_id": custom_id,
        "style": style,
        "required": required,
    }
    optional = {
        "placeholder": placeholder,
        "value": value,
        "min_length": min_length,
        "max_length": max_length,
    }
    field.update({key: item for key, item in optional.items() if item is not None})
    wrapper: dict[str, Any] = {"type": LABEL, "label": label, "component": field}
    if description:
        wrapper["description"] = description
    return wrapper


def modal(custom_id: str, title: str, components: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": MODAL,
        "data": {"custom_id": custom_id, "title": title[:45], "components": components},
    }
