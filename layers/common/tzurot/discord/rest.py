"""The Discord REST calls tzurot makes: answering interactions, DMs, linked messages, commands.

Workers answer a deferred interaction by editing its original message or posting followups
through the interaction webhook (the interaction token in the URL is the credential, valid for
15 minutes). The bot token (`Authorization: Bot ...`) is used for DMs, fetching a message a user
linked, and command sync.

Policy (docs/discord.md has the long form):
- 404 on an interaction webhook is retried for `max_404_wait` seconds: the worker can start
  before Discord has registered the defer the interactions function returned.
- 429 waits `retry_after` (body, else the Retry-After header) and retries, unless the total wait
  for this call would exceed `max_rate_limit_wait`; then DiscordRateLimited (callers requeue).
- 401 stops at once (an expired interaction token or a bad bot token cannot get better).
- 5xx and transport failures raise DiscordUnavailable without retrying here: a POST that
  failed mid-way may still have posted, so only the caller knows whether repeating is safe.
- Tokens never appear in exception messages or logs: errors name the route template
  (`PATCH /webhooks/{application_id}/{interaction_token}/messages/@original`), not the URL.

Messages default to `allowed_mentions: {"parse": []}`: AI text must never ping @everyone, a role
or a user. A caller that really means to mention someone passes its own `allowed_mentions`.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import tzurot
from tzurot.errors import TzurotError
from tzurot.logs import get_logger

if TYPE_CHECKING:
    import httpx

    from tzurot.config import Settings

# Discord asks for this exact User-Agent shape from bots.
USER_AGENT = f"DiscordBot (https://github.com/tzurot/tzurot-serverless, {tzurot.__version__})"
# Pass as (or inside) a payload's allowed_mentions to make a message ping nobody.
NO_MENTIONS: dict[str, list] = {"parse": []}
REDACTED = "[REDACTED]"
# However short each wait, a call that keeps getting 429 stops after this many.
MAX_RATE_LIMIT_RETRIES = 5

_log = get_logger("tzurot.discord")


# --- errors ---------------------------------------------------------------------------------


class DiscordError(TzurotError):
    """A Discord REST call failed. `status` is the HTTP status (None: no response) and `code`
    Discord's JSON error code (e.g. 10015 Unknown Webhook, 50027 Invalid Webhook Token)."""

    def __init__(self, message: str, *, status: int | None = None, code: int | None = None):
        super().__init__(message)
        self.status = status
        self.code = code


class DiscordUnauthorized(DiscordError):
    """401: the interaction token expired (or was never valid), or the bot token is wrong or
    missing. Retrying cannot help; stop."""


class DiscordNotFound(DiscordError):
    """404 after the retry window (interaction webhooks) or at once (everything else)."""


class DiscordRateLimited(DiscordError):
    """429 whose wait would exceed the cap; `retry_after` says when trying again makes sense."""

    def __init__(self, message: str, *, retry_after: float, is_global: bool, **kwargs):
        super().__init__(message, status=429, **kwargs)
        self.retry_after = retry_after
        self.is_global = is_global


class DiscordUnavailable(DiscordError):
    """5xx, timeout or connection failure: Discord may be fine a little later (retryable)."""


