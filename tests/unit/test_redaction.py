"""Property tests: secrets of every shape, inside any text, dict, exception or traceback, never
survive redaction; token counts and ordinary log content do."""

from __future__ import annotations

import base64
import io
import json
import logging
import string
import time
import uuid

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from tzurot.logs import get_logger
from tzurot.redaction import REDACTED, install_redaction, is_sensitive_field, redact, redact_text

ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "_-"
HEX = "0123456789abcdef"

PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def chars(alphabet: str, lo: int, hi: int) -> st.SearchStrategy[str]:
    return st.text(st.sampled_from(alphabet), min_size=lo, max_size=hi)


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


snowflake = st.integers(10**16, 10**19).map(str)

openai_key = st.one_of(
    chars(ALNUM, 48, 48).map(lambda s: "sk-" + s),
    chars(URLSAFE, 100, 160).map(lambda s: "sk-proj-" + s),
)
anthropic_key = chars(URLSAFE, 80, 100).map(lambda s: "sk-ant-api03-" + s)
openrouter_key = chars(HEX, 64, 64).map(lambda s: "sk-or-v1-" + s)
elevenlabs_key = chars(HEX, 48, 48).map(lambda s: "sk_" + s)
google_key = chars(URLSAFE, 35, 35).map(lambda s: "AIza" + s)
bot_token = st.builds(
    lambda user, ts, mac: f"{b64(user.encode())}.{ts}.{mac}",
    snowflake,
    chars(URLSAFE, 6, 6),
    chars(URLSAFE, 27, 38),
)
interaction_token = st.builds(
    lambda app, rest: b64(f"interaction:{app}:{rest}".encode()),
    snowflake,
    chars(ALNUM, 60, 120),
)
jwt = st.builds(
    lambda a, b, c: f"eyJ{a}.eyJ{b}.{c}", chars(URLSAFE, 10, 40), chars(URLSAFE, 10, 80),
    chars(URLSAFE, 20, 60),
)  # fmt: skip

# Shaped secrets: found wherever they sit, even glued to other text.
SHAPED = st.one_of(
    openai_key, anthropic_key, openrouter_key, elevenlabs_key, google_key, bot_token,
    interaction_token, jwt,
)  # fmt: skip
# Unshaped secret values: found by what surrounds them (a header name, key=, a URL...).
opaque_value = chars(ALNUM + "._~+/=-", 8, 64)
password = chars(ALNUM + "%!*$&()+,;=~-._@", 8, 40)  # '@' too: people forget to escape it

CONTEXTUAL = st.one_of(
    st.tuples(st.just("bearer"), opaque_value).map(lambda t: (f"Bearer {t[1]}", t[1])),
    st.tuples(
        st.sampled_from(
            [
                "Authorization",
                "authorization",
                "x-api-key",
                "X-Api-Key",
                "xi-api-key",
                "x-goog-api-key",
            ]
        ),
        st.sampled_from([": ", ":", "=", '": "', "': '"]),
        opaque_value,
    ).map(lambda t: (f"{t[0]}{t[1]}{t[2]}", t[2])),
    st.tuples(snowflake, chars(URLSAFE + ".", 30, 250)).map(
        lambda t: (f"https://discord.com/api/v10/webhooks/{t[0]}/{t[1]}/messages/@original", t[1])
    ),
    st.tuples(snowflake, chars(URLSAFE + ".", 30, 250)).map(
        lambda t: (f"POST /api/v10/interactions/{t[0]}/{t[1]}/callback", t[1])
    ),
    opaque_value.map(
        lambda v: (f"https://generativelanguage.googleapis.com/v1beta/models?key={v}&alt=sse", v)
    ),
    password.map(lambda p: (f"postgresql://tzurot:{p}@db.internal:5432/tzurot", p)),
    password.map(lambda p: (f"postgres://:{p}@localhost/x", p)),
    opaque_value.map(lambda v: (f"host=db user=x password={v} dbname=y", v)),
    opaque_value.map(lambda v: (f'{{"api_key": "{v}"}}', v)),
    opaque_value.map(lambda v: (f"{{'interaction_token': '{v}'}}", v)),
)
SEPARATOR = st.sampled_from([" ", "\n", "\t", ", ", "(", "'", '"', "{", "[", "> ", ""])


