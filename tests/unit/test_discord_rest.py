"""DiscordRest against the fake Discord on loopback: bodies, multipart, and the retry policy."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator

import pytest

from tests.fakes.discord import APPLICATION_ID, BOT_TOKEN, FakeDiscord, fake_discord
from tzurot.discord.rest import (
    USER_AGENT,
    DiscordBadRequest,
    DiscordFile,
    DiscordForbidden,
    DiscordNotFound,
    DiscordRateLimited,
    DiscordRest,
    DiscordUnauthorized,
    DiscordUnavailable,
    message_payload,
)

TOKEN = "aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzQ1Njc4OmZha2UtaW50ZXJhY3Rpb24tdG9rZW4"
ORIGINAL = f"/webhooks/{APPLICATION_ID}/{TOKEN}/messages/@original"
FOLLOWUP = f"/webhooks/{APPLICATION_ID}/{TOKEN}"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeDiscord]:
    with fake_discord() as fake:
        yield fake


@pytest.fixture
def discord(server: FakeDiscord) -> FakeDiscord:
    server.reset()
    return server


class Sleeps(list):
    """An injected `sleep` that records instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def rest(discord: FakeDiscord, sleeps: Sleeps) -> DiscordRest:
    return DiscordRest(discord.base_url, APPLICATION_ID, BOT_TOKEN, sleep=sleeps)


def test_edit_original_sends_json_patch_without_pings(rest, discord):
    embed = {"author": {"name": "Lilith"}, "description": "Hello"}
    message = rest.edit_original(TOKEN, {"content": "hi @everyone", "embeds": [embed]})

    [call] = discord.calls
    assert (call.method, call.path, call.content_type) == ("PATCH", ORIGINAL, "application/json")
    assert call.json == {
        "content": "hi @everyone",
        "embeds": [embed],
        "allowed_mentions": {"parse": []},
    }
    assert call.bot_auth is False  # the interaction token is the credential
    assert call.headers["user-agent"] == USER_AGENT
    assert message["content"] == "hi @everyone"
    assert message["embeds"] == [{"type": "rich", **embed}]
    assert message["author"]["id"] == APPLICATION_ID


def test_caller_allowed_mentions_are_kept(rest, discord):
    rest.create_followup(TOKEN, {"content": "<@42>", "allowed_mentions": {"users": ["42"]}})
    assert discord.calls[0].json == {"content": "<@42>", "allowed_mentions": {"users": ["42"]}}


def test_followup_with_files_is_multipart_with_matching_attachment_ids(rest, discord):
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    files = [
        DiscordFile("portrait.png", png, "image/png", description="a fox"),
        DiscordFile("notes.txt", b"plain text", "text/plain"),
    ]
    message = rest.create_followup(TOKEN, {"content": "here", "flags": 64}, files)

    [call] = discord.calls
    assert (call.method, call.path, call.content_type) == ("POST", FOLLOWUP, "multipart/form-data")
    assert call.json == {
        "content": "here",
        "flags": 64,
        "allowed_mentions": {"parse": []},
        "attachments": [
            {"id": "0", "filename": "portrait.png", "description": "a fox"},
            {"id": "1", "filename": "notes.txt"},
        ],
    }
    assert [(f.field, f.filename, f.content_type, f.content) for f in call.files] == [
        ("files[0]", "portrait.png", "image/png", png),
        ("files[1]", "notes.txt", "text/plain", b"plain text"),
    ]
    assert [(a["filename"], a["size"], a["content_type"]) for a in message["attachments"]] == [
        ("portrait.png", len(png), "image/png"),
        ("notes.txt", 10, "text/plain"),
    ]
    assert message["attachments"][0]["description"] == "a fox"
    assert message["flags"] == 64


