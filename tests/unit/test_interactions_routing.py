"""Routing after a valid signature: responses (checked against Discord's schema), the jobs they
enqueue, polite answers for what the app does not know, 400 for what Discord would never send."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from tests.fakes.discord_spec import response_errors
from tests.fakes.interactions import (
    DM,
    GUILD,
    Recorder,
    autocomplete,
    command,
    modal_submit,
    signed,
)
from tzurot.dev import simulator
from tzurot.discord import components, prefill
from tzurot.discord import endpoint as ep
from tzurot.discord.autocomplete import PersonalityChoices, timezone_choices
from tzurot.discord.prefill import Prefill
from tzurot.jobs.model import Job


def call(recorder: Recorder, payload: dict | bytes):
    headers, body = signed(payload)
    response = recorder.endpoint().handle(headers, body)
    return response.status, (json.loads(response.body) if response.body else None)


@pytest.fixture
def valid(specs_dir):
    def check(body: dict) -> dict:
        assert response_errors(specs_dir, body) == []
        return body

    return check


def sent(job: Job, payload: dict) -> dict:
    """The SQS body of a recorded job, its sealed token checked and taken out: the token is
    nowhere in the body (not even its end), and the sealed one opens to it."""
    message = job.to_message()
    assert payload["token"] not in message and payload["token"][-12:] not in message
    body = json.loads(message)
    assert set(body.pop("token_sealed")) == {"kid", "box"}
    assert Recorder.opened(Job.from_message(message)) == payload["token"]
    return body


def expected_job(payload: dict, **fields) -> dict:
    """A job's body as `sent` returns it (no token in any form)."""
    user = (payload.get("member") or {}).get("user") or payload["user"]
    millis = (int(payload["id"]) >> 22) + 1_420_070_400_000
    job = {
        "version": 3,
        "source": "command",
        "interaction_id": payload["id"],
        "application_id": payload["application_id"],
        "user_id": user["id"],
        "username": user["username"],
        "channel_id": payload["channel_id"],
        "locale": "en-US",
        "attachment_size_limit": 10 * 1024 * 1024,
        "created_at": datetime.fromtimestamp(millis / 1000, UTC).isoformat().replace("+00:00", "Z"),
    }
    if payload.get("guild_id"):
        job["guild_id"] = payload["guild_id"]
    return job | fields


def test_chat_in_a_server_defers_publicly_and_enqueues_one_generate_job(valid):
    recorder = Recorder()
    payload = command("chat", "personality=lilith", "message=hello there")
    status, body = call(recorder, payload)
    assert (status, valid(body)) == (200, {"type": 5})
    assert [sent(job, payload) for job in recorder.jobs] == [
        expected_job(
            payload,
            queue="generate",
            command="chat",
            options={"personality": "lilith", "message": "hello there"},
            ephemeral=False,
        )
    ]


def test_imagine_goes_to_the_image_queue(valid):
    recorder = Recorder()
    payload = command("imagine", "prompt=a red fox", "size=1792x1024", who=DM)
    status, body = call(recorder, payload)
    assert (status, valid(body)) == (200, {"type": 5})
    assert sent(recorder.jobs[0], payload) == expected_job(
        payload,
        queue="image",
        command="imagine",
        options={"prompt": "a red fox", "size": "1792x1024"},
        ephemeral=False,
    )


@pytest.mark.parametrize(
    ("args", "subcommand", "options"),
    [
        (("wallet", "list"), "list", {}),
        (("wallet", "remove", "provider=anthropic"), "remove", {"provider": "anthropic"}),
        (("wallet", "test", "provider=google"), "test", {"provider": "google"}),
        (("config", "show"), "show", {}),
        (
            ("config", "set-param", "name=temperature", "value=0.7", "personality=lilith"),
            "set-param",
            {"name": "temperature", "value": 0.7, "personality": "lilith"},
        ),
        (
            ("config", "set-model", "provider=openrouter", "model=openai/gpt-4o-mini"),
            "set-model",
            {"provider": "openrouter", "model": "openai/gpt-4o-mini"},
        ),
        (("config", "reset"), "reset", {}),
        (("timezone", "set", "zone=Europe/London"), "set", {"zone": "Europe/London"}),
        (("timezone", "get"), "get", {}),
        (("usage", "period=week"), None, {"period": "week"}),
        (("admin", "usage", "period=month"), "usage", {"period": "month"}),
        (("help",), None, {}),
    ],
)
def test_private_commands_defer_ephemerally(valid, args, subcommand, options):
    recorder = Recorder()
    payload = command(*args)
    status, body = call(recorder, payload)
    assert (status, valid(body)) == (200, {"type": 5, "data": {"flags": 64}})
    fields = {"queue": "generate", "command": args[0], "options": options, "ephemeral": True}
    if subcommand:
        fields["subcommand"] = subcommand
    assert [sent(job, payload) for job in recorder.jobs] == [expected_job(payload, **fields)]


