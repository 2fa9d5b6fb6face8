"""Write the parts of the vendors' OpenAPI files the tests use into tests/reference/.

    python -m tests.reference.extract /path/to/shared/specs

Each output keeps the source's layout (the same JSON pointers resolve) but only the `ROOTS`
below and every schema they reference, transitively: a few hundred kilobytes instead of
megabytes, and a bare clone of the project runs every test. `x-extracted-from` records the
source file and roots. Regenerate when a test needs another schema (add it to `ROOTS`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent
DISCORD_CALLBACK = (
    "/paths/~1interactions~1{interaction_id}~1{interaction_token}~1callback/post/requestBody"
)


def _schemas(*names: str) -> list[str]:
    return [f"/components/schemas/{name}" for name in names]


# output file -> (source file, JSON pointers the tests resolve)
ROOTS: dict[str, tuple[str, list[str]]] = {
    "discord-openapi.json": (
        "discord-openapi.json",
        [
            DISCORD_CALLBACK,
            *_schemas(
                "ApplicationCommandCreateRequest",
                "ApplicationCommandUpdateRequest",
                "ApplicationCommandResponse",
                "ApplicationCommandAutocompleteCallbackRequest",
                "CreateMessageInteractionCallbackRequest",
                "CreatePrivateChannelRequest",
                "ErrorResponse",
                "IncomingWebhookRequestPartial",
                "IncomingWebhookUpdateRequestPartial",
                "MessageCreateRequest",
                "MessageEditRequestPartial",
                "MessageResponse",
                "ModalInteractionCallbackRequest",
                "PongInteractionCallbackRequest",
                "PrivateChannelResponse",
                "RatelimitedResponse",
            ),
        ],
    ),
    "openrouter-openapi.json": (
        "openrouter-openapi.yaml",
        [
            "/paths/~1key/get/responses/200",
            "/paths/~1chat~1completions/post/responses/403",
            *_schemas(
                "ChatRequest",
                "ChatResult",
                "ChatAssistantImages",
                "BadRequestResponse",
                "UnauthorizedResponse",
                "PaymentRequiredResponse",
                "ForbiddenResponse",
                "TooManyRequestsResponse",
                "InternalServerResponse",
                "ServiceUnavailableResponse",
            ),
        ],
    ),
}


def load(path: Path) -> Any:
    if path.suffix == ".json":
        return json.loads(path.read_text())
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(path.read_text(), Loader=loader)


def _parts(pointer: str) -> list[str]:
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer.lstrip("/").split("/")]


def _get(document: Any, pointer: str) -> Any:
    node = document
    for part in _parts(pointer):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def _put(target: dict, pointer: str, value: Any) -> None:
    parts = _parts(pointer)
    node = target
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"][1:]} if isinstance(node.get("$ref"), str) else set()
        for value in node.values():
            found |= _refs(value)
        return found
    if isinstance(node, list):
        return set().union(*map(_refs, node)) if node else set()
    return set()


def subset(document: dict, roots: list[str]) -> dict:
    """`roots` and every pointer they reference, transitively, at their original places."""
    out: dict = {key: document[key] for key in ("openapi", "info") if key in document}
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        pointer = todo.pop()
        if pointer in seen:
            continue
        seen.add(pointer)
        value = _get(document, pointer)
        _put(out, pointer, value)
        todo += sorted(_refs(value) - seen)
    return out


def main(specs: Path) -> None:
    for output, (source, roots) in ROOTS.items():
        document = subset(load(specs / source), roots)
        document["x-extracted-from"] = {"file": source, "roots": roots}
        (HERE / output).write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
        print(f"{output}: {(HERE / output).stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