def leaked(secret: str, out: str, around: str = "") -> bool:
    """The secret, or its last 12 characters, in `out` more often than the other input had it."""
    tail = secret[-12:]
    return out.count(secret) > around.count(secret) or (
        len(secret) >= 12 and out.count(tail) > around.count(tail)
    )


@PROPERTY
@given(before=st.text(max_size=80), secret=SHAPED, after=st.text(max_size=80))
def test_shaped_secret_glued_to_any_text(before, secret, after):
    out = redact_text(before + secret + after)
    assert not leaked(secret, out, before + after)
    assert REDACTED in out


@PROPERTY
@given(
    before=st.text(max_size=80),
    sep1=SEPARATOR.filter(bool),
    pair=CONTEXTUAL,
    sep2=st.sampled_from([" ", "\n", ", ", ")", "'", '"', "}", ""]),
    after=st.text(max_size=80),
)
def test_contextual_secret_in_any_text(before, sep1, pair, sep2, after):
    text, secret = pair
    # A generated password that is also part of its own line ("postgres" in "postgresql://")
    # cannot be told apart from that part when counting.
    assume(text.count(secret) == 1)
    out = redact_text(before + sep1 + text + sep2 + after)
    assert not leaked(secret, out, before + after + text.replace(secret, ""))


@PROPERTY
@given(
    secrets=st.lists(SHAPED, min_size=1, max_size=4),
    keys=st.lists(st.text(max_size=15), min_size=4, max_size=4),
    filler=st.text(max_size=40),
)
def test_secrets_nested_in_dicts_lists_and_tuples(secrets, keys, filler):
    assume(all(secret[-12:] not in filler + "".join(keys) for secret in secrets))
    record = {
        keys[0]: secrets[0],
        "nested": {keys[1]: [filler, secrets[-1]], keys[2]: ({"deeper": f"{filler}{secrets[0]}"},)},
        "message": f"{filler} {' '.join(secrets)}",
        "tokens_in": 17,
        keys[3]: filler,
    }
    out = redact(record)
    dumped = json.dumps(out, default=str)
    for secret in secrets:
        assert not leaked(secret, dumped)
    assert out["tokens_in"] == 17
    assert isinstance(out["nested"][keys[2]], tuple)


@PROPERTY
@given(
    name=st.sampled_from(
        ["api_key", "apiKey", "secret", "client_secret", "password", "token", "interaction_token",
         "bot_token", "botToken", "x-api-key", "Authorization", "plaintext", "guest_api_key"]
    ),
    value=st.text(min_size=1, max_size=60),
)  # fmt: skip
def test_string_fields_named_like_secrets_are_dropped(name, value):
    out = redact({name: value, "level": "INFO"})
    assert out == {name: REDACTED, "level": "INFO"}


def test_token_counts_survive():
    record = {
        "tokens_in": 12, "tokens_out": 345, "tokens_total": 357, "max_tokens": 1024,
        "maxTokens": 4000, "token": 5, "token_count": 9, "budgetTokens": 2048,
        "usage": {"input_tokens": 1, "output_tokens": 2},
    }  # fmt: skip
    assert redact(record) == record