def test_personality_info_is_public():
    recorder = Recorder()
    assert call(recorder, command("personality", "info", "name=lilith")) == (200, {"type": 5})
    assert (recorder.jobs[0].command, recorder.jobs[0].subcommand) == ("personality", "info")


def test_ping_pongs(valid):
    recorder = Recorder()
    assert call(recorder, simulator.interaction(simulator.PING, DM)) == (200, valid({"type": 1}))
    assert not recorder.touched


def test_wallet_set_opens_a_modal_with_one_short_input(valid):
    recorder = Recorder()
    status, body = call(recorder, command("wallet", "set", "provider=openai"))
    assert status == 200
    assert valid(body) == {
        "type": 9,
        "data": {
            "custom_id": "wallet-set:openai",
            "title": "Your OpenAI API key",
            "components": [
                {
                    "type": 18,
                    "label": "API key",
                    "description": "Stored encrypted and used only for your own requests.",
                    "component": {
                        "type": 4,
                        "custom_id": "api_key",
                        "style": 1,
                        "required": True,
                        "placeholder": "paste your OpenAI key",
                        "min_length": 8,
                        "max_length": 512,
                    },
                }
            ],
        },
    }
    assert not recorder.touched


STORED_JSON = '{\n    "topK": 40,\n    "minP": 0.05\n}'


def advanced_form(title: str, custom_id: str, description: str, value: str | None) -> dict:
    field = {
        "type": 4,
        "custom_id": "advanced_parameters",
        "style": 2,
        "required": False,
        "placeholder": '{"frequencyPenalty": 0.5, "topK": 40}',
        "max_length": 4000,
    }
    if value is not None:
        field["value"] = value
    label = {
        "type": 18,
        "label": "Advanced parameters (JSON)",
        "description": description,
        "component": field,
    }
    return {"type": 9, "data": {"custom_id": custom_id, "title": title, "components": [label]}}


def test_config_edit_advanced_opens_prefilled_with_the_stored_value(valid):
    recorder = Recorder(prefill=Prefill(prefill.STORED, STORED_JSON))
    status, body = call(recorder, command("config", "edit-advanced", "personality= lilith "))
    assert status == 200
    assert valid(body) == advanced_form(
        "Advanced: lilith",
        "config-advanced:lilith",
        "Your current ones are filled in. What you submit replaces them; empty clears them.",
        STORED_JSON,
    )
    # Asked for this user and scope; nothing enqueued or sealed.
    assert recorder.prefills == [(GUILD.user_id, "lilith")]
    assert (recorder.jobs, recorder.sealed) == ([], [])


def test_config_edit_advanced_for_the_defaults_and_with_nothing_stored(valid):
    recorder = Recorder()  # the prefill answers "none stored"
    _, body = call(recorder, command("config", "edit-advanced", who=DM))
    assert valid(body) == advanced_form(
        "Advanced parameters (defaults)",
        "config-advanced:",
        "You have none of your own yet (/config show lists what applies now).",
        None,
    )
    assert recorder.prefills == [(DM.user_id, None)]


