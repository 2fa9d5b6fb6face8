"""`tzurot commands sync` end to end against the fake Discord on loopback."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from tests.fakes.discord import APPLICATION_ID, BOT_TOKEN, FakeDiscord, fake_discord
from tzurot.cli.commands import diff_commands, sync_commands
from tzurot.cli.main import main
from tzurot.discord.definitions import command_payloads
from tzurot.discord.rest import DiscordRest

COMMANDS_PATH = f"/applications/{APPLICATION_ID}/commands"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeDiscord]:
    with fake_discord() as fake:
        yield fake


@pytest.fixture
def discord(server: FakeDiscord, monkeypatch: pytest.MonkeyPatch) -> FakeDiscord:
    server.reset()
    monkeypatch.setenv("DISCORD_APPLICATION_ID", APPLICATION_ID)
    monkeypatch.setenv("DISCORD_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("DISCORD_API_BASE_URL", server.base_url)
    return server


@pytest.fixture
def rest(discord: FakeDiscord) -> DiscordRest:
    return DiscordRest(discord.base_url, APPLICATION_ID, BOT_TOKEN, sleep=lambda s: None)


def names() -> list[str]:
    """The commands as the sync reports them (message commands labelled as such)."""
    return [
        f"{c['name']} (message)" if c.get("type") == 3 else c["name"] for c in command_payloads()
    ]


def test_first_sync_puts_the_whole_set_and_reports_it_added(discord, capsys):
    assert main(["commands", "sync"]) == 0

    get, put = discord.calls
    assert (get.method, get.path, get.query) == (
        "GET",
        COMMANDS_PATH,
        {"with_localizations": "true"},
    )
    assert (put.method, put.path) == ("PUT", COMMANDS_PATH)
    assert put.json == command_payloads()
    assert put.bot_auth and put.status == 200
    assert capsys.readouterr().out == (
        f"added: {', '.join(names())}\nunchanged: 0\nsynced {len(names())} commands globally\n"
    )
    assert [c["name"] for c in discord.sink.commands()] == [c["name"] for c in command_payloads()]


def test_second_sync_reports_everything_unchanged(discord, capsys):
    main(["commands", "sync"])
    capsys.readouterr()
    assert main(["commands", "sync"]) == 0
    assert capsys.readouterr().out == (
        f"unchanged: {len(names())}\nsynced {len(names())} commands globally\n"
    )


def test_sync_reports_added_updated_removed(discord, rest, capsys):
    registered = [dict(c) for c in command_payloads() if c["name"] not in ("chat", "imagine")]
    for command in registered:
        if command["name"] == "help":
            command["description"] = "an older description"
    registered.append({"name": "old", "description": "gone in this version"})
    rest.bulk_overwrite_commands(registered)
    calls_before = len(discord.calls)

    assert main(["commands", "sync"]) == 0

    assert capsys.readouterr().out == (
        "added: chat, imagine\n"
        "updated: help\n"
        "removed: old\n"
        f"unchanged: {len(names()) - 3}\n"
        f"synced {len(names())} commands globally\n"
    )
    assert discord.calls[-1].json == command_payloads()
    assert len(discord.calls) == calls_before + 2


def test_guild_sync_targets_the_guild(discord, capsys):
    assert main(["commands", "sync", "--guild", "123456789012345678"]) == 0
    guild_path = f"/applications/{APPLICATION_ID}/guilds/123456789012345678/commands"
    assert [call.line for call in discord.calls] == [f"GET {guild_path}", f"PUT {guild_path}"]
    assert capsys.readouterr().out.endswith(
        f"synced {len(names())} commands to guild 123456789012345678\n"
    )
    assert discord.sink.commands() == []  # nothing global


def test_dry_run_prints_json_and_calls_nothing(discord, capsys, monkeypatch):
    monkeypatch.delenv("DISCORD_APPLICATION_ID")
    monkeypatch.delenv("DISCORD_BOT_TOKEN")
    assert main(["commands", "sync", "--dry-run"]) == 0
    assert json.loads(capsys.readouterr().out) == command_payloads()
    assert discord.calls == []


def test_missing_credentials_are_one_line(discord, capsys, monkeypatch):
    monkeypatch.delenv("DISCORD_BOT_TOKEN")
    assert main(["commands", "sync"]) == 1
    out, err = capsys.readouterr()
    assert (out, err) == (
        "",
        "tzurot: error: DISCORD_BOT_TOKEN must be set to sync commands (--dry-run needs neither)\n",
    )
    assert discord.calls == []


def test_bad_guild_id_is_a_usage_error(discord, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["commands", "sync", "--guild", "general"])
    assert exited.value.code == 2
    assert capsys.readouterr().err == (
        "tzurot commands sync: error: argument --guild: a guild id is a number, got 'general' "
        "(see --help)\n"
    )


def test_rate_limit_during_sync_is_waited_out(discord, capsys):
    discord.rate_limit_next(retry_after=0.2, pattern="PUT")
    started = time.monotonic()
    assert main(["commands", "sync"]) == 0
    assert time.monotonic() - started >= 0.2
    assert [(call.method, call.status) for call in discord.calls] == [
        ("GET", 200),
        ("PUT", 429),
        ("PUT", 200),
    ]
    assert capsys.readouterr().out.endswith(f"synced {len(names())} commands globally\n")


def test_discord_refusal_is_one_line_without_the_token(discord, capsys):
    discord.fail_next("GET", status=401)  # Discord's answer to a revoked bot token
    assert main(["commands", "sync"]) == 1
    out, err = capsys.readouterr()
    assert err == (
        "tzurot: error: Discord GET /applications/{application_id}/commands: "
        "401 401: Unauthorized\n"
    )
    assert BOT_TOKEN not in out + err


def test_sync_commands_with_a_small_set(rest, discord):
    small = [
        {"name": "ping", "description": "Ping", "type": 1},
        {"name": "Translate", "type": 3},
    ]
    report = sync_commands(rest, small)
    assert (report.added, report.updated, report.removed) == (
        ["ping", "Translate (message)"],
        [],
        [],
    )
    assert discord.calls[-1].json == small
    again = sync_commands(rest, small)
    assert again.lines() == ["unchanged: 2"]


def test_diff_ignores_how_discord_echoes_defaults():
    registered = [
        {
            "id": "1",
            "application_id": APPLICATION_ID,
            "version": "9",
            "type": 1,
            "name": "chat",
            "description": "Talk",
            "default_member_permissions": "8",
            "dm_permission": True,
            "contexts": None,
            "integration_types": [0],
            "nsfw": False,
            "options": [{"type": 3, "name": "m", "description": "d", "required": False}],
        }
    ]
    same = [
        {
            "name": "chat",
            "description": "Talk",
            "default_member_permissions": 8,
            "options": [{"type": 3, "name": "m", "description": "d"}],
        }
    ]
    changed_option = [
        {**same[0], "options": [{"type": 3, "name": "m", "description": "d", "required": True}]}
    ]
    changed_contexts = [{**same[0], "contexts": [0, 1]}]
    assert diff_commands(registered, same).unchanged == ["chat"]
    assert diff_commands(registered, changed_option).updated == ["chat"]
    assert diff_commands(registered, changed_contexts).updated == ["chat"]
    assert diff_commands(registered, []).removed == ["chat"]


def test_guild_diff_ignores_the_global_only_fields():
    # A server's commands: Discord documents contexts and integration_types as global-only, so
    # one that echoes them back as null is unchanged there (and changed for a global sync).
    echoed = [c | {"contexts": None, "integration_types": None} for c in command_payloads()]
    assert diff_commands(echoed, command_payloads(), guild=True).unchanged == names()
    assert diff_commands(echoed, command_payloads()).updated == names()
    described = [c | {"description": "old"} if c["name"] == "help" else c for c in echoed]
    assert diff_commands(described, command_payloads(), guild=True).updated == ["help"]
