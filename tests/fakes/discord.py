"""The fake Discord for tests: `tzurot.dev.discord_sink` served on loopback, plus scripting.

The sink is the one implementation of Discord's endpoints; this module only adds what tests need
and the dev sink must not do: scripted failures (the defer race's 404s, 429s, expired tokens,
outages), through the sink's `intercept` hook, so scripted answers are recorded like real ones.

    with fake_discord() as discord:
        discord.fail_next(r"PATCH /webhooks/", status=404, times=2)
        rest = DiscordRest(discord.base_url, discord.application_id, sleep=lambda s: None)
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from starlette.responses import JSONResponse, Response

from tests.fakes.server import serve
from tzurot.dev.discord_sink import API_PREFIX, DiscordSink, RecordedCall

APPLICATION_ID = "111111111111111111"
BOT_TOKEN = "MTExMTExMTExMTExMTExMTEx.GabcDE.fake-bot-token-0123456789abcdefghij"

# Discord's bodies for the statuses tests script most (the spec's Error / RatelimitedResponse).
DEFAULT_BODIES = {
    400: {"message": "400: Bad Request", "code": 0},
    401: {"message": "401: Unauthorized", "code": 0},
    403: {"message": "Missing Access", "code": 50001},
    404: {"message": "Unknown Webhook", "code": 10015},
    500: {"message": "500: Internal Server Error", "code": 0},
    502: {"message": "502: Bad Gateway", "code": 0},
    503: {"message": "503: Service Unavailable", "code": 0},
}


@dataclass
class _Rule:
    pattern: re.Pattern
    respond: Response
    times: float  # math.inf: until reset
    after: int = 0  # matching calls to let through before the rule applies
    matched: int = field(default=0)
    passed: int = field(default=0)


class FakeDiscord:
    """Scripts failures on top of a sink. Rules apply in the order added, each `times` times,
    to calls whose "METHOD /path" (path below /api/v10, tokens included) matches a regex."""

    def __init__(self, sink: DiscordSink, base_url: str = ""):
        self.sink = sink
        self.base_url = base_url  # what DISCORD_API_BASE_URL should be
        self.application_id = sink.application_id
        self._rules: list[_Rule] = []
        # enforce_rate_limit: (pattern, limit, window seconds, path -> times of recent calls)
        self._buckets: list[tuple[re.Pattern, int, float, dict[str, list[float]]]] = []
        self._lock = threading.Lock()
        sink.intercept = self._intercept

    @property
    def calls(self) -> list[RecordedCall]:
        return self.sink.calls

    def reset(self) -> None:
        with self._lock:
            self._rules.clear()
            self._buckets.clear()
        self.sink.reset()

    def fail_next(
        self,
        pattern: str = ".*",
        *,
        status: int = 404,
        times: int = 1,
        after: int = 0,
        body: dict | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """The next `times` matching calls get `status` with Discord's body for it; with
        `after`, only once that many matching calls went through (e.g. the 2nd followup)."""
        payload = body if body is not None else DEFAULT_BODIES.get(status, {"code": 0})
        response = JSONResponse(payload, status_code=status, headers=headers)
        self._add(pattern, response, times, after)

    def rate_limit_next(
        self, retry_after: float = 0.2, *, pattern: str = ".*", times: int = 1, is_global=False
    ) -> None:
        """The next `times` matching calls get 429 as Discord sends it: the float in the body,
        the rounded-up seconds and bucket state in the headers."""
        self._add(pattern, _rate_limited_response(retry_after, is_global=is_global), times)

    def enforce_rate_limit(self, pattern: str, *, limit: int = 5, per: float = 5.0) -> None:
        """From now on, calls matching `pattern` share a bucket per path (an interaction's
        webhook message, a channel's message): more than `limit` within `per` seconds get 429
        as Discord sends it, with `retry_after` until the oldest call leaves the window. A
        refused call does not count, as on Discord."""
        with self._lock:
            self._buckets.append((re.compile(pattern), limit, per, {}))

    def _rate_limited(self, call: RecordedCall) -> Response | None:
        now = time.monotonic()
        for pattern, limit, per, seen in self._buckets:
            if not pattern.search(call.line):
                continue
            window = [at for at in seen.get(call.path, []) if now - at < per]
            if len(window) >= limit:
                seen[call.path] = window
                return _rate_limited_response(per - (now - window[0]), is_global=False)
            seen[call.path] = [*window, now]
        return None

    def expire_token(self, token: str) -> None:
        """Every later call with this interaction token gets Discord's 401 for it."""
        body = {"message": "Invalid Webhook Token", "code": 50027}
        self._add(re.escape(f"/{token}"), JSONResponse(body, status_code=401), math.inf)

    def _add(self, pattern: str, response: Response, times: float, after: int = 0) -> None:
        with self._lock:
            self._rules.append(_Rule(re.compile(pattern), response, times, after))

    def _intercept(self, call: RecordedCall) -> Response | None:
        with self._lock:
            limited = self._rate_limited(call)
            if limited is not None:
                return limited
            for rule in self._rules:
                if rule.matched < rule.times and rule.pattern.search(call.line):
                    if rule.passed < rule.after:
                        rule.passed += 1
                        continue
                    rule.matched += 1
                    return rule.respond
        return None


def _rate_limited_response(retry_after: float, *, is_global: bool) -> Response:
    """429 as Discord sends it: the float in the body, the rounded-up seconds and the bucket
    state in the headers."""
    body = {
        "message": "You are being rate limited.",
        "retry_after": round(retry_after, 3),
        "global": is_global,
        "code": 0,
    }
    headers = {
        "Retry-After": str(math.ceil(retry_after)),
        "X-RateLimit-Limit": "5",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
        "X-RateLimit-Reset-After": f"{retry_after:.3f}",
        "X-RateLimit-Bucket": "fake-bucket",
        "X-RateLimit-Scope": "global" if is_global else "user",
    }
    if is_global:
        headers["X-RateLimit-Global"] = "true"
    return JSONResponse(body, status_code=429, headers=headers)


@contextmanager
def fake_discord(
    application_id: str = APPLICATION_ID, bot_token: str | None = BOT_TOKEN, echo=None
) -> Iterator[FakeDiscord]:
    """A fake Discord on an ephemeral loopback port; `.base_url` includes /api/v10."""
    sink = DiscordSink(application_id, bot_token=bot_token, echo=echo)
    with serve(sink.app) as root:
        yield FakeDiscord(sink, root + API_PREFIX)