@pytest.mark.parametrize(
    ("status", "note"),
    [
        (
            prefill.UNAVAILABLE,
            "Couldn't load your current ones (see /config show). This replaces them.",
        ),
        (
            prefill.TOO_LONG,
            "Yours are too long to show here (see /config show). This replaces them.",
        ),
    ],
)
def test_config_edit_advanced_opens_empty_with_a_note_when_it_cannot_prefill(valid, status, note):
    recorder = Recorder(prefill=Prefill(status))
    _, body = call(recorder, command("config", "edit-advanced", "personality=lilith"))
    assert valid(body) == advanced_form("Advanced: lilith", "config-advanced:lilith", note, None)
    assert recorder.jobs == []


def test_config_edit_advanced_for_an_unknown_personality_says_so_instead(valid):
    recorder = Recorder(prefill=Prefill(prefill.UNKNOWN_PERSONALITY))
    _, body = call(recorder, command("config", "edit-advanced", "personality=nobody"))
    assert valid(body) == {
        "type": 4,
        "data": {
            "content": "I don't know a personality called “nobody”. Start typing its name to "
            "pick one from the list, then run `/config edit-advanced` again.",
            "allowed_mentions": {"parse": []},
            "flags": 64,
        },
    }
    assert recorder.jobs == []


def test_wallet_modal_submit_seals_the_key_and_enqueues_only_the_blob(valid):
    recorder = Recorder()
    key = "sk-proj-abcdefghijklmnop1234567890"
    payload = modal_submit("wallet-set:openai", api_key=f"  {key}\n")
    status, body = call(recorder, payload)
    assert (status, valid(body)) == (200, {"type": 5, "data": {"flags": 64}})
    assert recorder.sealed == [
        {"secret": key, "user_id": GUILD.user_id, "provider": "openai", "id": payload["id"]}
    ]
    message = recorder.jobs[0].to_message()
    assert key not in message
    assert sent(recorder.jobs[0], payload) == expected_job(
        payload,
        queue="generate",
        source="modal",
        command="wallet",
        subcommand="set",
        options={"provider": "openai"},
        ephemeral=True,
        sealed_key=json.loads(recorder.jobs[0].to_message())["sealed_key"],
    )
    assert Recorder.opened_key(recorder.jobs[0]) == key
    assert key not in recorder.jobs[0].to_message()
    assert key not in repr(recorder.jobs[0]) and payload["token"] not in repr(recorder.jobs[0])


def test_wallet_modal_in_action_row_layout_is_read_too():
    recorder = Recorder()
    payload = modal_submit("wallet-set:elevenlabs")
    payload["data"]["components"] = [
        {"type": 1, "components": [{"type": 4, "custom_id": "api_key", "value": "sk_0123456789"}]}
    ]
    assert call(recorder, payload) == (200, {"type": 5, "data": {"flags": 64}})
    assert recorder.sealed[0]["secret"] == "sk_0123456789"


def test_config_advanced_submit_enqueues_the_text():
    recorder = Recorder()
    payload = modal_submit(
        "config-advanced:lilith", advanced_parameters=' {"frequencyPenalty": 0.5} '
    )
    assert call(recorder, payload) == (200, {"type": 5, "data": {"flags": 64}})
    job = recorder.jobs[0]
    assert (job.source, job.command, job.subcommand) == ("modal", "config", "edit-advanced")
    assert job.options == {
        "advanced_parameters": '{"frequencyPenalty": 0.5}',
        "personality": "lilith",
    }
    cleared = modal_submit("config-advanced:", advanced_parameters="")
    call(recorder, cleared)
    assert recorder.jobs[1].options == {"advanced_parameters": ""}


POLITE = {"flags": 64, "allowed_mentions": {"parse": []}}


@pytest.mark.parametrize(
    ("payload", "text"),
    [
        (modal_submit("wallet-set:openai", api_key="   "), ep.NO_KEY_ENTERED),
        (modal_submit("wallet-set:openai", api_key="k" * 513), ep.KEY_TOO_LONG),
        (modal_submit("wallet-set:myspace", api_key="sk-whatever-123"), ep.EXPIRED_COMPONENT),
        (modal_submit("someone-elses-modal", x="y"), ep.EXPIRED_COMPONENT),
        (
            command("wallet", "set", "provider=myspace"),
            ep.INVALID_OPTIONS.format(
                problems="`provider` must be one of: openai, anthropic, google, openrouter, "
                "elevenlabs"
            ),
        ),
    ],
)
def test_bad_modal_inputs_get_a_polite_private_message(valid, payload, text):
    recorder = Recorder()
    status, body = call(recorder, payload)
    assert (status, valid(body)) == (200, {"type": 4, "data": {"content": text, **POLITE}})
    assert not recorder.touched


