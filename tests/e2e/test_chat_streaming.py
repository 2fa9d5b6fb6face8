"""Streamed answers end to end: each fake provider streams its real SSE format token by token;
the worker edits the deferred message as text arrives (at most once per second), honours a 429
on an edit without losing text, finishes with the final content, records usage once from the
stream's final usage, and a redelivery after a cut stream shows the new answer once."""

from __future__ import annotations

import itertools

import pytest

from tests.e2e.chat_stack import GUILD, PERSONALITIES
from tzurot.commands import streamed_answer
from tzurot.commands.streamed_answer import CURSOR

ANSWER = "one two three four five six seven eight nine ten eleven twelve"


@pytest.fixture
def streaming(chat, monkeypatch):
    monkeypatch.setattr(streamed_answer, "STREAM_BY_DEFAULT", True)
    return chat


def patches(chat, payload) -> list:
    return [call for call in chat.calls(payload["token"]) if call.method == "PATCH"]


def shown(call) -> str:
    return call.json["embeds"][0]["description"]


def assert_streamed_request(provider: str, request) -> None:
    if provider in ("openai", "openrouter"):
        assert request.json["stream"] is True
        assert request.json["stream_options"] == {"include_usage": True}
    elif provider == "anthropic":
        assert request.json["stream"] is True
    else:
        assert request.path.endswith(":streamGenerateContent")
        assert request.query == {"alt": "sse"}
    assert request.headers["accept"] == "text/event-stream"


@pytest.mark.parametrize("slug", list(PERSONALITIES))
def test_each_provider_streams_into_paced_edits_then_the_final_answer(streaming, slug):
    chat = streaming
    _, provider, model = PERSONALITIES[slug]
    chat.store_key(provider)
    fake = chat.provider(provider)
    fake.queue_reply(text=ANSWER, tokens_in=40, tokens_out=12, token_delay=0.2)

    payload, result = chat.chat(slug, "count to twelve")

    assert result == {"batchItemFailures": []}
    assert len(fake.requests) == 1
    assert_streamed_request(provider, fake.last_request)
    edits = patches(chat, payload)
    progressive, final = edits[:-1], edits[-1]
    assert len(progressive) >= 2  # 2.4 s of tokens: the first at once, then about one a second
    for call in progressive:
        assert shown(call).endswith(CURSOR)
        assert ANSWER.startswith(shown(call).removesuffix(CURSOR))
    assert [len(shown(c)) for c in progressive] == sorted({len(shown(c)) for c in progressive})
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(progressive)]
    assert min(gaps) >= streamed_answer.MIN_EDIT_INTERVAL * 0.95
    # The final edit goes at once: the worker does not wait out the second after the last one.
    assert final.at - progressive[-1].at < streamed_answer.MIN_EDIT_INTERVAL
    assert shown(final) == ANSWER  # the final content, once, without the cursor
    assert [c.line.split()[0] for c in chat.calls(payload["token"])] == ["PATCH"] * len(edits)
    # Usage once, from the stream's final usage; history holds the whole answer.
    assert chat.usage_rows() == [(GUILD.user_id, slug, provider, model, 40, 12, 52, "text", "user")]
    assert [row[3] for row in chat.history_rows()] == ["count to twelve", ANSWER]


def test_a_rate_limited_edit_is_skipped_and_no_text_is_lost(streaming):
    chat = streaming
    chat.store_key("openai")
    chat.provider("openai").queue_reply(text=ANSWER, token_delay=0.25)
    body = {"message": "You are being rate limited.", "retry_after": 1.5, "global": False}
    chat.discord.fail_next(r"PATCH /webhooks/", status=429, after=1, body=body)

    payload, result = chat.chat("ada", "count")

    assert result == {"batchItemFailures": []}
    edits = patches(chat, payload)
    statuses = [call.status for call in edits]
    assert statuses[:2] == [200, 429] and set(statuses[2:]) == {200}
    limited = edits[1]
    after = edits[2]
    assert after.at - limited.at >= 1.5 * 0.95  # retry_after honoured, not retried at once
    assert len(shown(after)) > len(shown(limited))  # the text that arrived meanwhile is there
    assert shown(edits[-1]) == ANSWER


def test_redelivery_after_a_cut_stream_shows_the_new_answer_once(streaming):
    chat = streaming
    chat.store_key("anthropic")
    fake = chat.provider("anthropic")
    fake.queue_reply(text="first attempt that breaks off here", cut_after=3, token_delay=0.05)
    fake.queue_reply(text="The whole second answer.", tokens_in=20, tokens_out=5)
    payload = chat.interact("sonnet", "hello")

    first = chat.receive()
    assert chat.deliver(first) == {"batchItemFailures": [{"itemIdentifier": first[0]["MessageId"]}]}
    partial = patches(chat, payload)
    assert [shown(call) for call in partial] == ["first" + CURSOR]  # shown while it streamed
    assert chat.usage_rows() == [] and chat.history_rows() == []

    assert chat.deliver() == {"batchItemFailures": []}
    edits = patches(chat, payload)
    assert shown(edits[-1]) == "The whole second answer."
    assert "first attempt" not in shown(edits[-1])
    assert not [c for c in chat.calls(payload["token"]) if c.method == "POST"]  # no followups
    assert [row[4:7] for row in chat.usage_rows()] == [(20, 5, 25)]
    assert [row[3] for row in chat.history_rows()] == ["hello", "The whole second answer."]
    assert chat.status(payload["id"]) == ("done", 2)


def test_stream_response_false_in_the_config_answers_in_one_edit(streaming):
    chat = streaming
    chat.store_key("openai")
    chat.db.execute(
        "UPDATE llm_configs SET advanced_parameters = '{\"streamResponse\": false}' "
        "WHERE name = 'ada-config'"
    )
    chat.provider("openai").queue_reply(text=ANSWER, token_delay=0.2)
    payload, _ = chat.chat("ada", "count")
    assert "stream" not in chat.provider("openai").last_request.json
    assert [shown(call) for call in patches(chat, payload)] == [ANSWER]


def test_the_fakes_rate_limit_is_honoured_and_no_text_is_lost(streaming, monkeypatch):
    """Discord's bucket (5 edits per 5 s per message here) enforced by the fake, against a worker
    made to edit far too often: every 429 is waited out (nothing is sent to that message
    before its retry_after is over) and the final answer is whole."""
    chat = streaming
    monkeypatch.setattr(streamed_answer, "MIN_EDIT_INTERVAL", 0.05)
    chat.discord.enforce_rate_limit(r"^PATCH /webhooks/", limit=5, per=5.0)
    chat.store_key("openai")
    text = " ".join(f"w{n}" for n in range(30))
    chat.provider("openai").queue_reply(text=text, token_delay=0.1)

    payload, result = chat.chat("ada", "count")

    assert result == {"batchItemFailures": []}
    edits = patches(chat, payload)
    limited = [call for call in edits if call.status == 429]
    assert limited  # the worker did go too fast, and Discord said so
    for call in limited:
        retry_after = call.response["retry_after"]
        later = [c for c in edits if c.at > call.at]
        assert later and later[0].at - call.at >= retry_after * 0.95
    accepted = [call for call in edits if call.status == 200]
    assert all(b.at - a.at >= 0 for a, b in itertools.pairwise(accepted))
    assert shown(accepted[-1]) == text  # the final edit carries every word
    for call in accepted[:-1]:
        assert text.startswith(shown(call).removesuffix(CURSOR))
