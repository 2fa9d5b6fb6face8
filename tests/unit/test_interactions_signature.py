"""The signature matrix: every failure is a bare 401 and touches nothing; valid is served."""

from __future__ import annotations

import base64
import json
import time

import pytest
from nacl.signing import SigningKey

from tests.fakes.interactions import DM, PUBLIC_KEY, Recorder, command, signed
from tzurot.dev import simulator
from tzurot.discord.endpoint import MAX_BODY_BYTES, InteractionEndpoint
from tzurot.discord.function_url import handle_event
from tzurot.discord.verify import InvalidPublicKey, SignatureVerifier

NOW = 1_800_000_000.0


def ping() -> dict:
    return simulator.interaction(simulator.PING, DM)


def flip(text: str, index: int = 0) -> str:
    """The same string with one hex digit or character changed."""
    swapped = "1" if text[index] != "1" else "2"
    return text[:index] + swapped + text[index + 1 :]


def serve(recorder: Recorder, headers: dict, body: bytes | None):
    return recorder.endpoint(clock=lambda: NOW).handle(headers, body)


def test_valid_signature_is_served():
    recorder = Recorder()
    headers, body = signed(ping(), at=NOW)
    response = serve(recorder, headers, body)
    assert (response.status, json.loads(response.body)) == (200, {"type": 1})
    assert response.headers == {"content-type": "application/json"}