def test_message_payload_keeps_callers_attachment_entries():
    files = [DiscordFile("a.png", b"a", "image/png"), DiscordFile("b.png", b"b", "image/png")]
    body = message_payload({"attachments": [{"id": "1", "description": "second"}]}, files)
    assert body["attachments"] == [
        {"id": "1", "description": "second"},
        {"id": "0", "filename": "a.png"},
    ]


def test_edit_original_with_file_replaces_nothing_else(rest, discord):
    rest.edit_original(TOKEN, {"content": "drawing..."})
    message = rest.edit_original(
        TOKEN, {"content": "done"}, [DiscordFile("img.webp", b"RIFF", "image/webp")]
    )
    assert message["content"] == "done"
    assert [a["filename"] for a in message["attachments"]] == ["img.webp"]
    assert message["edited_timestamp"] is not None
    assert discord.calls[1].files[0].field == "files[0]"


def test_404_after_defer_is_retried_until_it_lands(rest, discord, sleeps):
    discord.fail_next("PATCH /webhooks/", status=404, times=2)
    message = rest.edit_original(TOKEN, {"content": "answer"})

    assert message["content"] == "answer"
    assert [call.status for call in discord.calls] == [404, 404, 200]
    assert sleeps == [0.25, 0.5]


def test_404_forever_gives_up_after_the_window(discord, sleeps):
    rest = DiscordRest(discord.base_url, APPLICATION_ID, max_404_wait=3.0, sleep=sleeps)
    discord.fail_next("POST /webhooks/", status=404, times=100)
    with pytest.raises(DiscordNotFound) as caught:
        rest.create_followup(TOKEN, {"content": "late"})

    assert sleeps == [0.25, 0.5, 1.0, 1.0, 0.25]
    assert sum(sleeps) == 3.0
    assert len(discord.calls) == 6
    assert caught.value.code == 10015
    assert str(caught.value) == (
        "Discord POST /webhooks/{application_id}/{interaction_token}: 404 Unknown Webhook "
        "(code 10015)"
    )


def test_404_on_bot_routes_is_not_retried(rest, discord, sleeps):
    with pytest.raises(DiscordNotFound) as caught:
        rest.get_message("222", "333")
    assert caught.value.code == 10008
    assert len(discord.calls) == 1
    assert sleeps == []


def test_429_waits_retry_after_then_succeeds(rest, discord, sleeps):
    discord.rate_limit_next(retry_after=0.35, pattern="PATCH")
    message = rest.edit_original(TOKEN, {"content": "after the wait"})

    assert message["content"] == "after the wait"
    assert sleeps == [0.35]
    assert [call.status for call in discord.calls] == [429, 200]


def test_429_longer_than_the_cap_raises_without_waiting(rest, discord, sleeps):
    discord.rate_limit_next(retry_after=42.5, is_global=True)
    with pytest.raises(DiscordRateLimited) as caught:
        rest.create_followup(TOKEN, {"content": "x"})

    assert (caught.value.retry_after, caught.value.is_global) == (42.5, True)
    assert caught.value.status == 429
    assert sleeps == []
    assert len(discord.calls) == 1


def test_429_waits_count_against_one_budget(discord, sleeps):
    rest = DiscordRest(discord.base_url, APPLICATION_ID, max_rate_limit_wait=1.0, sleep=sleeps)
    discord.rate_limit_next(retry_after=0.4, times=3)
    with pytest.raises(DiscordRateLimited):
        rest.edit_original(TOKEN, {"content": "x"})
    assert sleeps == [0.4, 0.4]
    assert len(discord.calls) == 3


def test_429_retries_are_counted_even_when_waits_are_zero(rest, discord, sleeps):
    discord.rate_limit_next(retry_after=0, times=10)
    with pytest.raises(DiscordRateLimited) as caught:
        rest.create_followup(TOKEN, {"content": "x"})
    assert sleeps == [0, 0, 0, 0, 0]
    assert len(discord.calls) == 6
    assert str(caught.value) == (
        "Discord POST /webhooks/{application_id}/{interaction_token}: rate limited for 0s more; "
        "this call may wait 10s over 5 retries"
    )