class DiscordBadRequest(DiscordError):
    """Discord refused the request itself (400 and other 4xx). `errors` holds Discord's field
    errors for 50035 Invalid Form Body, e.g. {"content": {"_errors": [...]}}."""

    def __init__(self, message: str, *, errors: dict | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.errors = errors or {}


class DiscordForbidden(DiscordBadRequest):
    """403, e.g. 50007 Cannot send messages to this user (DMs closed) or 50001 Missing Access."""


# --- files and payloads ---------------------------------------------------------------------


@dataclass(frozen=True)
class DiscordFile:
    """A file to attach; sent as the multipart part `files[n]`."""

    filename: str
    content: bytes = field(repr=False)
    content_type: str = "application/octet-stream"
    description: str | None = None  # alt text shown by Discord


def message_payload(payload: dict, files: list[DiscordFile] | None = None) -> dict:
    """The JSON body Discord gets: `payload` plus the no-pings default and, with files, an
    `attachments` entry whose `id` is the index n (as a snowflake string, per the spec) of each
    `files[n]` part: Discord matches uploads to metadata that way. Entries the caller already
    gave for an index are kept."""
    body = dict(payload)
    body.setdefault("allowed_mentions", NO_MENTIONS)
    if files:
        attachments = list(body.get("attachments") or [])
        given = {str(item.get("id")) for item in attachments if isinstance(item, dict)}
        for index, file in enumerate(files):
            if str(index) not in given:
                entry: dict[str, Any] = {"id": str(index), "filename": file.filename}
                if file.description:
                    entry["description"] = file.description
                attachments.append(entry)
        body["attachments"] = attachments
    return body


# --- token hygiene --------------------------------------------------------------------------

# httpx logs every request URL at INFO; interaction webhook URLs carry the token.
_TOKEN_IN_URL = re.compile(r"(/(?:webhooks|interactions)/\d+/)[^/?#\s\"']+")


class _WebhookTokenFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = _TOKEN_IN_URL.sub(rf"\g<1>{REDACTED}", message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, ()
        return True


logging.getLogger("httpx").addFilter(_WebhookTokenFilter())


def _scrub(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return _TOKEN_IN_URL.sub(rf"\g<1>{REDACTED}", text)


# --- the shared HTTP client -----------------------------------------------------------------

_client: httpx.Client | None = None
_client_lock = threading.Lock()


def shared_client() -> httpx.Client:
    """One httpx client per process (per Lambda container): keeps the TLS connection to Discord
    warm between jobs. Uploads get a longer write timeout than the rest."""
    global _client
    with _client_lock:
        if _client is None:
            import httpx

            _client = httpx.Client(
                timeout=httpx.Timeout(connect=5.0, read=15.0, write=30.0, pool=5.0),
                headers={"User-Agent": USER_AGENT},
            )
        return _client


# --- the client -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Route:
    """One call: the template names it in errors and logs; `params` fill it in for the URL."""

    method: str
    template: str
    params: dict[str, str]
    bot_auth: bool = False
    retry_404: bool = False

    @property
    def label(self) -> str:
        return f"{self.method} {self.template}"

    def path(self) -> str:
        return self.template.format(**{k: quote(v, safe="") for k, v in self.params.items()})


_ORIGINAL = "/webhooks/{application_id}/{interaction_token}/messages/@original"
_FOLLOWUP = "/webhooks/{application_id}/{interaction_token}"
_DM_CHANNEL = "/users/@me/channels"
_CHANNEL_MESSAGES = "/channels/{channel_id}/messages"
_CHANNEL_MESSAGE = "/channels/{channel_id}/messages/{message_id}"
_CHANNEL = "/channels/{channel_id}"
_GUILD = "/guilds/{guild_id}"
_GUILD_MEMBER = "/guilds/{guild_id}/members/{user_id}"
_GLOBAL_COMMANDS = "/applications/{application_id}/commands"
_GUILD_COMMANDS = "/applications/{application_id}/guilds/{guild_id}/commands"


class DiscordRest:
    """Discord's REST API for one application. Thread-safe; cheap to create (the HTTP client is
    shared per process unless one is passed in)."""

    def __init__(
        self,
        base_url: str,
        application_id: str,
        bot_token: str | None = None,
        *,
        client: httpx.Client | None = None,
        max_404_wait: float = 5.0,
        max_rate_limit_wait: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.base_url = base_url.rstrip("/")
        self.application_id = str(application_id)
        self._bot_token = bot_token or None
        self._client = client
        self.max_404_wait = max_404_wait
        self.max_rate_limit_wait = max_rate_limit_wait
        self._sleep = sleep
        self._dm_channels: dict[str, str] = {}

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **kwargs) -> DiscordRest:
        from tzurot.config import ConfigError, Settings

        settings = settings or Settings.from_env()
        if not settings.discord_application_id:
            raise ConfigError("DISCORD_APPLICATION_ID is not set")
        return cls(
            settings.discord_api_base_url,
            settings.discord_application_id,
            settings.discord_bot_token,
            **kwargs,
        )

    def __repr__(self) -> str:
        return f"DiscordRest({self.base_url!r}, application_id={self.application_id!r})"

    @property
    def has_bot_token(self) -> bool:
        return self._bot_token is not None

    # interaction webhooks (no Authorization header: the token in the path is the credential)

    def edit_original(
        self, token: str, payload: dict, files: list[DiscordFile] | None = None
    ) -> dict:
        """Edit the deferred response (the "thinking..." message) of an interaction."""
        route = self._webhook_route("PATCH", _ORIGINAL, token)
        return self._request(route, body=message_payload(payload, files), files=files)

    def delete_original(self, token: str) -> None:
        """Delete the deferred response, e.g. to answer a publicly deferred command privately
        (an ephemeral followup cannot replace a public "thinking..." message)."""
        self._request(self._webhook_route("DELETE", _ORIGINAL, token))

    def create_followup(
        self, token: str, payload: dict, files: list[DiscordFile] | None = None
    ) -> dict:
        """Post another message answering the interaction (Discord always waits for followups,
        so the created message comes back)."""
        route = self._webhook_route("POST", _FOLLOWUP, token)
        return self._request(route, body=message_payload(payload, files), files=files)

    # bot-token calls

    def send_dm(self, user_id: str, payload: dict) -> dict:
        """Open (or reuse) the DM channel with a user and post `payload` there. DMs closed:
        DiscordForbidden with code 50007."""
        user_id = str(user_id)
        channel_id = self._dm_channels.get(user_id)
        if channel_id is None:
            route = self._bot_route("POST", _DM_CHANNEL)
            channel = self._request(route, body={"recipient_id": user_id})
            channel_id = self._dm_channels[user_id] = str(channel["id"])
        return self.create_message(channel_id, payload)

    def create_message(
        self, channel_id: str, payload: dict, files: list[DiscordFile] | None = None
    ) -> dict:
        """Post a message as the bot (a reply when `payload` has a message_reference)."""
        route = self._bot_route("POST", _CHANNEL_MESSAGES, channel_id=str(channel_id))
        return self._request(route, body=message_payload(payload, files), files=files)

    def edit_message(
        self,
        channel_id: str,
        message_id: str,
        payload: dict,
        files: list[DiscordFile] | None = None,
    ) -> dict:
        """Edit a message the bot posted."""
        route = self._bot_route(
            "PATCH", _CHANNEL_MESSAGE, channel_id=str(channel_id), message_id=str(message_id)
        )
        return self._request(route, body=message_payload(payload, files), files=files)

    def get_message(self, channel_id: str, message_id: str) -> dict:
        route = self._bot_route(
            "GET", _CHANNEL_MESSAGE, channel_id=str(channel_id), message_id=str(message_id)
        )
        return self._request(route)

    def get_channel(self, channel_id: str) -> dict:
        """A channel with its permission overwrites (or a thread, with its parent_id)."""
        return self._request(self._bot_route("GET", _CHANNEL, channel_id=str(channel_id)))

    def get_guild(self, guild_id: str) -> dict:
        """A guild with its roles and owner_id."""
        return self._request(self._bot_route("GET", _GUILD, guild_id=str(guild_id)))

    def get_member(self, guild_id: str, user_id: str) -> dict:
        """A guild member with their role ids."""
        route = self._bot_route("GET", _GUILD_MEMBER, guild_id=str(guild_id), user_id=str(user_id))
        return self._request(route)

    def get_commands(self, guild_id: str | None = None) -> list[dict]:
        """The registered commands, with localizations (so a diff can see them)."""
        route = self._commands_route("GET", guild_id)
        return self._request(route, query={"with_localizations": "true"}) or []

    def bulk_overwrite_commands(
        self, commands: list[dict], guild_id: str | None = None
    ) -> list[dict]:
        """Replace the whole command set (global, or one guild's) with `commands`."""
        route = self._commands_route("PUT", guild_id)
        return self._request(route, body=list(commands)) or []

    # internals

    def _webhook_route(self, method: str, template: str, token: str) -> _Route:
        params = {"application_id": self.application_id, "interaction_token": token}
        return _Route(method, template, params, retry_404=True)

    def _bot_route(self, method: str, template: str, **params: str) -> _Route:
        if self._bot_token is None:
            raise DiscordUnauthorized(
                f"Discord {method} {template}: needs DISCORD_BOT_TOKEN, which is not set"
            )
        return _Route(method, template, params, bot_auth=True)

    def _commands_route(self, method: str, guild_id: str | None) -> _Route:
        if guild_id is None:
            return self._bot_route(method, _GLOBAL_COMMANDS, application_id=self.application_id)
        return self._bot_route(
            method, _GUILD_COMMANDS, application_id=self.application_id, guild_id=str(guild_id)
        )

    def _secrets(self, route: _Route) -> tuple[str, ...]:
        return (self._bot_token or "", route.params.get("interaction_token", ""))

    def _request(
        self,
        route: _Route,
        *,
        body: Any = None,
        files: list[DiscordFile] | None = None,
        query: dict[str, str] | None = None,
    ) -> Any:
        waited_404 = waited_429 = 0.0
        delay_404 = 0.25
        limited = 0
        while True:
            response = self._send(route, body, files, query)
            status = response.status_code
            if status < 300:
                return self._json(route, response)
            if status == 429:
                retry_after, is_global = _retry_after(response)
                limited += 1
                if (
                    waited_429 + retry_after > self.max_rate_limit_wait
                    or limited > MAX_RATE_LIMIT_RETRIES
                ):
                    raise DiscordRateLimited(
                        f"Discord {route.label}: rate limited for {retry_after:g}s more; this "
                        f"call may wait {self.max_rate_limit_wait:g}s over "
                        f"{MAX_RATE_LIMIT_RETRIES} retries",
                        retry_after=retry_after,
                        is_global=is_global,
                    )
                _log.warning(
                    "Discord rate limit; waiting",
                    extra={
                        "route": route.label,
                        "retry_after": retry_after,
                        "global": is_global,
                        "bucket": response.headers.get("X-RateLimit-Bucket"),
                    },
                )
                self._sleep(retry_after)
                waited_429 += retry_after
                continue
            if status == 404 and route.retry_404 and waited_404 < self.max_404_wait:
                pause = min(delay_404, self.max_404_wait - waited_404)
                _log.info(
                    "Discord 404 on interaction webhook; the defer may not have landed yet",
                    extra={"route": route.label, "waited": waited_404, "retry_in": pause},
                )
                self._sleep(pause)
                waited_404 += pause
                delay_404 = min(delay_404 * 2, 1.0)
                continue
            raise self._error(route, response)

    def _send(self, route, body, files, query) -> httpx.Response:
        import httpx

        headers = {"User-Agent": USER_AGENT}
        if route.bot_auth:
            headers["Authorization"] = f"Bot {self._bot_token}"
        kwargs: dict[str, Any] = {}
        if files:
            # Discord's multipart form: the JSON in `payload_json`, uploads in `files[n]`.
            kwargs["data"] = {"payload_json": json.dumps(body)}
            kwargs["files"] = [
                (f"files[{i}]", (f.filename, f.content, f.content_type))
                for i, f in enumerate(files)
            ]
        elif body is not None:
            kwargs["json"] = body
        client = self._client or shared_client()
        try:
            return client.request(
                route.method, self.base_url + route.path(), headers=headers, params=query, **kwargs
            )
        except httpx.TimeoutException:
            # `from None`: httpx exceptions carry the request, whose URL may hold a token.
            raise DiscordUnavailable(f"Discord {route.label}: timed out") from None
        except httpx.HTTPError as exc:
            raise DiscordUnavailable(
                f"Discord {route.label}: {type(exc).__name__} (no response)"
            ) from None

    def _json(self, route: _Route, response: httpx.Response) -> Any:
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise DiscordUnavailable(
                f"Discord {route.label}: {response.status_code} with a body that is not JSON",
                status=response.status_code,
            ) from None

    def _error(self, route: _Route, response: httpx.Response) -> DiscordError:
        status = response.status_code
        try:
            data = response.json()
        except ValueError:
            data = None
        data = data if isinstance(data, dict) else {}
        code = data.get("code") if isinstance(data.get("code"), int) else None
        text = str(data.get("message") or response.reason_phrase or "error")
        errors = data.get("errors") if isinstance(data.get("errors"), dict) else {}
        detail = "; ".join(_flatten_errors(errors)[:3])
        message = f"Discord {route.label}: {status} {text}"
        if code:
            message += f" (code {code})"
        if detail:
            message += f": {detail}"
        message = _scrub(message, self._secrets(route))
        if status == 401:
            return DiscordUnauthorized(message, status=status, code=code)
        if status == 403:
            return DiscordForbidden(message, status=status, code=code, errors=errors)
        if status == 404:
            return DiscordNotFound(message, status=status, code=code)
        if status >= 500:
            return DiscordUnavailable(message, status=status, code=code)
        return DiscordBadRequest(message, status=status, code=code, errors=errors)


def _retry_after(response: httpx.Response) -> tuple[float, bool]:
    """Seconds to wait and whether the limit is global, from the 429 body (a float) or, when
    the body is not Discord's JSON (e.g. a Cloudflare ban page), the headers."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("retry_after"), int | float):
        return max(float(data["retry_after"]), 0.0), bool(data.get("global"))
    for header in ("Retry-After", "X-RateLimit-Reset-After"):
        try:
            return max(float(response.headers[header]), 0.0), False
        except (KeyError, ValueError):
            continue
    return 1.0, False


def _flatten_errors(errors: dict, path: str = "") -> list[str]:
    """Discord's nested 50035 error tree as 'embeds.0.description: Must be 4096 or fewer...'."""
    found: list[str] = []
    for key, value in errors.items():
        if key == "_errors" and isinstance(value, list):
            found += [f"{path or 'body'}: {item.get('message')}" for item in value]
        elif isinstance(value, dict):
            found += _flatten_errors(value, f"{path}.{key}" if path else str(key))
    return found
