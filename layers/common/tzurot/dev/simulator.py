"""Fake Discord, client side: build interactions the way Discord sends them, sign them with the
dev key, POST them to an endpoint. Used by `tzurot simulate`, the `tzurot dev --once` self-check
and tests.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from nacl.signing import SigningKey

from tzurot.dev.keys import sign
from tzurot.discord import definitions, modals
from tzurot.discord.definitions import COMMANDS, SUB_COMMAND
from tzurot.discord.option_rules import option_problems
from tzurot.errors import TzurotError

DEV_APPLICATION_ID = "1000000000000000001"
DEFAULT_URL = "http://127.0.0.1:8787/interactions"
_DISCORD_EPOCH_MS = 1_420_070_400_000
_UPLOAD_LIMIT = 10 * 1024 * 1024

PING, APPLICATION_COMMAND, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 4, 5


class SimulateError(TzurotError):
    """A simulate request that cannot be built or sent."""


@dataclass(frozen=True)
class Identity:
    """Who the simulated interaction comes from, and where."""

    user_id: str = "100000000000000001"
    username: str = "dev-user"
    channel_id: str = "100000000000000002"
    guild_id: str | None = None  # None: the bot's DMs
    locale: str = "en-US"
    application_id: str = DEV_APPLICATION_ID
    # Where the app is installed: False, a user install (the bot need not be in the server);
    # True, the server installed it (the bot is a member). `app_permissions` is what the app
    # may do in the channel (decimal bits, as Discord sends them).
    guild_install: bool = False
    app_permissions: str = "0"
    channel_type: int | None = None  # None: a text channel in a server, the DM otherwise


@dataclass(frozen=True)
class Reply:
    status: int
    body: str

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


def snowflake(now: float | None = None) -> str:
    millis = int((time.time() if now is None else now) * 1000) - _DISCORD_EPOCH_MS
    return str((millis << 22) | secrets.randbelow(1 << 22))


def interaction(kind: int, who: Identity, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """An interaction body shaped like Discord's (fresh id and token each time)."""
    user = {"id": who.user_id, "username": who.username, "global_name": None}
    body: dict[str, Any] = {
        "id": snowflake(),
        "application_id": who.application_id,
        "type": kind,
        "token": "dev-" + secrets.token_urlsafe(96),
        "version": 1,
    }
    if kind == PING:
        return body
    body |= {
        "channel_id": who.channel_id,
        "locale": who.locale,
        "attachment_size_limit": _UPLOAD_LIMIT,
        "app_permissions": who.app_permissions,
        "entitlements": [],
        "authorizing_integration_owners": {"1": who.user_id},
    }
    channel_type = who.channel_type
    if channel_type is None:
        channel_type = 0 if who.guild_id else 1  # GUILD_TEXT, DM
    body["channel"] = {"id": who.channel_id, "type": channel_type}
    if who.guild_id:
        body |= {"guild_id": who.guild_id, "guild_locale": who.locale, "context": 0}
        if who.guild_install:
            body["authorizing_integration_owners"] = {"0": who.guild_id}
        body["member"] = {"user": user, "roles": [], "permissions": "0", "nick": None}
    else:
        body |= {"context": 1, "user": user}
    if data is not None:
        body["data"] = data
    return body


def _typed(option: definitions.Option, raw: str) -> str | int | float | bool:
    try:
        if option.type == definitions.INTEGER:
            return int(raw)
        if option.type == definitions.NUMBER:
            return float(raw)
    except ValueError:
        raise SimulateError(f"option {option.name} needs a number, got {raw!r}") from None
    return raw


