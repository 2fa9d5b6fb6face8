"""Removes every fragment of a user's API key from provider-sourced text.

`tzurot.redaction` finds secrets by their shape; a provider's error message can hold a piece of
the key in a shape nobody planned for: its last 20 characters, its base64, a Google key's first
24 characters. `KeyFragments(key).scrub(text)` replaces every run of 4 or more characters that
also occurs in one of the key's encodings:

- plain, without the provider's public prefix (`sk-proj-`, `AIza`...: shape, not secret);
- base64 and base64url of the whole key, at each of the three byte alignments (the base64 of a
  fragment is a substring of one of them, give or take its edge characters);
- hex, lower and upper case;
- URL-encoded (`quote(secret, safe="")`, without the prefix like the plain form) and fully
  percent-encoded (`%73%6B...`).

A run is found as overlapping 4-grams, so any longer fragment is removed whole. Over-redaction
is accepted (a provider message loses a word that happens to share 4 characters with the key).

`protected(keys)` makes the current thread's job keys known to the log formatter
(tzurot.logs), so every log line a job writes is scrubbed of them too.
"""

from __future__ import annotations

import base64
import contextvars
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from urllib.parse import quote

from tzurot.redaction import REDACTED

MIN_FRAGMENT = 4
# Public prefixes of key shapes, longest first: the same for every user, so not secret.
PUBLIC_PREFIXES = ("sk-proj-", "sk-ant-api03-", "sk-ant-", "sk-or-v1-", "sk-", "sk_", "AIza")


def _encodings(key: str) -> Iterator[str]:
    secret = key
    for prefix in PUBLIC_PREFIXES:
        if key.startswith(prefix):
            secret = key[len(prefix) :]
            break
    yield secret
    raw = key.encode()
    for offset in range(3):
        yield base64.b64encode(raw[offset:]).decode().rstrip("=")
        yield base64.urlsafe_b64encode(raw[offset:]).decode().rstrip("=")
    yield raw.hex()
    yield raw.hex().upper()
    yield quote(secret, safe="")
    yield "".join(f"%{byte:02X}" for byte in raw)
    yield "".join(f"%{byte:02x}" for byte in raw)


class KeyFragments:
    """The 4-grams of some keys' encodings, and text scrubbed of them."""

    def __init__(self, keys: Iterable[str | None]):
        self.grams: frozenset[str] = frozenset(
            encoded[i : i + MIN_FRAGMENT]
            for key in keys
            if key and len(key) >= MIN_FRAGMENT
            for encoded in _encodings(key)
            for i in range(len(encoded) - MIN_FRAGMENT + 1)
        )

    def __bool__(self) -> bool:
        return bool(self.grams)

    def scrub(self, text: str) -> str:
        """`text` with every run that shares 4+ characters with a key encoding replaced."""
        if not self.grams or len(text) < MIN_FRAGMENT:
            return text
        grams, n = self.grams, MIN_FRAGMENT
        spans: list[list[int]] = []
        for i in range(len(text) - n + 1):
            if text[i : i + n] in grams:
                if spans and i <= spans[-1][1]:
                    spans[-1][1] = i + n
                else:
                    spans.append([i, i + n])
        if not spans:
            return text
        out, last = [], 0
        for start, end in spans:
            out.append(text[last:start])
            out.append(REDACTED)
            last = end
        out.append(text[last:])
        return "".join(out)


_current: contextvars.ContextVar[KeyFragments | None] = contextvars.ContextVar(
    "tzurot_key_fragments", default=None
)


def current() -> KeyFragments | None:
    """The fragments of the keys the current job uses (None outside a job)."""
    return _current.get()


def scrub_current(text: str) -> str:
    fragments = _current.get()
    return fragments.scrub(text) if fragments else text


def protect(key: str | None) -> None:
    """Add `key` to the current job's protected keys (within `protected()`)."""
    if not key:
        return
    fragments = _current.get()
    merged = KeyFragments([key])
    if fragments:
        merged.grams = merged.grams | fragments.grams
    _current.set(merged)


@contextmanager
def protected(keys: Iterable[str] = ()) -> Iterator[None]:
    """A job's scope: keys added with `protect` inside it are forgotten at its end."""
    token = _current.set(KeyFragments(keys))
    try:
        yield
    finally:
        _current.reset(token)