def test_unknown_commands_and_subcommands_are_polite_not_errors(valid):
    recorder = Recorder()
    unknown = command("help")
    unknown["data"]["name"] = "dance"
    no_sub = command("help")
    no_sub["data"]["name"] = "wallet"
    bad_sub = command("wallet", "list")
    bad_sub["data"]["options"][0]["name"] = "steal"
    stray_sub = command("help")
    stray_sub["data"]["options"] = [{"name": "x", "type": 1, "options": []}]
    for payload in (unknown, no_sub, bad_sub, stray_sub):
        status, body = call(recorder, payload)
        assert (status, valid(body)) == (
            200,
            {"type": 4, "data": {"content": ep.UNKNOWN_COMMAND, **POLITE}},
        )
    assert not recorder.touched


def _click(custom_id: str, who=GUILD) -> dict:
    return simulator.interaction(3, who, {"custom_id": custom_id, "component_type": 2})


def _updated(content: str) -> dict:
    no_pings = {"allowed_mentions": {"parse": []}}
    return {"type": 7, "data": {"content": content, "components": [], **no_pings}}


def test_unknown_component_clicks_are_answered_as_expired(valid):
    recorder = Recorder()
    status, body = call(recorder, _click("old-button"))
    assert (status, valid(body)) == (200, _updated(ep.EXPIRED_COMPONENT))
    assert not recorder.touched


def test_confirmation_buttons_cancel_expire_or_become_one_job(valid):
    now = 1_800_000_000
    recorder = Recorder()
    endpoint = recorder.endpoint(clock=lambda: now)

    def click(custom_id: str, who=GUILD) -> dict:
        headers, body = signed(_click(custom_id, who), at=now)
        return json.loads(endpoint.handle(headers, body).body)

    def button(confirm: bool, issued: int, user: str = GUILD.user_id) -> str:
        return components.custom_id(confirm, "memory-clear", "p-1", issued, user)

    assert valid(click(button(False, now))) == _updated(components.CANCELLED)
    stale = button(True, now - components.CONFIRM_SECONDS - 1)
    assert valid(click(stale)) == _updated(components.EXPIRED)
    assert click(button(True, now), who=replace(GUILD, user_id="999999999999999999")) == {
        "type": 4,
        "data": {"content": components.NOT_YOURS, **POLITE},
    }
    assert not recorder.touched

    payload = _click(button(True, now - 10))
    headers, body = signed(payload, at=now)
    assert valid(json.loads(endpoint.handle(headers, body).body)) == {"type": 6}
    [job] = recorder.jobs
    assert (job.source, job.command, job.subcommand, job.options, job.ephemeral) == (
        "component",
        "memory",
        "clear",
        {"scope": "p-1"},
        True,
    )
    assert Recorder.opened(job) == payload["token"]


def test_memory_autocomplete_asks_for_the_users_own(valid):
    seen = []
    recorder = Recorder()
    endpoint = recorder.endpoint(
        memories=lambda user, typed: seen.append((user, typed)) or [("2026-03-01 Ada: cat", "7")]
    )
    headers, body = signed(autocomplete("memory", "forget", "memory=cat"))
    answer = json.loads(endpoint.handle(headers, body).body)
    assert valid(answer) == {
        "type": 8,
        "data": {"choices": [{"name": "2026-03-01 Ada: cat", "value": "7"}]},
    }
    assert seen == [(GUILD.user_id, "cat")]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",
        b"null",
        b'{"type": 1}',
        b'{"id": "1", "application_id": "2", "type": "ping", "token": "t"}',
        b'{"id": "abc", "application_id": "2", "type": 1, "token": "t"}',
        b'{"id": "1", "application_id": "2", "type": 1, "token": ""}',
        b"[" * 100_000 + b"]" * 100_000,
    ],
)
def test_malformed_bodies_are_400(body):
    recorder = Recorder()
    assert call(recorder, body) == (400, {"error": "bad request"})
    assert not recorder.touched