def command_data(
    name: str, args: list[str], *, focused: str | None = None, check: bool = True
) -> dict[str, Any]:
    """`data` of a slash command from CLI words: [subcommand] opt=value ...

    With `focused`, that option is marked as being typed (an autocomplete request). With
    `check` (the default), values Discord's client would refuse (type, choices, lengths, range,
    a missing required option) raise SimulateError; tests of the endpoint's own checks turn it
    off.
    """
    command = COMMANDS.get(name)
    if command is None:
        raise SimulateError(f"unknown command /{name}; known: {', '.join(COMMANDS)}")
    scope = command.options
    subcommand = None
    if any(option.type == SUB_COMMAND for option in scope):
        names = [o.name for o in scope]
        if not args or "=" in args[0]:
            raise SimulateError(f"/{name} needs a subcommand: {', '.join(names)}")
        subcommand = command.subcommand(args[0])
        if subcommand is None:
            raise SimulateError(f"/{name} has no subcommand {args[0]!r}; try {', '.join(names)}")
        scope, args = subcommand.options, args[1:]
    known = {option.name: option for option in scope}
    options = []
    for word in args:
        key, sep, raw = word.partition("=")
        if not sep or key not in known:
            choices = ", ".join(known) or "none"
            raise SimulateError(
                f"expected option=value with option one of: {choices}; got {word!r}"
            )
        option = known[key]
        entry: dict[str, Any] = {"name": key, "type": option.type}
        entry["value"] = raw if key == focused else _typed(option, raw)
        if key == focused:
            entry["focused"] = True
        options.append(entry)
    values = {entry["name"]: entry["value"] for entry in options}
    problems = option_problems(
        command, subcommand.name if subcommand else None, values, focused=focused
    )
    if problems and check:
        # What Discord's client would refuse to send; the endpoint would refuse it too.
        raise SimulateError(f"Discord would not send this /{name}: " + "; ".join(problems))
    if subcommand is not None:
        options = [{"name": subcommand.name, "type": SUB_COMMAND, "options": options}]
    data: dict[str, Any] = {"id": snowflake(), "name": name, "type": 1}
    if options:
        data["options"] = options
    return data


def message_command_data(name: str, message: dict[str, Any]) -> dict[str, Any]:
    """`data` of a message command (type 3, right-click a message → Apps) on `message`, a
    Discord message object: Discord names it in `target_id` and carries it in
    `resolved.messages`."""
    return {
        "id": snowflake(),
        "name": name,
        "type": definitions.MESSAGE_COMMAND,
        "target_id": message["id"],
        "resolved": {"messages": {message["id"]: message}},
    }


def modal_data(custom_id: str, fields: dict[str, str], *, check: bool = True) -> dict[str, Any]:
    """`data` of a modal submit, in the label layout Discord uses for label-wrapped inputs.

    With `check` (the default), only what Discord would send: a modal this app opens, its own
    fields (a wrong name used to submit an empty form, which cleared a user's parameters),
    within their lengths; anything else raises SimulateError.
    """
    if check:
        _check_form(custom_id, fields)
    components = [
        {"type": 18, "id": index + 1, "component": {"type": 4, "custom_id": key, "value": value}}
        for index, (key, value) in enumerate(fields.items())
    ]
    return {"custom_id": custom_id, "components": components}


def _check_form(custom_id: str, fields: dict[str, str]) -> None:
    inputs = modals.form_inputs(custom_id)
    if inputs is None:
        raise SimulateError(
            f"this app opens no modal {custom_id!r}; its modals: "
            f"{modals.WALLET_SET}:PROVIDER ({', '.join(definitions.PROVIDERS)}), "
            f"{modals.CONFIG_ADVANCED}:[PERSONALITY]"
        )
    problems = [_input_problem(inputs, key, value) for key, value in fields.items()]
    problems += [
        f"{key} is required"
        for key, spec in inputs.items()
        if spec["required"] and not fields.get(key)
    ]
    problems = [problem for problem in problems if problem]
    if problems:
        raise SimulateError(
            f"Discord would not send this form: {'; '.join(problems)} "
            f"(its fields: {', '.join(inputs)})"
        )


def _input_problem(inputs: dict[str, dict[str, Any]], key: str, value: str) -> str | None:
    spec = inputs.get(key)
    if spec is None:
        return f"the form has no field {key!r}"
    if value and len(value) < spec.get("min_length", 0):
        return f"{key} needs at least {spec['min_length']} characters"
    if len(value) > spec.get("max_length", len(value)):
        return f"{key} can be at most {spec['max_length']} characters (got {len(value)})"
    return None


def signed_headers(key: SigningKey, body: bytes, now: float | None = None) -> dict[str, str]:
    timestamp = str(int(time.time() if now is None else now))
    return {
        "content-type": "application/json",
        "x-signature-ed25519": sign(key, timestamp, body),
        "x-signature-timestamp": timestamp,
    }


def post(url: str, payload: dict[str, Any], key: SigningKey, *, timeout: float = 15) -> Reply:
    """Sign `payload` as Discord would and POST it to `url`."""
    import httpx

    body = json.dumps(payload).encode()
    try:
        response = httpx.post(url, content=body, headers=signed_headers(key, body), timeout=timeout)
    except httpx.HTTPError as exc:
        raise SimulateError(
            f"could not reach {url} ({type(exc).__name__}); is `tzurot dev` running?"
        ) from None
    return Reply(response.status_code, response.text)