def test_429_without_json_body_uses_retry_after_header(rest, discord, sleeps):
    discord.fail_next(status=429, body={}, headers={"Retry-After": "2"})
    rest.edit_original(TOKEN, {"content": "x"})
    assert sleeps == [2.0]


def test_401_expired_token_stops_at_once(rest, discord, sleeps):
    discord.expire_token(TOKEN)
    with pytest.raises(DiscordUnauthorized) as caught:
        rest.edit_original(TOKEN, {"content": "too late"})

    assert (caught.value.status, caught.value.code) == (401, 50027)
    assert len(discord.calls) == 1
    assert sleeps == []
    assert "Invalid Webhook Token" in str(caught.value)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_unavailable_and_not_repeated(rest, discord, sleeps, status):
    discord.fail_next(status=status)
    with pytest.raises(DiscordUnavailable) as caught:
        rest.create_followup(TOKEN, {"content": "x"})
    assert caught.value.status == status
    assert len(discord.calls) == 1
    assert sleeps == []


def test_unreachable_discord_is_unavailable(sleeps):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    rest = DiscordRest(f"http://127.0.0.1:{port}/api/v10", APPLICATION_ID, sleep=sleeps)
    with pytest.raises(DiscordUnavailable) as caught:
        rest.edit_original(TOKEN, {"content": "x"})
    assert str(caught.value) == (
        "Discord PATCH /webhooks/{application_id}/{interaction_token}/messages/@original: "
        "ConnectError (no response)"
    )
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_invalid_form_body_is_bad_request_with_field_errors(rest, discord):
    with pytest.raises(DiscordBadRequest) as caught:
        rest.edit_original(TOKEN, {"content": "x" * 2001})

    error = caught.value
    assert (error.status, error.code) == (400, 50035)
    assert error.errors == {
        "content": {
            "_errors": [
                {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}
            ]
        }
    }
    assert str(error).endswith(
        "400 Invalid Form Body (code 50035): content: Must be 2000 or fewer in length."
    )


def test_send_dm_opens_the_channel_once(rest, discord):
    first = rest.send_dm("424242424242424242", {"content": "Your OpenAI key stopped working."})
    second = rest.send_dm("424242424242424242", {"content": "again"})

    lines = [call.line for call in discord.calls]
    channel = first["channel_id"]
    assert lines == [
        "POST /users/@me/channels",
        f"POST /channels/{channel}/messages",
        f"POST /channels/{channel}/messages",
    ]
    assert discord.calls[0].json == {"recipient_id": "424242424242424242"}
    assert discord.calls[1].json == {
        "content": "Your OpenAI key stopped working.",
        "allowed_mentions": {"parse": []},
    }
    assert all(call.bot_auth for call in discord.calls)
    assert second["channel_id"] == channel


def test_send_dm_to_closed_dms_is_forbidden(rest, discord):
    discord.fail_next(
        "POST /channels/",
        status=403,
        body={"message": "Cannot send messages to this user", "code": 50007},
    )
    with pytest.raises(DiscordForbidden) as caught:
        rest.send_dm("5", {"content": "hello"})
    assert caught.value.code == 50007
    assert isinstance(caught.value, DiscordBadRequest)


def test_get_message_returns_the_linked_message(rest, discord):
    stored = discord.sink.add_message("7777", "what the user linked", embeds=[{"title": "t"}])
    fetched = rest.get_message("7777", stored["id"])
    assert fetched == stored
    assert fetched["content"] == "what the user linked"
    assert discord.calls[0].line == f"GET /channels/7777/messages/{stored['id']}"


def test_bot_routes_without_a_bot_token_fail_before_any_request(discord):
    rest = DiscordRest(discord.base_url, APPLICATION_ID)
    assert rest.has_bot_token is False
    with pytest.raises(DiscordUnauthorized, match="needs DISCORD_BOT_TOKEN, which is not set"):
        rest.send_dm("1", {"content": "x"})
    assert discord.calls == []