@pytest.mark.parametrize(
    "text",
    [
        "interaction 1234567890123456789 handled in 231 ms",
        "model openai/gpt-4o-mini via openrouter, finish_reason=stop",
        "user 0b9f6a3e-4a61-4f0c-9d55-0d3c5b7b6a10 set /config for anthropic/claude-3.5-sonnet",
        "PATCH https://discord.com/api/v10/channels/123/messages/456 -> 200",
        "2026-11-26T07:43:34.123Z INFO job done tokens_in=12 tokens_out=30 max_tokens=100",
        "KMS could not unwrap master key version 1 (ThrottlingException); try again later",
        "risk-assessment done; disk-usage 42%",
        "",
    ],
)
def test_ordinary_log_content_is_unchanged(text):
    assert redact_text(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer sk-proj-abcdefghijklmnop1234", "Authorization: Bearer [REDACTED]"),
        ("Authorization: Bot MTA4NzY1NDMyMTA5ODc2NTQzMg.GhJkLm.abcdefghijklmnopqrstuvwxyz0",
         "Authorization: Bot [REDACTED]"),
        ("{'x-goog-api-key': 'AIzaXYZ'}", "{'x-goog-api-key': '[REDACTED]'}"),
        ('b\'{"Plaintext": "2j/myV0KCeguos+SJl64ck3fMffBax5ILK9UgEhWjkA="}\'',
         'b\'{"Plaintext": "[REDACTED]"}\''),
        ("postgresql://tzurot:hunter2@db:5432/t", "postgresql://tzurot:[REDACTED]@db:5432/t"),
        ("postgresql://tzurot:hun@ter2@db/t", "postgresql://tzurot:[REDACTED]@db/t"),
        ("https://discord.com:443/api/v10/channels/1/messages/@original",
         "https://discord.com:443/api/v10/channels/1/messages/@original"),
        ("GET /v1beta/models/x:generateContent?key=abc123&alt=sse",
         "GET /v1beta/models/x:generateContent?key=[REDACTED]&alt=sse"),
        ("/webhooks/123456789012345678/aW50ZXJhY3Rpb246MTIz/messages/@original",
         "/webhooks/123456789012345678/[REDACTED]/messages/@original"),
        ('body={\\"password\\": \\"two words\\"}', 'body={\\"password\\": \\"[REDACTED]\\"}'),
        ('{"password": "correct horse battery staple"}', '{"password": "[REDACTED]"}'),
    ],
)  # fmt: skip
def test_redaction_keeps_the_shape_of_the_line(text, expected):
    assert redact_text(text) == expected


@PROPERTY
@given(before=st.text(max_size=40), secret=SHAPED, pair=CONTEXTUAL)
def test_redaction_is_idempotent(before, secret, pair):
    once = redact_text(f"{before} {secret} {pair[0]}")
    assert redact_text(once) == once


def test_fields_named_like_secrets():
    for name in ("api_key", "x-goog-api-key", "botToken", "DISCORD_BOT_TOKEN", "password"):
        assert is_sensitive_field(name), name
    for name in ("tokens_in", "max_tokens", "maxTokens", "key_hint", "kms_key_id", "secret_arn",
                 "interaction_id", "monkey"):  # fmt: skip
        assert not is_sensitive_field(name), name


# --- exceptions, tracebacks and the logger ------------------------------------------------------


def raise_with(secret: str) -> None:
    raise ValueError(f"provider said: invalid key {secret}")


# A key shape inside a token that has its own shape: the outer token must still go whole.
KEY_INSIDE_A_TOKEN = st.one_of(
    st.builds(
        lambda user, ts, key: f"{b64(user.encode())}.{ts}.{key}",
        snowflake,
        chars(URLSAFE, 6, 6),
        st.one_of(openai_key, elevenlabs_key, google_key),
    ),
    st.builds(
        lambda a, key, c: f"eyJ{a}.eyJ{key}.{c}",
        chars(URLSAFE, 10, 20),
        openai_key,
        chars(URLSAFE, 20, 40),
    ),
    st.builds(
        lambda app, key, rest: b64(f"interaction:{app}:".encode()) + key + "+/" + rest,
        snowflake,
        openai_key,
        chars(ALNUM, 20, 40),
    ),
)


@PROPERTY
@given(before=st.sampled_from(["", " ", "key ", "x"]), secret=KEY_INSIDE_A_TOKEN)
def test_a_key_shape_inside_a_token_does_not_split_it(before, secret):
    assert redact_text(f"{before}{secret} done") == f"{before}{REDACTED} done"


@PROPERTY
@given(secret=SHAPED)
@example(secret="MTAwMDAwMDAwMDAwMDAwMDA.000000.00000sk-0000000000000000000")  # found by hypothesis
def test_exception_objects_are_redacted(secret):
    try:
        raise_with(secret)
    except ValueError as exc:
        out = redact({"error": exc, "args": exc.args})
    assert not leaked(secret, json.dumps(out))
    assert out["error"] == f"provider said: invalid key {REDACTED}"


