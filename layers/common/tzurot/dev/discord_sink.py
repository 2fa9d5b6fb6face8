"""A local stand-in for the Discord REST endpoints tzurot calls: the sink of `tzurot dev
--discord-sink` and the fake Discord of the tests (one implementation for both).

It speaks Discord's wire format (docs and the OpenAPI spec): JSON or multipart bodies
(`payload_json` + `files[n]`), Discord-shaped message, channel and command objects with
snowflake ids, Discord's error JSON (400 {code: 50035, message: "Invalid Form Body", errors}),
`Authorization: Bot ...` required on bot routes. It records every call in memory, can print each
message it receives, can save every uploaded file to a folder (`files_dir`, printing each path),
and lets a waiter (`wait_for_messages`, or `POST {API_PREFIX}/_sink/wait`
from another process, see `fetch_interaction_messages`) block until an interaction gets answered.

What it does not model: real rate limits, token expiry, the defer race. Tests script those with
`intercept` (see tests/fakes/discord.py), a hook that sees each recorded call before it is
handled and may answer it instead. The hook lives here, not in a wrapping middleware, so that
scripted failures are recorded like any other call (tests count retries from the recording).

This module holds the routes, the handlers and the Python API; what a request becomes is in
discord_recording, the objects it answers with in discord_objects, Discord's checks in
discord_validation, servers and channels in discord_guilds, terminal output in discord_render.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tzurot.dev.discord_guilds import GuildDirectory
from tzurot.dev.discord_objects import DiscordObjects
from tzurot.dev.discord_recording import RecordedCall, RecordedFile, load_json, record_call
from tzurot.dev.discord_render import render, token_label
from tzurot.dev.discord_validation import (
    FormBodyErrors,
    validate_commands,
    validate_message,
    validate_reply_fields,
)
from tzurot.dev.discord_validation import error as _error

__all__ = [
    "API_PREFIX",
    "DiscordSink",
    "RecordedCall",
    "RecordedFile",
    "fetch_interaction_messages",
    "token_label",
]

API_PREFIX = "/api/v10"
MAX_WAIT = 60.0


# Each handler answers (status, JSON body) from the recorded call and the path parameters.
Handler = Callable[[RecordedCall, dict[str, str]], Response]


class DiscordSink:
    """The fake Discord: `app` is the ASGI app to serve; the rest is its Python API."""

    def __init__(
        self,
        application_id: str = "100000000000000001",
        *,
        bot_token: str | None = None,
        echo: Callable[[str], None] | None = None,
        bot_name: str = "tzurot",
        files_dir: Path | None = None,
    ):
        self.application_id = str(application_id)
        # When set, every uploaded file is also written here (and its path echoed), so a person
        # running `tzurot dev --discord-sink` can open the image or play the voice reply.
        self.files_dir = files_dir
        self.bot_token = bot_token  # when set, bot routes need exactly this token
        self.echo = echo
        self.objects = DiscordObjects(self.application_id, bot_name, on_upload=self._save)
        self.bot_user = self.objects.bot_user
        # Tests' scripting hook: sees each recorded call first; a Response it returns is sent.
        self.intercept: Callable[[RecordedCall], Response | None] | None = None
        self._changed = threading.Condition()
        self.reset()
        self.app = Starlette(
            routes=self._routes(),
            exception_handlers={HTTPException: self._http_error},
        )

    # --- Python API -----------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every call, message, channel and command (the scripting hook stays)."""
        with self._changed:
            self.calls: list[RecordedCall] = []
            self.messages: dict[str, dict] = {}
            self._answers: dict[str, list[dict]] = {}
            self._originals: dict[str, str] = {}
            self._deleted_originals: set[str] = set()
            self._token_channels: dict[str, str] = {}
            self._dm_channels: dict[str, dict] = {}
            self._nonces: dict[tuple[str, str], str] = {}  # (channel, nonce) -> message id
            self.saved: list[Path] = []  # files written to files_dir, in order
            self._commands: dict[str | None, list[dict]] = {}
            self.guilds = GuildDirectory()  # servers, roles, members, channels (Discord's JSON)

    def add_message(self, channel_id: str, content: str = "", **fields: Any) -> dict:
        """Put a message a user wrote into the fake (for GET /channels/{cid}/messages/{mid})."""
        author = fields.pop("author", None) or self.objects.user(self.objects.ids.next(), "someone")
        attachments = fields.pop("attachments", None)  # attachment objects, as Discord's
        message = self.objects.message(str(channel_id), {"content": content, **fields}, [], 0)
        message["author"] = author
        if attachments is not None:
            message["attachments"] = attachments
        with self._changed:
            self.messages[message["id"]] = message
        return message

    def commands(self, guild_id: str | None = None) -> list[dict]:
        with self._changed:
            return json.loads(json.dumps(self._commands.get(guild_id, [])))

    def calls_to(self, pattern: str) -> list[RecordedCall]:
        """Recorded calls whose "METHOD /path" matches the regular expression `pattern`."""
        with self._changed:
            return [call for call in self.calls if re.search(pattern, call.line)]

    def wait_for_messages(self, token: str, *, after: int = 0, timeout: float = 10.0) -> list[dict]:
        """The answers to interaction `token` from the `after`-th on, in order, each
        {"kind": "original" | "followup", "message": {...}}; waits up to `timeout` seconds for
        at least one (an empty list means none came)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self._answers.get(token, [])) <= after:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                self._changed.wait(remaining)
            return list(self._answers[token][after:])

    # --- HTTP plumbing --------------------------------------------------------------------

    def _routes(self) -> list[Route]:
        def route(path: str, methods: list[str], handler: Handler, *, bot: bool) -> Route:
            async def endpoint(request: Request) -> Response:
                return await self._handle(request, handler, bot=bot)

            return Route(API_PREFIX + path, endpoint, methods=methods)

        webhook = "/webhooks/{application_id}/{token}"
        commands = "/applications/{application_id}/commands"
        guild_commands = "/applications/{application_id}/guilds/{guild_id}/commands"
        return [
            route(webhook + "/messages/@original", ["PATCH"], self._edit_original, bot=False),
            route(webhook + "/messages/@original", ["GET"], self._get_original, bot=False),
            route(webhook + "/messages/@original", ["DELETE"], self._delete_original, bot=False),
            route(webhook, ["POST"], self._create_followup, bot=False),
            route("/users/@me/channels", ["POST"], self._create_dm, bot=True),
            route("/channels/{channel_id}/messages", ["POST"], self._create_message, bot=True),
            route("/channels/{channel_id}/messages/{message_id}", ["GET"], self._get, bot=True),
            route(
                "/channels/{channel_id}/messages/{message_id}",
                ["PATCH"],
                self._edit_message,
                bot=True,
            ),
            route("/channels/{channel_id}", ["GET"], self._directory("channel"), bot=True),
            route("/guilds/{guild_id}", ["GET"], self._directory("guild"), bot=True),
            route("/guilds/{guild_id}/roles", ["GET"], self._directory("roles"), bot=True),
            route(
                "/guilds/{guild_id}/members/{user_id}",
                ["GET"],
                self._directory("member"),
                bot=True,
            ),
            route(commands, ["GET", "PUT"], self._commands_endpoint, bot=True),
            route(guild_commands, ["GET", "PUT"], self._commands_endpoint, bot=True),
            Route(API_PREFIX + "/_sink/wait", self._wait_endpoint, methods=["POST"]),
        ]

    async def _http_error(self, request: Request, exc: HTTPException) -> Response:
        return _error(exc.status_code, 0, f"{exc.status_code}: {exc.detail}")

    async def _handle(self, request: Request, handler: Handler, *, bot: bool) -> Response:
        try:
            call = await self._record(request)
        except ValueError as exc:
            return _error(400, 50109, str(exc))
        except OverflowError:
            return _error(413, 40005, "Request entity too large")
        response = self.intercept(call) if self.intercept else None
        if response is None:
            response = self._authorize(call, request.path_params, bot=bot)
        if response is None:
            response = handler(call, dict(request.path_params))
        call.status = response.status_code
        call.response = json.loads(response.body) if response.body else None
        return response

    async def _record(self, request: Request) -> RecordedCall:
        call = await record_call(request, api_prefix=API_PREFIX, bot_token=self.bot_token)
        with self._changed:
            self.calls.append(call)
        return call

    def _authorize(self, call: RecordedCall, params: dict, *, bot: bool) -> Response | None:
        if params.get("application_id", self.application_id) != self.application_id:
            if "token" in params:
                return _error(404, 10015, "Unknown Webhook")
            return _error(403, 50001, "Missing Access")
        if bot and not call.bot_auth:
            return _error(401, 0, "401: Unauthorized")
        return None

    async def _wait_endpoint(self, request: Request) -> Response:
        # The token travels in the body, not the URL, so no access log can show it.
        body = load_json(await request.body() or b"{}")
        token = body.get("interaction_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            return _error(400, 50035, "interaction_token is required")
        after = int(body.get("after") or 0)
        timeout = min(float(body.get("timeout") or 10.0), MAX_WAIT)
        answers = await run_in_threadpool(
            self.wait_for_messages, token, after=after, timeout=timeout
        )
        return JSONResponse({"messages": answers})

    # --- endpoints ------------------------------------------------------------------------

    def _edit_original(self, call: RecordedCall, params: dict) -> Response:
        token = params["token"]
        invalid = validate_message(call.json, files=len(call.files), create=False)
        if invalid:
            return invalid
        with self._changed:
            existing = self.messages.get(self._originals.get(token, ""))
            channel_id = self._token_channel(token)
        if existing is None:
            message = self.objects.message(channel_id, call.json, call.files, 20)
        else:
            message = self.objects.edited(existing, call.json, call.files)
        self._store_answer(token, "original", message)
        self._print("edit original", token, message)
        return JSONResponse(message)

    def _get_original(self, call: RecordedCall, params: dict) -> Response:
        with self._changed:
            message = self.messages.get(self._originals.get(params["token"], ""))
        return JSONResponse(message) if message else _error(404, 10008, "Unknown Message")

    def _delete_original(self, call: RecordedCall, params: dict) -> Response:
        # Deleting the deferred response works once, edited or not; then it is Unknown Message.
        token = params["token"]
        with self._changed:
            if token in self._deleted_originals:
                return _error(404, 10008, "Unknown Message")
            self._deleted_originals.add(token)
            self.messages.pop(self._originals.pop(token, ""), None)
        if self.echo:
            self.echo(f"[discord] deleted the original response of {token_label(token)}")
        return Response(status_code=204)

    def _create_followup(self, call: RecordedCall, params: dict) -> Response:
        token = params["token"]
        invalid = validate_message(call.json, files=len(call.files), create=True)
        if invalid:
            return invalid
        with self._changed:
            channel_id = self._token_channel(token)
        message = self.objects.message(channel_id, call.json, call.files, 0)
        self._store_answer(token, "followup", message)
        self._print("followup", token, message)
        return JSONResponse(message)

    def _create_dm(self, call: RecordedCall, params: dict) -> Response:
        body = call.json if isinstance(call.json, dict) else {}
        recipient = body.get("recipient_id")
        if not isinstance(recipient, str | int) or not str(recipient).isdigit():
            errors = FormBodyErrors()
            errors.add(("recipient_id",), "BASE_TYPE_REQUIRED", "This field is required")
            return errors.response()
        with self._changed:
            channel = self._dm_channels.get(str(recipient))
            if channel is None:
                channel = self.objects.dm_channel(self.objects.user(str(recipient), "user"))
                self._dm_channels[str(recipient)] = channel
        return JSONResponse(channel)

    def _create_message(self, call: RecordedCall, params: dict) -> Response:
        """POST /channels/{id}/messages as the bot: in a DM the bot opened, a channel of the
        guild directory, or a channel holding messages (`add_message`). A `message_reference`
        makes a reply (type 19, with `referenced_message`); a `nonce` with `enforce_nonce`
        already used by the bot in that channel returns the earlier message, as Discord does."""
        channel_id = params["channel_id"]
        with self._changed:
            dm = next((c for c in self._dm_channels.values() if c["id"] == channel_id), None)
            known = dm is not None or channel_id in self.guilds.channels
            known = known or any(m["channel_id"] == channel_id for m in self.messages.values())
        if not known:
            return _error(404, 10003, "Unknown Channel")
        body = call.json if isinstance(call.json, dict) else {}
        invalid = validate_message(call.json, files=len(call.files), create=True)
        invalid = invalid or validate_reply_fields(body)
        if invalid:
            return invalid
        nonce = body.get("nonce")
        with self._changed:
            earlier = self._nonces.get((channel_id, str(nonce))) if nonce is not None else None
            if earlier is not None and body.get("enforce_nonce"):
                return JSONResponse(self.messages[earlier])
            referenced = self._referenced(channel_id, body.get("message_reference"))
        if referenced is False:
            errors = FormBodyErrors()
            errors.add(
                ("message_reference",), "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message"
            )
            return errors.response()
        message = self.objects.message(
            channel_id, body, call.files, 0 if referenced is None else 19
        )
        if nonce is not None:
            message["nonce"] = nonce
        if referenced is not None:
            message["message_reference"] = {
                "type": 0,
                "channel_id": channel_id,
                "message_id": referenced["id"],
                **{k: v for k, v in body["message_reference"].items() if k == "guild_id"},
            }
            message["referenced_message"] = referenced
        with self._changed:
            self.messages[message["id"]] = message
            if nonce is not None:
                self._nonces[(channel_id, str(nonce))] = message["id"]
            if dm is not None:
                dm["last_message_id"] = message["id"]
            self._changed.notify_all()
        if self.echo:
            if dm is not None:
                where = f"DM to user {dm['recipients'][0]['id']}"
            elif referenced is not None:
                where = f"reply in channel {channel_id} to message {referenced['id']}"
            else:
                where = f"message in channel {channel_id}"
            self.echo(f"[discord] {where}\n{render(message)}")
        return JSONResponse(message)

    def _referenced(self, channel_id: str, reference: Any) -> dict | bool | None:
        """The message a reply refers to; None: no reference, or a missing message the caller
        let go (fail_if_not_exists false); False: a missing message Discord refuses.
        Caller holds the lock."""
        if not isinstance(reference, dict):
            return None
        message = self.messages.get(str(reference.get("message_id")))
        if message is not None and message["channel_id"] == channel_id:
            return {k: v for k, v in message.items() if k != "referenced_message"}
        return None if reference.get("fail_if_not_exists") is False else False

    def _edit_message(self, call: RecordedCall, params: dict) -> Response:
        """PATCH /channels/{id}/messages/{id}: only the bot's own messages."""
        with self._changed:
            message = self.messages.get(params["message_id"])
        if message is None or message["channel_id"] != params["channel_id"]:
            return _error(404, 10008, "Unknown Message")
        if message["author"]["id"] != self.bot_user["id"]:
            return _error(403, 50005, "Cannot edit a message authored by another user")
        invalid = validate_message(call.json, files=len(call.files), create=False)
        if invalid:
            return invalid
        edited = self.objects.edited(message, call.json, call.files)
        with self._changed:
            self.messages[edited["id"]] = edited
            self._changed.notify_all()
        if self.echo:
            self.echo(f"[discord] edit of message {edited['id']}\n{render(edited)}")
        return JSONResponse(edited)

    def _get(self, call: RecordedCall, params: dict) -> Response:
        with self._changed:
            message = self.messages.get(params["message_id"])
        if message is None or message["channel_id"] != params["channel_id"]:
            return _error(404, 10008, "Unknown Message")
        return JSONResponse(message)

    def _directory(self, kind: str) -> Handler:
        """GET of a guild, its roles, a member or a channel (tzurot.dev.discord_guilds)."""

        def handler(call: RecordedCall, params: dict) -> Response:
            key = [params[name] for name in ("guild_id", "channel_id", "user_id") if name in params]
            found, (code, message) = self.guilds.lookup(kind, *key)
            return _error(404, code, message) if found is None else JSONResponse(found)

        return handler

    def _commands_endpoint(self, call: RecordedCall, params: dict) -> Response:
        guild_id = params.get("guild_id")
        localized = call.query.get("with_localizations") == "true"
        if call.method == "PUT":
            invalid = validate_commands(call.json)
            if invalid:
                return invalid
            with self._changed:
                current = self._commands.get(guild_id, [])
                self._commands[guild_id] = [
                    self.objects.command(body, guild_id, current) for body in call.json
                ]
            if self.echo:
                where = f"guild {guild_id}" if guild_id else "global"
                self.echo(f"[discord] {len(call.json)} {where} commands registered")
            localized = True  # Discord's PUT answer includes the localization maps
        commands = self.commands(guild_id)
        if not localized:
            for command in commands:
                command.pop("name_localizations", None)
                command.pop("description_localizations", None)
        return JSONResponse(commands)

    # --- state and output -----------------------------------------------------------------

    def _token_channel(self, token: str) -> str:
        # Caller holds the lock. One channel per interaction, as if each ran somewhere else.
        return self._token_channels.setdefault(token, self.objects.ids.next())

    def _save(self, attachment_id: str, filename: str, content: bytes) -> None:
        """Write an upload to `files_dir` as <attachment id>-<file name> and say where."""
        if self.files_dir is None:
            return
        safe = re.sub(r"[^\w.-]", "_", Path(filename).name).lstrip(".") or "file"
        path = self.files_dir / f"{attachment_id}-{safe}"
        self.files_dir.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        self.saved.append(path)
        if self.echo:
            self.echo(f"[discord] saved {filename} ({len(content)} bytes): {path}")

    def _store_answer(self, token: str, kind: str, message: dict) -> None:
        with self._changed:
            self.messages[message["id"]] = message
            if kind == "original":
                self._originals[token] = message["id"]
            self._answers.setdefault(token, []).append({"kind": kind, "message": message})
            self._changed.notify_all()

    def _print(self, what: str, token: str, message: dict) -> None:
        if self.echo:
            private = " (ephemeral)" if message["flags"] & 64 else ""
            self.echo(
                f"[discord] {what} of interaction {token_label(token)}{private}\n{render(message)}"
            )


def fetch_interaction_messages(
    base_url: str, token: str, *, after: int = 0, timeout: float = 10.0
) -> list[dict]:
    """From another process (`tzurot simulate`): wait on the sink at `base_url` (what
    DISCORD_API_BASE_URL points at) for the answers to interaction `token`, as in
    `DiscordSink.wait_for_messages`."""
    import httpx

    response = httpx.post(
        base_url.rstrip("/") + "/_sink/wait",
        json={"interaction_token": token, "after": after, "timeout": timeout},
        timeout=timeout + 5.0,
    )
    response.raise_for_status()
    return response.json()["messages"]
