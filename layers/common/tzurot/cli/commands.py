"""`tzurot commands sync [--guild ID] [--dry-run]`: register the slash commands with Discord.

Sync is a bulk overwrite (PUT of the whole set), so Discord ends up with exactly the commands
`tzurot.discord.definitions` defines, and commands removed from the code disappear. Before the
PUT it reads what is registered, to print what changed. Global commands can take a while to reach
every client; `--guild` registers in one server, instantly (for testing).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from typing import Any

from tzurot.config import ConfigError, Settings

# Fields Discord fills in itself when a command leaves them out; absent and default are equal.
_COMMAND_DEFAULTS: dict[str, Any] = {
    "type": 1,
    "description": "",
    "options": [],
    "default_member_permissions": None,
    "nsfw": False,
    "name_localizations": None,
    "description_localizations": None,
}
# Defaults Discord derives from the application's settings: compared only when we set them.
_COMPARED_WHEN_SET = ("contexts", "integration_types", "dm_permission")
_TYPE_LABELS = {2: "user", 3: "message", 4: "entry point"}


def register(subparsers: argparse._SubParsersAction) -> None:
    commands = subparsers.add_parser("commands", help="Discord slash command registration")
    verbs = commands.add_subparsers(dest="commands_verb", required=True)
    sync = verbs.add_parser(
        "sync", help="replace the registered commands with this version's (bulk overwrite)"
    )
    sync.add_argument(
        "--guild",
        metavar="ID",
        type=_snowflake,
        help="register in this server only (shows up at once; for testing)",
    )
    sync.add_argument(
        "--dry-run",
        action="store_true",
        help="print the JSON that would be PUT and call nothing",
    )
    sync.set_defaults(handler=run_sync)


def _snowflake(text: str) -> str:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"a guild id is a number, got {text!r}")
    return text


@dataclass(frozen=True)
class SyncReport:
    added: list[str]
    updated: list[str]
    removed: list[str]
    unchanged: list[str]

    def lines(self) -> list[str]:
        lines = [
            f"{label}: {', '.join(names)}"
            for label, names in (
                ("added", self.added),
                ("updated", self.updated),
                ("removed", self.removed),
            )
            if names
        ]
        return [*lines, f"unchanged: {len(self.unchanged)}"]


def _key(command: dict) -> tuple[int, str]:
    # Discord tells commands apart by type and name (a slash command and a context-menu
    # command may share a name).
    return (command.get("type") or 1, command.get("name", ""))


def _label(command: dict) -> str:
    kind, name = _key(command)
    return f"{name} ({_TYPE_LABELS[kind]})" if kind in _TYPE_LABELS else name


def _canonical(value: Any) -> Any:
    """Options compare equal however Discord echoes them: keys holding None, False or an empty
    list/map are dropped (absent means the same), and integral floats become ints."""
    if isinstance(value, dict):
        return {
            key: _canonical(item)
            for key, item in value.items()
            if not (item is None or item is False or item == [] or item == {})
        }
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _comparable(command: dict, compared_when_set: set[str]) -> dict:
    view = {}
    for key, default in _COMMAND_DEFAULTS.items():
        value = command.get(key)
        view[key] = default if value is None else value
    if view["default_member_permissions"] is not None:
        view["default_member_permissions"] = str(view["default_member_permissions"])
    for key in compared_when_set:
        view[key] = command.get(key)
    return _canonical(view)


def diff_commands(current: list[dict], desired: list[dict], *, guild: bool = False) -> SyncReport:
    """What a bulk overwrite with `desired` changes, given the `current` registered commands.

    `guild`: the commands are a server's. Discord documents `contexts`, `integration_types` and
    `dm_permission` as global-only, so they are not compared there (a guild command may echo
    them back as null, which would otherwise read as a change on every sync)."""
    registered = {_key(command): command for command in current}
    wanted = {_key(command) for command in desired}
    added, updated, unchanged = [], [], []
    for command in desired:
        before = registered.get(_key(command))
        if before is None:
            added.append(_label(command))
            continue
        keys = set() if guild else {k for k in _COMPARED_WHEN_SET if command.get(k) is not None}
        same = _comparable(before, keys) == _comparable(command, keys)
        (unchanged if same else updated).append(_label(command))
    removed = [_label(command) for key, command in registered.items() if key not in wanted]
    return SyncReport(added, updated, removed, unchanged)


def sync_commands(rest, desired: list[dict], guild_id: str | None = None) -> SyncReport:
    """Read the registered commands, PUT `desired` over them, and say what changed.
    `rest` is a tzurot.discord.rest.DiscordRest (it honours 429 retry_after)."""
    current = rest.get_commands(guild_id)
    rest.bulk_overwrite_commands(desired, guild_id)
    return diff_commands(current, desired, guild=guild_id is not None)


def run_sync(args: argparse.Namespace) -> int:
    from tzurot.discord.definitions import command_payloads

    desired = command_payloads()
    if args.dry_run:
        print(json.dumps(desired, indent=2, ensure_ascii=False))
        return 0

    from tzurot import secrets
    from tzurot.discord.rest import DiscordRest

    secrets.resolve_into()  # DISCORD_BOT_TOKEN may live in Secrets Manager / SSM
    settings = Settings.from_env()
    missing = [
        name
        for name, value in (
            ("DISCORD_APPLICATION_ID", settings.discord_application_id),
            ("DISCORD_BOT_TOKEN", settings.discord_bot_token),
        )
        if not value
    ]
    if missing:
        raise ConfigError(
            f"{' and '.join(missing)} must be set to sync commands (--dry-run needs neither)"
        )
    # An operator at a terminal can wait out a longer rate limit than a worker should.
    rest = DiscordRest.from_settings(settings, max_rate_limit_wait=60.0)
    report = sync_commands(rest, desired, args.guild)
    for line in report.lines():
        print(line)
    where = f"to guild {args.guild}" if args.guild else "globally"
    print(f"synced {len(desired)} commands {where}")
    return 0