@pytest.mark.parametrize("kind", [0, 6, 99, -1])
def test_unknown_interaction_types_are_400(kind):
    recorder = Recorder()
    payload = command("chat", "personality=a", "message=b")
    payload["type"] = kind
    assert call(recorder, payload) == (400, {"error": "bad request"})
    assert not recorder.touched


def test_a_command_without_a_user_is_400():
    recorder = Recorder()
    payload = command("chat", "personality=a", "message=b")
    del payload["member"]
    assert call(recorder, payload) == (400, {"error": "bad request"})
    assert not recorder.touched


def test_queue_outage_gets_a_polite_retry_message(valid):
    recorder = Recorder(queue_down=True)
    status, body = call(recorder, command("chat", "personality=lilith", "message=hi"))
    assert (status, valid(body)) == (200, {"type": 4, "data": {"content": ep.TRY_AGAIN, **POLITE}})


def test_sealing_failure_on_wallet_submit_enqueues_nothing(valid):
    recorder = Recorder(sealing_down=True)
    status, body = call(recorder, modal_submit("wallet-set:openai", api_key="sk-abcdefgh12345"))
    assert (status, valid(body)) == (200, {"type": 4, "data": {"content": ep.TRY_AGAIN, **POLITE}})
    assert recorder.jobs == []


def test_sealing_failure_for_the_token_enqueues_nothing(valid, caplog):
    recorder = Recorder(sealing_down=True)
    payload = command("chat", "personality=lilith", "message=hi")
    status, body = call(recorder, payload)
    assert (status, valid(body)) == (200, {"type": 4, "data": {"content": ep.TRY_AGAIN, **POLITE}})
    assert (recorder.jobs, recorder.sealed_tokens) == ([], [])
    (record,) = [r for r in caplog.records if r.name == "interactions"]
    assert (record.getMessage(), record.interaction_id, record.error) == (
        "could not seal interaction token",
        payload["id"],
        "TRANSIT_PUBLIC_KEY is not set",
    )


# --- autocomplete ---------------------------------------------------------------------------


def test_personality_autocomplete_uses_the_lookup(valid):
    recorder = Recorder(names=[("Lilith", "lilith"), ("lil (Lilith)", "lilith"), ("Bob", "bob")])
    status, body = call(recorder, autocomplete("chat", "personality=LIL"))
    assert (status, valid(body)) == (
        200,
        {
            "type": 8,
            "data": {
                "choices": [
                    {"name": "Lilith", "value": "lilith"},
                    {"name": "lil (Lilith)", "value": "lilith"},
                ]
            },
        },
    )
    # Every personality option autocompletes from the same source.
    for args in (
        ("imagine", "prompt=x", "personality=b"),
        ("config", "show", "personality=b"),
        ("personality", "info", "name=b"),
    ):
        assert call(recorder, autocomplete(*args))[1]["data"]["choices"] == [
            {"name": "Bob", "value": "bob"}
        ]
    assert recorder.lookups == ["LIL", "b", "b", "b"]
    assert recorder.jobs == []


def test_timezone_autocomplete_needs_no_database(valid):
    recorder = Recorder()
    status, body = call(recorder, autocomplete("timezone", "set", "zone=new y"))
    assert (status, valid(body)) == (
        200,
        {
            "type": 8,
            "data": {"choices": [{"name": "America/New_York", "value": "America/New_York"}]},
        },
    )
    assert not recorder.touched


def test_autocomplete_leaves_out_values_longer_than_the_option_accepts(valid):
    # The personality options take at most 80 characters; slugs may have up to 100.
    fits, too_long = "a" * 80, "b" * 81
    recorder = Recorder(names=[("Fits", fits), ("Too long", too_long), ("Longer", "c" * 120)])
    status, body = call(recorder, autocomplete("chat", "personality="))
    assert (status, valid(body)) == (
        200,
        {"type": 8, "data": {"choices": [{"name": "Fits", "value": fits}]}},
    )