def test_wrong_bot_token_is_unauthorized(discord, sleeps):
    rest = DiscordRest(discord.base_url, APPLICATION_ID, "not-the-token", sleep=sleeps)
    with pytest.raises(DiscordUnauthorized) as caught:
        rest.get_commands()
    assert str(caught.value) == (
        "Discord GET /applications/{application_id}/commands: 401 401: Unauthorized"
    )
    assert sleeps == []


def test_commands_get_and_bulk_overwrite(rest, discord):
    desired = [{"name": "ping", "description": "Ping", "type": 1}]
    put = rest.bulk_overwrite_commands(desired, guild_id="999")
    got = rest.get_commands(guild_id="999")

    assert discord.calls[0].line == f"PUT /applications/{APPLICATION_ID}/guilds/999/commands"
    assert discord.calls[0].json == desired
    assert discord.calls[1].query == {"with_localizations": "true"}
    assert [c["name"] for c in put] == ["ping"] and got == put
    assert rest.get_commands() == []


def test_no_token_reaches_logs_errors_or_repr(discord, sleeps, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    rest = DiscordRest(discord.base_url, APPLICATION_ID, BOT_TOKEN, max_404_wait=0.5, sleep=sleeps)
    errors = []
    # Discord's message echoing a token must not carry it into our exception either.
    discord.fail_next("PATCH", status=400, body={"message": f"bad {TOKEN} {BOT_TOKEN}", "code": 1})
    discord.fail_next("PATCH", status=404, times=3)  # the whole 0.5 s window
    discord.rate_limit_next(retry_after=99, pattern="POST /webhooks")
    discord.fail_next("GET", status=500)
    for call in (
        lambda: rest.edit_original(TOKEN, {"content": "a"}),
        lambda: rest.edit_original(TOKEN, {"content": "b"}),
        lambda: rest.create_followup(TOKEN, {"content": "c"}),
        lambda: rest.get_message("1", "2"),
    ):
        with pytest.raises(Exception) as caught:
            call()
        errors.append(caught.value)
    discord.expire_token(TOKEN)
    with pytest.raises(DiscordUnauthorized) as caught:
        rest.edit_original(TOKEN, {"content": "d"})
    errors.append(caught.value)

    assert [type(e).__name__ for e in errors] == [
        "DiscordBadRequest",
        "DiscordNotFound",
        "DiscordRateLimited",
        "DiscordUnavailable",
        "DiscordUnauthorized",
    ]
    assert "[REDACTED]" in str(errors[0])
    out, err = capfd.readouterr()
    records = [str(vars(record)) for record in caplog.records]  # message, args and extras
    texts = [caplog.text, *records, out, err, repr(rest), *map(str, errors), *map(repr, errors)]
    for text in texts:
        assert TOKEN not in text and BOT_TOKEN not in text
    # httpx logs each URL; the webhook token in it is scrubbed, the rest kept.
    assert f"/webhooks/{APPLICATION_ID}/[REDACTED]/messages/@original" in caplog.text
    assert "Discord 404 on interaction webhook" in caplog.text


def test_from_settings_requires_an_application_id(discord):
    from tzurot.config import ConfigError, Settings

    with pytest.raises(ConfigError, match="DISCORD_APPLICATION_ID is not set"):
        DiscordRest.from_settings(Settings.from_env({}))
    rest = DiscordRest.from_settings(
        Settings.from_env(
            {"DISCORD_APPLICATION_ID": APPLICATION_ID, "DISCORD_API_BASE_URL": discord.base_url}
        )
    )
    assert (rest.base_url, rest.has_bot_token) == (discord.base_url, False)
    assert json.loads(json.dumps(rest.edit_original(TOKEN, {"content": "ok"})))["content"] == "ok"
