"""Text PostgreSQL can store: the one cleaning step for user text on its way in.

PostgreSQL refuses two things a Python str can hold: the NUL character (in `text` columns and
in `jsonb`, where `\\u0000` is an unsupported escape) and lone UTF-16 surrogates (U+D800 to
U+DFFF, which have no UTF-8 encoding; `json.loads` and `surrogateescape` produce them). A /chat
message holding one used to fail only when its turn was saved, after the provider was paid.

So text is cleaned where it enters (the interaction model, modal fields, parsed JSON) and again
where it is written (a chat turn holds the provider's answer too): NUL is dropped, since it is
invisible and meaningless in a message, and a lone surrogate becomes U+FFFD, the replacement
character, so the rest of the text survives.
"""

from __future__ import annotations

import re
from typing import Any

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def storable(text: str) -> str:
    """`text` without NUL, with each lone surrogate replaced by U+FFFD (unchanged when clean)."""
    if _UNSTORABLE.search(text) is None:
        return text  # the common case: no copy
    return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else REPLACEMENT, text)


def storable_json(value: Any) -> Any:
    """`value` (parsed JSON) with every string in it, object keys included, made storable."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, list):
        return [storable_json(item) for item in value]
    if isinstance(value, dict):
        return {storable(str(key)): storable_json(item) for key, item in value.items()}
    return value