def test_autocomplete_of_a_non_autocomplete_option_is_empty(valid):
    recorder = Recorder()
    assert call(recorder, autocomplete("chat", "message=hi")) == (
        200,
        valid({"type": 8, "data": {"choices": []}}),
    )
    assert not recorder.touched


def test_timezone_choices_rank_prefix_then_substring_and_cap_at_25():
    assert timezone_choices("london") == [("Europe/London", "Europe/London")]
    assert timezone_choices("utc")[0] == ("UTC", "UTC")
    europe = timezone_choices("europe/")
    assert len(europe) == 25 and all(name.startswith("Europe/") for name, _ in europe)
    # City prefixes (Europe/Berlin) rank before zones that merely contain "ber" (Cambridge?).
    ranked = [name for name, _ in timezone_choices("ber")]
    first_contains = next(
        i for i, n in enumerate(ranked) if not n.rpartition("/")[2].startswith("Ber")
    )
    assert ranked.index("Europe/Berlin") < first_contains
    assert all(not n.rpartition("/")[2].startswith("Ber") for n in ranked[first_contains:])
    assert timezone_choices("")[0] == ("UTC", "UTC")
    assert timezone_choices("no-such-zone-anywhere") == []


def test_personality_cache_is_per_query_and_expires():
    calls: list[str] = []
    now = [100.0]

    def lookup(query: str, viewer: str | None = None):
        calls.append(query)
        return [(query.title(), query)]

    choices = PersonalityChoices(lookup, ttl=30, clock=lambda: now[0])
    assert choices("Lil") == [("Lil", "lil")]
    assert choices(" lil ") == [("Lil", "lil")]
    assert calls == ["lil"]
    now[0] += 31
    choices("lil")
    assert calls == ["lil", "lil"]
    # per viewer: one user's answer (their private characters) is never another's
    choices("lil", "100000000000000001")
    choices("lil", "100000000000000002")
    choices("lil", "100000000000000001")
    assert calls == ["lil", "lil", "lil", "lil"]


def test_personality_lookup_failure_shows_no_choices():
    from tzurot.discord.autocomplete import LookupFailed

    def broken(query: str, viewer: str | None = None):
        raise LookupFailed("DatabaseUnavailable")

    assert PersonalityChoices(broken)("lil") == []


def test_job_round_trips_and_rejects_other_versions():
    from pydantic import ValidationError

    from tzurot.jobs.model import TokenNotOpened, UnsupportedJobVersion

    recorder = Recorder()
    payload = command("chat", "personality=lilith", "message=hi")
    call(recorder, payload)
    job = recorder.jobs[0]
    parsed = Job.from_message(job.to_message())
    assert parsed == job
    # The token is not part of the message: a parsed job must have it opened first.
    with pytest.raises(TokenNotOpened) as info:
        _ = parsed.interaction_token
    assert str(info.value) == "the job's interaction token has not been opened"
    opened = parsed.with_token(Recorder.opened(parsed))
    assert opened.interaction_token == payload["token"]
    assert payload["token"] not in repr(opened) and payload["token"] not in opened.to_message()
    body = json.loads(job.to_message())
    # Version 1 carried the token in clear, version 2 a KMS-wrapped one: refused with a clear
    # error, as is any other.
    old = {k: v for k, v in body.items() if k != "token_sealed"}
    old |= {"version": 1, "interaction_token": payload["token"]}
    v2 = body | {
        "version": 2,
        "token_sealed": {"wrapped_key": "AA==", "nonce": "AA==", "ciphertext": "AA=="},
    }
    for version, message in (
        (1, old),
        (2, v2),
        (4, body | {"version": 4}),
        ("3", body | {"version": "3"}),
    ):
        with pytest.raises(UnsupportedJobVersion) as info:
            Job.from_message(json.dumps(message))
        assert str(info.value) == (
            f"job version {version!r} is not supported (this worker reads version 3 only)"
        )
    # A version-3 body with a token in clear is not a job.
    with pytest.raises(ValidationError):
        Job.from_message(json.dumps(body | {"interaction_token": payload["token"]}))
    with pytest.raises(ValidationError):
        Job.from_message(
            json.dumps(body | {"token_sealed": {**body["token_sealed"], "box": "AA=="}})
        )
