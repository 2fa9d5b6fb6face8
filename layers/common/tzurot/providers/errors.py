"""What can go wrong when calling an AI provider, as types callers branch on.

Every provider call raises one of these (never an httpx or JSON error). The worker decides from
the type alone: `InvalidKey` marks a user's key inactive, `RateLimited` and `ProviderUnavailable`
may be retried, the rest are told to the user. Messages are safe to show: they name the provider
and may carry the provider's own short explanation, scrubbed of the key; never a response body.
"""

from __future__ import annotations

from typing import ClassVar

from tzurot.errors import TzurotError


class ProviderError(TzurotError):
    """A provider call failed. `category` is a stable machine name; `str(err)` is user-safe."""

    category: ClassVar[str] = "provider_error"
    retryable: ClassVar[bool] = False
    summary: ClassVar[str] = "returned an error"

    def __init__(
        self,
        message: str | None = None,
        *,
        provider: str | None = None,
        status: int | None = None,
        detail: str | None = None,
    ):
        self.provider = provider
        self.status = status
        self.detail = detail
        super().__init__(message or self._compose())

    def _compose(self) -> str:
        text = f"{self.provider or 'The provider'} {self.summary}"
        return f"{text}: {self.detail}" if self.detail else text


class InvalidKey(ProviderError):
    category = "invalid_key"
    summary = "rejected the API key (invalid, revoked or expired)"

    def _compose(self) -> str:
        # The provider's words add nothing here and may echo part of the key: keep it fixed.
        return f"{self.provider or 'The provider'} {self.summary}"


class QuotaExhausted(ProviderError):
    category = "quota_exhausted"
    summary = "says the account is out of quota or credits"


class MissingPermissions(ProviderError):
    category = "missing_permissions"
    summary = "says the API key lacks a permission this needs"


class RateLimited(ProviderError):
    category = "rate_limited"
    retryable = True
    summary = "is rate limiting requests"

    def __init__(self, message: str | None = None, *, retry_after: float | None = None, **kw):
        self.retry_after = retry_after
        super().__init__(message, **kw)

    def _compose(self) -> str:
        text = super()._compose()
        if self.retry_after is not None:
            return f"{text} (retry after {self.retry_after:g} s)"
        return text


class ContentBlocked(ProviderError):
    category = "content_blocked"
    summary = "blocked the content"


class BadRequest(ProviderError):
    category = "bad_request"
    summary = "rejected the request"


class ProviderUnavailable(ProviderError):
    """Transient: 5xx, overload, timeouts, connection failures. Worth retrying later."""

    category = "unavailable"
    retryable = True
    summary = "is unreachable or failing right now"


class UnreadableAnswer(ProviderError):
    """A successful (paid) answer of a shape this package cannot read. Not retried: another
    call would be paid again; the call is recorded with unknown counts."""

    category = "unreadable_answer"
    summary = "sent an answer that could not be read"


class UnknownProvider(TzurotError):
    """A provider name this package does not know (not a failure of any provider)."""
