"""tzurot.key_fragments: no 4+ character piece of a key, in any encoding, survives."""

from __future__ import annotations

import base64
import json
import logging
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tzurot.key_fragments import KeyFragments, protect, protected
from tzurot.logs import RedactingFormatter
from tzurot.providers.http import scrub
from tzurot.redaction import REDACTED

OPENAI = "sk-proj-Zq8vN3xLw0RkT5uYb7HcJ2mPf9AeG4sD1oKi6nQz"
GOOGLE = "AIzaSyD7kq3Vn0XwPz8LmB5tRc2JhG9eUy4aFo1s"

# The leaks the adversarial run staged, and the other encodings the issue names.
LEAKS = {
    "base64 of the whole key": base64.b64encode(OPENAI.encode()).decode(),
    "base64url, unpadded": base64.urlsafe_b64encode(OPENAI.encode()).decode().rstrip("="),
    "last 20 characters": OPENAI[-20:],
    "a 4-character piece": OPENAI[20:24],
    "hex": OPENAI.encode().hex(),
    "HEX": OPENAI.encode().hex().upper(),
    "url-encoded": quote(OPENAI, safe=""),
    "percent-encoded": "".join(f"%{b:02X}" for b in OPENAI.encode()),
    "base64 of a middle piece": base64.b64encode(OPENAI[13:31].encode()).decode(),
}


@pytest.mark.parametrize("leak", list(LEAKS.values()), ids=list(LEAKS))
def test_every_encoding_of_a_key_fragment_is_scrubbed(leak):
    text = f'Invalid request: "{leak}" is not a valid value.'
    scrubbed = KeyFragments([OPENAI]).scrub(text)
    assert REDACTED in scrubbed
    assert scrubbed.startswith("Invalid request: ")
    assert_no_fragment(scrubbed, OPENAI)


def test_a_google_keys_first_24_characters_are_scrubbed():
    text = f"API key not valid: {GOOGLE[:24]}... Please pass a valid API key."
    scrubbed = scrub(text, GOOGLE)
    assert GOOGLE[4:24] not in scrubbed
    assert scrubbed.endswith("Please pass a valid API key.")


def test_the_public_prefix_and_ordinary_words_survive():
    text = "The project's model gpt-4o does not exist or you do not have access to it."
    assert KeyFragments([OPENAI]).scrub(text) == text


def assert_no_fragment(text: str, key: str) -> None:
    secret = key.removeprefix("sk-proj-")
    for i in range(len(secret) - 3):
        assert secret[i : i + 4] not in text


@settings(max_examples=150, deadline=None)
@given(
    start=st.integers(0, len(OPENAI) - 8),
    length=st.integers(4, 30),
    before=st.text(max_size=30),
    after=st.text(max_size=30),
)
def test_any_plain_fragment_inside_any_text_is_removed(start, length, before, after):
    start = max(start, len("sk-proj-"))
    fragment = OPENAI[start : start + length]
    if len(fragment) < 4:
        return
    scrubbed = KeyFragments([OPENAI]).scrub(before + fragment + after)
    assert fragment not in scrubbed


def test_log_lines_of_a_job_are_scrubbed_of_its_keys():
    formatter = RedactingFormatter()
    record = logging.LogRecord("tzurot.test", logging.WARNING, __file__, 1, "x", None, None)
    record.msg = f"provider said {base64.b64encode(OPENAI.encode()).decode()}"
    with protected():
        protect(OPENAI)
        line = formatter.format(record)
    assert base64.b64encode(OPENAI.encode()).decode()[8:20] not in line
    assert json.loads(line)["message"].startswith("provider said ")
    # outside the job the formatter knows no key: nothing is added
    record.msg = "plain text"
    assert json.loads(formatter.format(record))["message"] == "plain text"
