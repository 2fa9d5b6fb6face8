"""Hypothesis: whatever arrives, the endpoint answers 2xx/4xx, never 5xx, and only a correctly
signed, well-formed interaction ever reaches the queue."""

from __future__ import annotations

import base64
import copy
import json

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

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
header_names = st.sampled_from(
    ["x-signature-ed25519", "X-Signature-Timestamp", "content-type", "x-other"]
) | st.text(max_size=20)

BASES = [
    command("chat", "personality=lilith", "message=hello"),
    command("wallet", "set", "provider=openai"),
    command("config", "set-param", "name=temperature", "value=0.5"),
    command("config", "edit-advanced", "personality=lilith"),
    autocomplete("chat", "personality=li"),
    autocomplete("timezone", "set", "zone=eur"),
    modal_submit("wallet-set:openai", api_key="sk-abcdefghijklmnop"),
    modal_submit("config-advanced:lilith", advanced_parameters="{}"),
]


def _install(monkeypatch, recorder: Recorder) -> None:
    monkeypatch.setattr(endpoint_module, "_default", recorder.endpoint())


@FUZZ
@given(
    headers=st.dictionaries(header_names, st.text(max_size=140), max_size=4),
    body=st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode()),
    base64_body=st.booleans(),
)
def test_unsigned_anything_is_401_and_touches_nothing(monkeypatch, headers, body, base64_body):
    recorder = Recorder()
    _install(monkeypatch, recorder)
    event = {
        "headers": headers,
        "body": base64.b64encode(body).decode() if base64_body else body.decode("latin-1"),
        "isBase64Encoded": base64_body,
        "requestContext": {"http": {"method": "POST"}},
    }
    assert handle_event(event)["statusCode"] == 401
    assert not recorder.touched


@FUZZ
@given(data=st.data())
def test_signed_mutated_interactions_never_5xx(monkeypatch, data):
    recorder = Recorder()
    _install(monkeypatch, recorder)
    payload = mutate_json(data, copy.deepcopy(data.draw(st.sampled_from(BASES))), json_values)
    headers, body = signed(payload)
    event = {
        "headers": headers,
        "body": body.decode(),
        "isBase64Encoded": False,
        "requestContext": {"http": {"method": "POST"}},
    }
    result = handle_event(event)
    assert result["statusCode"] in (200, 400)
    answer = json.loads(result["body"])
    if result["statusCode"] == 400:
        assert answer == {"error": "bad request"}
        assert not recorder.touched
    else:
        assert answer["type"] in (1, 4, 5, 8, 9)
        assert len(recorder.jobs) == (1 if answer["type"] == 5 else 0)


@FUZZ
@given(payload=json_values)
def test_signed_arbitrary_json_never_5xx(monkeypatch, payload):
    recorder = Recorder()
    _install(monkeypatch, recorder)
    headers, body = signed(payload)
    response = endpoint_module.handle(headers, body)
    assert response.status == 400
    assert not recorder.touched
