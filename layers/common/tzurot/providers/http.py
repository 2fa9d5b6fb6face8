"""The one httpx client per process, and the translation of HTTP failures into provider errors.

Every provider module sends through `ProviderHTTP.call`, which returns parsed JSON on success and
raises a `ProviderError` otherwise. The status code picks the default error type; the provider
module only contributes `parse_error`, which reads its own error body to refine that choice
(OpenAI's insufficient_quota 429, Gemini's API_KEY_INVALID 400, ...).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from tzurot.logs import get_logger
from tzurot.providers.errors import (
    BadRequest,
    InvalidKey,
    MissingPermissions,
    ProviderError,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
)
from tzurot.redaction import REDACTED, redact

# A chat may legitimately take a minute (long answers, reasoning models); a key check should not.
CHAT_TIMEOUT = httpx.Timeout(60.0, connect=5.0)
CHECK_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
# An image takes 5-60 s, GPT image models at high quality up to ~2 minutes; stay inside the
# image function's 120 s timeout so a slow provider fails as a retryable error, not a kill.
IMAGE_TIMEOUT = httpx.Timeout(100.0, connect=5.0)
DETAIL_LIMIT = 300
USER_AGENT = "tzurot-serverless/0.1 (+httpx)"

logger = get_logger("tzurot.providers")

_client: httpx.Client | None = None
_client_lock = threading.Lock()


def shared_client() -> httpx.Client:
    """The process-wide client: one connection pool reused across Lambda invocations."""
    global _client
    with _client_lock:
        if _client is None or _client.is_closed:
            _client = httpx.Client(
                timeout=CHAT_TIMEOUT,
                headers={"user-agent": USER_AGENT},
                limits=httpx.Limits(max_connections=50, max_keepalive_connections=10),
            )
        return _client


def close_shared_client() -> None:
    global _client
    with _client_lock:
        if _client is not None:
            _client.close()
            _client = None


@dataclass(frozen=True)
class ErrorInfo:
    """What a provider module reads from an error body. None fields fall back to the defaults."""

    kind: type[ProviderError] | None = None
    detail: str | None = None
    retry_after: float | None = None


ErrorParser = Callable[[int, Any], ErrorInfo]


def class_for_status(status: int) -> type[ProviderError]:
    """The error type a status code means when the body says nothing more specific."""
    if status == 401:
        return InvalidKey
    if status == 402:
        return QuotaExhausted
    if status == 403:
        return MissingPermissions
    if status == 429:
        return RateLimited
    if status == 408 or status >= 500:
        return ProviderUnavailable
    if 400 <= status < 500:
        return BadRequest
    return ProviderUnavailable


# Providers echo a wrong key half-masked ("sk-ab********wxyz"): drop any such token entirely.
_MASKED = re.compile(r"\S*\*{4,}\S*")
_SPACES = re.compile(r"\s+")


def scrub(detail: Any, api_key: str | None) -> str | None:
    """A provider's message made fit for logs: no key (whole, masked, or any 4+ character
    fragment of it in any encoding, tzurot.key_fragments), one short line. Replies to users
    never show it (tzurot.commands.errors builds them from the error's class)."""
    from tzurot.key_fragments import KeyFragments

    if not isinstance(detail, str) or not detail.strip():
        return None
    if api_key:
        detail = KeyFragments([api_key]).scrub(detail.replace(api_key, REDACTED))
    detail = redact(_MASKED.sub(REDACTED, detail))
    detail = _SPACES.sub(" ", detail).strip()
    if len(detail) > DETAIL_LIMIT:
        detail = detail[: DETAIL_LIMIT - 1].rstrip() + "…"
    return detail


def retry_after_seconds(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Retry-After as seconds (delta or HTTP date), or OpenAI's retry-after-ms."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(float(millis) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return max(when - (time.time() if now is None else now), 0.0)


_NOT_JSON = object()


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return _NOT_JSON


class ProviderClient:
    """What every provider client shares: a label for messages and one ProviderHTTP, whose
    error reading is the client's own `parse_error`."""

    label: str

    def __init__(
        self,
        base_url: str,
        *,
        timeout: httpx.Timeout | float | None = None,
        client: httpx.Client | None = None,
    ):
        self.http = ProviderHTTP(
            self.label, base_url, parse_error=self.parse_error, timeout=timeout, client=client
        )

    def parse_error(self, status: int, body: Any) -> ErrorInfo:
        raise NotImplementedError


class ProviderHTTP:
    """One provider's base URL, timeouts and error reading, over the shared client."""

    def __init__(
        self,
        label: str,
        base_url: str,
        *,
        parse_error: ErrorParser,
        timeout: httpx.Timeout | float | None = None,
        client: httpx.Client | None = None,
    ):
        self.label = label
        self.base_url = base_url.rstrip("/")
        self.parse_error = parse_error
        self.timeout = timeout
        self._client = client

    @property
    def client(self) -> httpx.Client:
        return self._client or shared_client()

    def call(
        self, method: str, path: str, *, expected: tuple[int, ...] = (), **request: Any
    ) -> Any:
        """Send one request (`request`: as for `send`); return the parsed JSON body of a 2xx,
        raise ProviderError else.

        `expected` lists error statuses that are the answer the caller is after (a probe's
        deliberate 422): their body is returned (None when not JSON), nothing is logged."""
        response = self.send(method, path, expected=expected, **request)
        body = _json(response)
        if response.status_code in expected:
            return None if body is _NOT_JSON else body
        if body is _NOT_JSON:
            raise self.fail(
                ProviderUnavailable(
                    provider=self.label,
                    status=response.status_code,
                    detail="sent a response that is not JSON",
                )
            )
        return body

    def send(
        self,
        method: str,
        path: str,
        *,
        api_key: str,
        headers: Mapping[str, str],
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        timeout: httpx.Timeout | float | None = None,
        expected: tuple[int, ...] = (),
    ) -> httpx.Response:
        """Send one request; return the response when it is a 2xx (or in `expected`), raise
        ProviderError else. For answers that are not JSON (audio); `call` reads JSON."""
        with self.transport_errors("could not be reached"):
            response = self.client.request(
                method,
                self.base_url + path,
                headers=headers,
                json=json,
                params=params,
                timeout=self.timeout or timeout or CHAT_TIMEOUT,
            )
        if response.is_success or response.status_code in expected:
            return response
        body = _json(response)
        raise self.error(
            response.status_code,
            None if body is _NOT_JSON else body,
            api_key,
            headers=response.headers,
        )

    @contextmanager
    def transport_errors(self, detail: str) -> Iterator[None]:
        """httpx failures inside become ProviderUnavailable ("timed out", else `detail`)."""
        try:
            yield
        except httpx.TimeoutException:
            raise self.fail(ProviderUnavailable(provider=self.label, detail="timed out")) from None
        except httpx.HTTPError as exc:
            # The exception text may carry the URL; the category is all the user needs.
            logger.info("provider transport error", extra={"error_type": type(exc).__name__})
            raise self.fail(ProviderUnavailable(provider=self.label, detail=detail)) from None

    def error(
        self,
        status: int,
        body: Any,
        api_key: str | None,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> ProviderError:
        """The error for a failed response (also used for errors that arrive inside a 200)."""
        info = self.parse_error(status, body)
        kind = info.kind or class_for_status(status)
        fields: dict[str, Any] = {
            "provider": self.label,
            "status": status,
            "detail": scrub(info.detail, api_key),
        }
        if issubclass(kind, RateLimited):
            hint = retry_after_seconds(headers or {})
            fields["retry_after"] = hint if hint is not None else info.retry_after
        return self.fail(kind(**fields))

    def fail(self, error: ProviderError) -> ProviderError:
        """Log a failure (category and status only) and hand the error back to raise."""
        logger.warning(
            "provider call failed",
            extra={"provider": self.label, "status": error.status, "category": error.category},
        )
        return error


def put(body: dict[str, Any], key: str, value: Any) -> None:
    """Set `key` only when there is a value: None means "leave the provider's default"."""
    if value is not None:
        body[key] = value


def error_message(body: Any, *path: str) -> str | None:
    """The string at `path` inside a JSON body, or None (error bodies are not trusted)."""
    node = body
    for part in path:
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node if isinstance(node, str) else None