_logger_counter = iter(range(10**9))
_RECORD_FIELD_NAMES = [
    "level",
    "location",
    "timestamp",
    "service",
    "message",
    "exception",
    "exception_name",
    "stack_trace",
    "request",
    "url",
    "tokens_in",
    "note",
    "headers",
    "Authorization",
]


def json_logger() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    logger = get_logger(
        f"test-redaction-{next(_logger_counter)}", logger_handler=logging.StreamHandler(stream)
    )
    return logger, stream


@settings(max_examples=40, deadline=None)
@given(secret=SHAPED, pair=CONTEXTUAL)
def test_logger_output_holds_no_secret_in_message_extras_or_traceback(secret, pair):
    # Generated values that overlap each other would make the leak check ambiguous.
    assume(secret[-12:] not in pair[0] and pair[1] not in secret)
    assume(pair[1][-12:] not in pair[0].replace(pair[1], ""))
    # A "secret" that is part of the record's own field names would count as leaked.
    assume(not any(pair[1] in name for name in _RECORD_FIELD_NAMES))
    logger, stream = json_logger()
    try:
        raise_with(secret)
    except ValueError:
        logger.exception(
            "call failed for %s", pair[0], extra={"request": {"url": pair[0], "tokens_in": 7}}
        )
    logger.info({"note": secret, "headers": {"Authorization": f"Bearer {secret}"}})
    output = stream.getvalue()
    lines = [json.loads(line) for line in output.splitlines()]
    assert len(lines) == 2
    assert not leaked(secret, output) and not leaked(pair[1], output)
    assert lines[0]["request"]["tokens_in"] == 7
    assert "ValueError" in lines[0]["exception"] and "Traceback" in lines[0]["exception"]
    assert lines[1]["message"]["headers"] == {"Authorization": REDACTED}


def test_third_party_records_are_scrubbed_when_made(caplog):
    install_redaction()
    token = "aW50ZXJhY3Rpb246" + "Q" * 150
    url = f"https://discord.com/api/v10/webhooks/1234567890123/{token}/messages/@original"
    with caplog.at_level(logging.INFO, logger="httpx"):
        logging.getLogger("httpx").info('HTTP Request: %s %s "%s"', "PATCH", url, "HTTP/1.1 200 OK")
        try:
            raise RuntimeError(f"failed {url}")
        except RuntimeError:
            logging.getLogger("httpx").exception("boom")
    assert token not in caplog.text
    (first, second) = caplog.records
    assert first.getMessage() == (
        "HTTP Request: PATCH https://discord.com/api/v10/webhooks/1234567890123/[REDACTED]"
        '/messages/@original "HTTP/1.1 200 OK"'
    )
    assert token not in second.exc_text and "RuntimeError" in second.exc_text


def test_wire_loggers_stay_at_info():
    install_redaction()
    for name in ("botocore", "urllib3", "httpcore"):
        assert logging.getLogger(name).level >= logging.INFO


# --- cost -----------------------------------------------------------------------------------------


def test_typical_line_is_cheap():
    line = {
        "level": "INFO", "location": "handle:88", "message": "job done for 123456789012345678",
        "timestamp": "2026-11-26 07:43:34,123+0000", "service": "generate",
        "interaction_id": "123456789012345678", "tokens_in": 12, "model": "openai/gpt-4o-mini",
    }  # fmt: skip
    start = time.perf_counter()
    for _ in range(2000):
        redact(line)
    per_line = (time.perf_counter() - start) / 2000
    assert per_line < 0.0005  # measured ~17 µs; the bound only catches a pathological regex


@pytest.mark.parametrize(
    "text",
    [
        "a_" * 20000 + "=",
        "token" * 10000,
        "://a:" + "b" * 50000,
        "://a:" + "@b" * 25000,
        "M" * 50000 + ".",
        'password: "' + "x" * 50000,
        "Bearer " * 10000,
        "sk-" * 20000,
        str(uuid.uuid4()) * 2000,
    ],
)
def test_no_catastrophic_backtracking(text):
    start = time.perf_counter()
    redact_text(text)
    assert time.perf_counter() - start < 1.0
