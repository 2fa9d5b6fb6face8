"""Validators for Discord's own OpenAPI schemas (../shared/specs/discord-openapi.json)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

CALLBACK_PATH = "/interactions/{interaction_id}/{interaction_token}/callback"


@cache
def _registry(specs_dir: Path) -> tuple[Registry, dict]:
    spec = json.loads((specs_dir / "discord-openapi.json").read_text())
    resource = Resource(contents=spec, specification=DRAFT202012)
    return Registry().with_resource("urn:discord", resource), spec


def schema_validator(specs_dir: Path, name: str) -> Draft202012Validator:
    """A validator for `components.schemas.<name>`."""
    registry, _ = _registry(specs_dir)
    ref = {"$ref": f"urn:discord#/components/schemas/{name}"}
    return Draft202012Validator(ref, registry=registry)


def callback_validator(specs_dir: Path) -> Draft202012Validator:
    """A validator for the body of an interaction response (any callback type)."""
    registry, _ = _registry(specs_dir)
    pointer = f"/paths/{_pointer(CALLBACK_PATH)}/post/requestBody/content/application~1json/schema"
    return Draft202012Validator({"$ref": f"urn:discord#{pointer}"}, registry=registry)


def _pointer(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def errors(validator: Draft202012Validator, instance: object) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(instance)]


# The callback schema is an anyOf; checking the one schema for the body's type as well makes a
# field that is wrong for that type fail instead of matching a looser sibling.
_BY_TYPE = {
    1: "PongInteractionCallbackRequest",
    4: "CreateMessageInteractionCallbackRequest",
    5: "CreateMessageInteractionCallbackRequest",
    6: "UpdateMessageInteractionCallbackRequest",
    7: "UpdateMessageInteractionCallbackRequest",
    8: "ApplicationCommandAutocompleteCallbackRequest",
    9: "ModalInteractionCallbackRequest",
}


def response_errors(specs_dir: Path, body: dict) -> list[str]:
    """Why `body` is not a valid interaction response (empty when it is)."""
    found = errors(callback_validator(specs_dir), body)
    name = _BY_TYPE.get(body.get("type"))
    if name is None:
        return [*found, f"unexpected response type {body.get('type')!r}"]
    return found + errors(schema_validator(specs_dir, name), body)
