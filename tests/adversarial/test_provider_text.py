"""Finding 10: provider error text never reaches a reply, and no piece of the user's key (in
any encoding) reaches a reply or a log line, whatever the provider's message holds."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import pytest

# The staged errors of the adversarial run (4 of 7 leaked before the fix), one per provider
# error class that carries the provider's words.
KEY = "sk-or-v1-Q7wZ3kP9xLm2VbR8tN5cJ4hY6dF1gS0aEu3Wq"
SECRET = KEY.removeprefix("sk-or-v1-")
STAGED = {
    "bad_request": f"Invalid request parameters for key {base64.b64encode(KEY.encode()).decode()}",
    "blocked": f"Flagged input; request by key ...{KEY[-20:]}",
    "permissions": f"Key {KEY.encode().hex()} lacks the chat scope",
    "quota": f"Credits exhausted for {quote(KEY, safe='')}",
}


def fragments(text: str) -> list[str]:
    """Every 4+ character piece of the key's secret part found in `text` (plain or decoded)."""
    found = []
    for i in range(len(SECRET) - 3):
        if SECRET[i : i + 4] in text:
            found.append(SECRET[i : i + 4])
    return found


def reply_text(chat, payload) -> str:
    calls = chat.calls(payload["token"])
    assert calls, "no reply"
    return "\n".join(json.dumps(call.json) for call in calls)


@pytest.mark.parametrize("kind", list(STAGED))
def test_provider_text_with_key_material_reaches_neither_reply_nor_logs(chat, caplog, kind):
    from tzurot.logs import RedactingFormatter

    chat.store_key("openrouter", KEY)
    chat.provider("openrouter").valid_keys.add(KEY)
    message = STAGED[kind]
    chat.provider("openrouter").queue_error(kind, message=message)
    caplog.set_level("DEBUG")
    payload, result = chat.chat("lilith", "hello")
    assert result == {"batchItemFailures": []}

    text = reply_text(chat, payload)
    assert message.split()[0] not in text  # the provider's words are not in the reply
    for encoded in (
        base64.b64encode(KEY.encode()).decode(),
        KEY.encode().hex(),
        quote(KEY, safe=""),
        KEY[-20:],
    ):
        assert encoded[4:16] not in text
    assert fragments(text) == []

    formatter = RedactingFormatter()
    logged = "\n".join(formatter.format(record) for record in caplog.records)
    assert "provider call failed" in logged or "chat failed" in logged
    for encoded in (base64.b64encode(KEY.encode()).decode(), KEY.encode().hex(), KEY[-20:]):
        for i in range(0, len(encoded) - 12, 4):
            assert encoded[i : i + 12] not in logged


def test_a_key_naming_a_missing_master_key_version_asks_to_add_it_again(chat):
    """Finding 16: not "Something went wrong" but what the user can do."""
    chat.store_key("openai")
    chat.db.execute("UPDATE user_api_keys SET key_version = 99")
    payload, result = chat.chat("ada", "hello")
    assert result == {"batchItemFailures": []}
    text = reply_text(chat, payload)
    assert (
        "Your saved OpenAI API key could not be read. Please add it again with `/wallet set`."
        in text
    )
    assert chat.usage_rows() == []
