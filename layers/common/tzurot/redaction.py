"""Removes secrets from anything about to be logged.

`redact(value)` returns a copy of a log payload (str, dict, list, exception, any object) with
secrets replaced by "[REDACTED]"; `redact_text(text)` does it for one string. What is found:

- provider keys by shape: OpenAI `sk-…`/`sk-proj-…`, Anthropic `sk-ant-…`, OpenRouter `sk-or-…`,
  ElevenLabs `sk_…`, Google `AIza…`; JSON web tokens;
- Discord bot tokens (base64 user id . timestamp . hmac) and interaction tokens (standalone
  `aW50ZXJhY3Rpb246…` strings, and the token segment of `/webhooks/{id}/{token}` and
  `/interactions/{id}/{token}` URLs);
- `Bearer …` values anywhere;
- values after a sensitive name in text: `Authorization`, `x-api-key`, `xi-api-key`,
  `x-goog-api-key`, `key=`, `api_key`, `token`, `secret`, `password`, `plaintext`… followed by
  `:` or `=` (headers, query strings, JSON, Python reprs, conninfo strings);
- passwords in URLs (`postgresql://user:PASSWORD@host`);
- any unbroken run of 150+ token characters (opaque tokens we have no shape for);
- in dicts, every string value of a field whose name ends in a sensitive word (api_key, token,
  interaction_token, secret, password, authorization…). Numbers are kept: token COUNTS
  (`tokens_in`, `max_tokens`, even a numeric `token`) survive.

Over-redaction is preferred to a leak: a 16+ character run after `sk-` is removed even when it
was prose. Cost: a few microseconds per short string (precompiled, one pass per shape).
`install_redaction()` extends this to every stdlib log record in the process
(third-party libraries included); `tzurot.logs` and `tzurot.crypto` call it.
"""

from __future__ import annotations

import logging
import re
from typing import Any

REDACTED = "[REDACTED]"

# Names whose values are secrets: matched as the last segment of a field name (`bot_token`,
# `x-goog-api-key`, `client_secret`), never as a substring of a word (`tokens_in`, `monkey`).
_SECRET_WORDS = (
    r"api[_-]?key|apikey|key|secret|password|passwd|pwd|pgpassword|token|authorization"
    r"|plaintext|credentials?|cookie"
)
# A segment starts the name, follows a separator, or is a camelCase hump (`botToken`).
_SEGMENT_START = r"(?:(?<![A-Za-z0-9])|(?<=[a-z0-9])(?=[A-Z]))"
_SENSITIVE_FIELD = re.compile(rf"{_SEGMENT_START}(?i:{_SECRET_WORDS})$")

_TOKEN_CHARS = r"A-Za-z0-9_\-"
_SCHEME = re.compile(r"(?i)(?:bearer|bot|basic|token)\s+")


def _keep_prefix(match: re.Match[str]) -> str:
    return match["pre"] + REDACTED


def _named_value(match: re.Match[str]) -> str:
    """Redact the value after a sensitive name, keeping its quotes and auth scheme."""
    pre, value = match["pre"], match["val"]
    if value.startswith('\\"'):
        return f'{pre}\\"{REDACTED}\\"'
    opener = value[:2] if value[:1] == "b" and value[1:2] in ("'", '"') else value[:1]
    if opener[-1:] in ("'", '"') and len(value) > len(opener) and value[-1] == opener[-1]:
        return f"{pre}{opener}{REDACTED}{opener[-1]}"
    quote = value[:1] if value[:1] in ("'", '"') else ""  # an unclosed quote stays as it was
    scheme = _SCHEME.match(value, len(quote))
    return pre + quote + (scheme.group(0) if scheme else "") + REDACTED


def _whole(match: re.Match[str]) -> str:
    return REDACTED