def _tampered_cases():
    headers, body = signed(command("chat", "personality=lilith", "message=hi"), at=NOW)
    sig, ts = headers["X-Signature-Ed25519"], headers["X-Signature-Timestamp"]
    other_key = SigningKey(bytes(32))
    wrong_key_headers, _ = signed(body, key=other_key, at=NOW)
    stale_headers, _ = signed(body, at=NOW - 301)
    future_headers, _ = signed(body, at=NOW + 301)
    flipped_body = bytearray(body)
    flipped_body[len(body) // 2] ^= 0x01
    return {
        "wrong key": (wrong_key_headers, body),
        "flipped byte in body": (headers, bytes(flipped_body)),
        "extra byte in body": (headers, body + b" "),
        "flipped timestamp digit": ({**headers, "X-Signature-Timestamp": flip(ts, -1)}, body),
        "flipped signature byte (first)": ({**headers, "X-Signature-Ed25519": flip(sig)}, body),
        "flipped signature byte (last)": ({**headers, "X-Signature-Ed25519": flip(sig, -1)}, body),
        "stale (301 s old)": (stale_headers, body),
        "future (301 s ahead)": (future_headers, body),
        "missing signature": ({"X-Signature-Timestamp": ts}, body),
        "missing timestamp": ({"X-Signature-Ed25519": sig}, body),
        "no headers": ({}, body),
        "empty signature": ({**headers, "X-Signature-Ed25519": ""}, body),
        "short signature": ({**headers, "X-Signature-Ed25519": sig[:-2]}, body),
        "long signature": ({**headers, "X-Signature-Ed25519": sig + "00"}, body),
        "non-hex signature": ({**headers, "X-Signature-Ed25519": "zz" + sig[2:]}, body),
        "non-numeric timestamp": ({**headers, "X-Signature-Timestamp": "12ab"}, body),
        "negative timestamp": ({**headers, "X-Signature-Timestamp": "-" + ts}, body),
        "huge timestamp": ({**headers, "X-Signature-Timestamp": "9" * 400}, body),
        "unicode digits timestamp": ({**headers, "X-Signature-Timestamp": "١٨٠٠٠٠٠٠٠٠"}, body),
        "undecodable body": (headers, None),
    }


@pytest.mark.parametrize("case", list(_tampered_cases()))
def test_every_verification_failure_is_a_bare_401_that_touches_nothing(case):
    headers, body = _tampered_cases()[case]
    recorder = Recorder()
    response = serve(recorder, headers, body)
    assert (response.status, response.body, response.headers) == (401, b"", {})
    assert not recorder.touched


def test_window_edges_are_inclusive_at_five_minutes():
    body = json.dumps(ping()).encode()
    for at in (NOW - 300, NOW + 300):
        headers, _ = signed(body, at=at)
        assert serve(Recorder(), headers, body).status == 200


def test_header_names_are_case_insensitive():
    headers, body = signed(ping(), at=NOW)
    lowered = {key.lower(): value for key, value in headers.items()}
    upper = {key.upper(): value for key, value in headers.items()}
    assert serve(Recorder(), lowered, body).status == 200
    assert serve(Recorder(), upper, body).status == 200


def test_unconfigured_or_malformed_public_key_rejects_everything():
    headers, body = signed(ping(), at=NOW)
    for key in (None, "", "abc", "zz" * 32):
        recorder = Recorder()
        response = recorder.endpoint(public_key=key, clock=lambda: NOW).handle(headers, body)
        assert (response.status, response.body) == (401, b"")
    with pytest.raises(InvalidPublicKey, match="DISCORD_PUBLIC_KEY must be 64 hex characters"):
        SignatureVerifier("abc")


def test_oversized_body_is_413_before_any_verification():
    recorder = Recorder()
    big = b"{" + b" " * MAX_BODY_BYTES + b"}"
    headers, _ = signed(big, at=NOW)  # even correctly signed
    for hdrs in (headers, {}):
        response = serve(recorder, hdrs, big)
        assert (response.status, json.loads(response.body)) == (
            413,
            {"error": "request body too large"},
        )
    assert not recorder.touched


def test_exactly_one_mebibyte_is_not_too_large():
    recorder = Recorder()
    body = json.dumps(ping()).encode()
    body = body[:-1] + b" " * (MAX_BODY_BYTES - len(body)) + b"}"
    headers, _ = signed(body, at=NOW)
    assert serve(recorder, headers, body).status == 200


def test_verifier_rejects_bad_inputs_directly():
    verifier = SignatureVerifier(PUBLIC_KEY)
    headers, _ = signed(b"x", at=NOW)
    sig, ts = headers["X-Signature-Ed25519"], headers["X-Signature-Timestamp"]
    assert verifier.verify(sig, ts, b"x", NOW) is True
    assert verifier.verify(sig, ts, b"y", NOW) is False
    assert verifier.verify(None, ts, b"x", NOW) is False
    assert verifier.verify(sig, None, b"x", NOW) is False


# --- the Lambda Function URL adapter -------------------------------------------------------


def function_url_event(headers: dict, body: bytes, *, base64_body: bool, method: str = "POST"):
    return {
        "version": "2.0",
        "rawPath": "/",
        "headers": {key.lower(): value for key, value in headers.items()},
        "requestContext": {"http": {"method": method, "path": "/"}},
        "body": base64.b64encode(body).decode() if base64_body else body.decode(),
        "isBase64Encoded": base64_body,
    }


@pytest.fixture
def lambda_endpoint(monkeypatch):
    recorder = Recorder()
    endpoint = recorder.endpoint()
    monkeypatch.setattr("tzurot.discord.endpoint._default", endpoint)
    return recorder


@pytest.mark.parametrize("base64_body", [False, True])
def test_function_url_event_plain_and_base64_bodies_verify(lambda_endpoint, base64_body):
    headers, body = signed(ping())
    result = handle_event(function_url_event(headers, body, base64_body=base64_body))
    assert result == {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": '{"type":1}',
        "isBase64Encoded": False,
    }


def test_function_url_base64_body_is_verified_as_decoded_bytes(lambda_endpoint):
    headers, body = signed(ping())
    event = function_url_event(headers, body, base64_body=True)
    event["body"] = base64.b64encode(body + b"\n").decode()  # different bytes, same JSON
    assert handle_event(event)["statusCode"] == 401
    event["body"] = "not base64!!"
    assert handle_event(event) == {
        "statusCode": 401,
        "headers": {},
        "body": "",
        "isBase64Encoded": False,
    }
    assert not lambda_endpoint.touched


def test_function_url_oversized_base64_body_is_413_without_decoding(lambda_endpoint):
    event = function_url_event({}, b"", base64_body=True)
    event["body"] = "A" * (MAX_BODY_BYTES * 4 // 3 + 8)
    assert handle_event(event)["statusCode"] == 413


def test_function_url_rejects_other_methods(lambda_endpoint):
    headers, body = signed(ping())
    result = handle_event(function_url_event(headers, body, base64_body=False, method="GET"))
    assert (result["statusCode"], result["headers"], result["body"]) == (405, {"allow": "POST"}, "")


def test_stale_by_real_clock():
    """The default clock is the real one: a signature from ten minutes ago fails."""
    recorder = Recorder()
    headers, body = signed(ping(), at=time.time() - 600)
    endpoint = InteractionEndpoint(
        public_key=PUBLIC_KEY, send_job=recorder.send_job, seal=recorder.seal
    )
    assert endpoint.handle(headers, body).status == 401
