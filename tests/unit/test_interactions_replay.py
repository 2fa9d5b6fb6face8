"""Finding 16: a signed interaction replayed within the signature window makes no second job."""

from __future__ import annotations

import json

from tests.fakes.interactions import Recorder, command, modal_submit, signed
from tzurot.discord.replay import RecentInteractions


def test_a_replayed_command_is_refused_and_enqueues_nothing():
    recorder = Recorder()
    endpoint = recorder.endpoint()
    headers, body = signed(command("chat", "personality=lilith", "message=hello"))
    first = endpoint.handle(headers, body)
    assert json.loads(first.body) == {"type": 5}
    for _ in range(5):
        again = endpoint.handle(headers, body)
        assert again.status == 400
        assert json.loads(again.body) == {"error": "interaction already received"}
    assert len(recorder.jobs) == 1
    assert recorder.sealed_tokens == [recorder.jobs[0].interaction_id]


def test_a_replayed_modal_submit_seals_the_key_once():
    recorder = Recorder()
    endpoint = recorder.endpoint()
    headers, body = signed(modal_submit("wallet-set:openai", api_key="sk-abcdefghijklmnop"))
    assert json.loads(endpoint.handle(headers, body).body)["type"] == 5
    assert endpoint.handle(headers, body).status == 400
    assert len(recorder.sealed) == 1 and len(recorder.jobs) == 1


def test_ids_are_forgotten_after_the_window_and_past_the_size():
    now = [0.0]
    recent = RecentInteractions(window=300, size=3, clock=lambda: now[0])
    assert recent.first_time("1") and not recent.first_time("1")
    now[0] = 299.0
    assert not recent.first_time("1")
    now[0] = 300.5
    assert recent.first_time("1")
    for name in "234":
        assert recent.first_time(name)
    assert recent.first_time("1") is True  # pushed out by the size bound (oldest first)