# Separate passes, each starting with something cheap to find: measurably faster in CPython's
# engine than one alternation tried at every position. Order matters: a header's scheme is kept
# before the bearer pass sees it, and the tokens that can CONTAIN a key shape (bot tokens, JWTs,
# interaction tokens: `…sk-…` may occur inside them) go before the key shapes, or removing the
# inner `sk-…` would break the outer shape and leave the rest of the token in the line.
_PASSES: tuple[tuple[re.Pattern[str], object], ...] = (
    # scheme://user:PASSWORD@host (userinfo can hold no '/', '?' or '#'). Up to the LAST '@'
    # before the host: a password with an unescaped '@' (`p@ss`) is removed whole.
    (
        re.compile(r"(?P<pre>://[^:/?#\s@'\"]*:)[^\s'\"/?#]+(?=@[^@\s'\"/?#]*(?:[\s'\"/?#]|$))"),
        _keep_prefix,
    ),
    # Discord webhook / interaction callback URLs: the segment after the id is a token
    (re.compile(r"(?P<pre>/(?:webhooks|interactions)/\d{5,25}/)[^/\s?#'\"]+"), _keep_prefix),
    # name [:=] value: headers, query strings, JSON, Python reprs, conninfo strings. The name
    # must start a segment (`bot_token`, `x-api-key`, `botToken`), so `tokens_in=3` and
    # `monkey=1` survive.
    (
        re.compile(
            rf"(?P<pre>{_SEGMENT_START}(?i:{_SECRET_WORDS})\\?[\"']?\s*[:=]\s*)"
            r"(?P<val>"
            r"\\\"(?:[^\"\\]|\\[^\"])*\\\""  # \"escaped json\"
            r"|b?\"(?:[^\"\\\n]|\\.)*\"|b?'(?:[^'\\\n]|\\.)*'"  # "quoted", 'quoted'
            r"|[\"']?(?i:(?:bearer|bot|basic|token)\s+)?[^\s\"',;&}{\[\])]+)"  # bare
        ),
        _named_value,
    ),
    (re.compile(r"(?P<pre>[Bb][Ee][Aa][Rr][Ee][Rr]\s+)[A-Za-z0-9._~+/=\-]+"), _keep_prefix),
    # Discord bot token: base64(snowflake) starts with M, N or O; then timestamp and hmac
    (
        re.compile(
            rf"[MNO][{_TOKEN_CHARS}]{{20,30}}\.[{_TOKEN_CHARS}]{{4,8}}\.[{_TOKEN_CHARS}]{{20,}}"
        ),
        _whole,
    ),
    # JSON web tokens
    (
        re.compile(rf"eyJ[{_TOKEN_CHARS}]{{5,}}\.eyJ[{_TOKEN_CHARS}]{{5,}}\.[{_TOKEN_CHARS}]*"),
        _whole,
    ),
    # interaction token: base64("interaction:...")
    (re.compile(r"aW50ZXJhY3Rpb246[A-Za-z0-9_\-+/=.]*"), _whole),
    # provider keys by shape
    (
        re.compile(
            rf"sk-[{_TOKEN_CHARS}]{{16,}}|sk_[A-Za-z0-9]{{16,}}|AIza[{_TOKEN_CHARS}]{{30,}}"
        ),
        _whole,
    ),
    # any opaque run long enough to be a token we have no shape for
    (re.compile(rf"(?<![{_TOKEN_CHARS}])[{_TOKEN_CHARS}]{{150,}}"), _whole),
)


_DOUBLE = REDACTED * 2
_REPEATED = re.compile(rf"(?:{re.escape(REDACTED)}){{2,}}")


def redact_text(text: str) -> str:
    """`text` with every secret the patterns know replaced by [REDACTED]."""
    if len(text) < 5:  # shorter than the shortest match ("pwd=x")
        return text
    for pattern, replace in _PASSES:
        text = pattern.sub(replace, text)
    if _DOUBLE in text:  # a secret found by two passes (a key inside a JWT): one marker
        text = _REPEATED.sub(REDACTED, text)
    return text


def is_sensitive_field(name: str) -> bool:
    """True for field names whose string values are secrets (api_key, bot_token, password...)."""
    return bool(_SENSITIVE_FIELD.search(name))


def redact(value: Any) -> Any:
    """A redacted copy of a log payload; containers keep their type, unknown objects become text."""
    if isinstance(value, str):
        return redact_text(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, dict):
        return {_redact_key(k): _redact_field(k, v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return type(value)(redact(v) for v in value)
    if isinstance(value, bytes | bytearray):
        return redact_text(bytes(value).decode("utf-8", "replace"))
    # Exceptions, dataclasses, anything else: the serializer would str() it; do it first.
    return redact_text(str(value))


def _redact_key(key: Any) -> Any:
    # No secret shape fits in fewer than 16 characters; most keys are short names.
    return redact_text(key) if isinstance(key, str) and len(key) >= 16 else key


def _redact_field(name: Any, value: Any) -> Any:
    if (
        isinstance(name, str)
        and isinstance(value, str | bytes)
        and value
        and is_sensitive_field(name)
    ):
        return REDACTED
    return redact(value)


# --- every log record in the process ------------------------------------------------------------

# Loggers whose DEBUG output is wire-level (request and response bodies, e.g. a KMS Decrypt
# result holds the master key): never below INFO, whatever the root level says.
WIRE_LOGGERS = ("botocore", "boto3", "urllib3", "s3transfer", "httpcore")

_installed = False


def scrub_record(record: logging.LogRecord) -> None:
    """Redact a record's message, arguments, exception text and stack in place."""
    if record.args:
        try:
            text = record.getMessage()
        except Exception:  # a bad format string: keep the pieces, redacted
            text = f"{record.msg} {record.args!r}"
        record.msg, record.args = redact_text(text), None
    elif isinstance(record.msg, str):
        record.msg = redact_text(record.msg)
    else:
        record.msg = redact(record.msg)  # powertools accepts dict messages: keep them dicts
    if record.exc_info and not record.exc_text:
        record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = redact_text(record.stack_info)


def install_redaction() -> None:
    """Scrub every log record made in this process, and keep wire loggers at INFO or above.

    A record factory sees records from every logger (httpx's "HTTP Request: POST
    .../webhooks/{id}/{token}" line, botocore, ours), before any handler, formatter or test
    capture. Idempotent. `extra=` fields are added after the factory runs; the tzurot formatter
    redacts them (and everything else) again when it serializes.
    """
    global _installed
    if _installed:
        return
    _installed = True
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        scrub_record(record)
        return record

    logging.setLogRecordFactory(factory)
    for name in WIRE_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level < logging.INFO:
            logger.setLevel(logging.INFO)
