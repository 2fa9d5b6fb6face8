"""Metrics (EMF lines on stdout) and interaction-id correlation across log lines."""

from __future__ import annotations

import io
import json
import logging
import time
from types import SimpleNamespace

import pytest

from tzurot import observability
from tzurot.logs import get_logger

# Not "tzurot": a logger of that name would be the parent of the package's "tzurot.*" loggers
# and print their records a second time for the rest of this test process.
SERVICE = "observability-test"


@pytest.fixture
def lines(capsys, monkeypatch):
    """Returns a function giving the JSON lines written so far: log lines, then metric lines."""
    monkeypatch.setitem(observability._state, "cold", True)
    monkeypatch.setitem(observability._state, "function", "local")
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    # powertools binds its handler to the stdout of the moment the logger was first made, which
    # pytest's capture may have replaced since: send the log lines to a buffer of this test.
    logs = io.StringIO()
    for service in (SERVICE, "interactions"):
        get_logger(service)
        for handler in logging.getLogger(service).handlers:
            monkeypatch.setattr(handler, "stream", logs)
    capsys.readouterr()

    def read() -> list[dict]:
        text = logs.getvalue() + capsys.readouterr().out
        logs.seek(0)
        logs.truncate()
        return [json.loads(line) for line in text.splitlines() if line.startswith("{")]

    yield read
    for name in observability._log_keys:
        observability._set_log_key(name, None)


def _metrics(lines: list[dict]) -> list[tuple[str, float, dict]]:
    found = []
    for line in lines:
        if "_aws" not in line:
            continue
        directive = line["_aws"]["CloudWatchMetrics"][0]
        assert directive["Namespace"] == "Tzurot"
        (metric,) = directive["Metrics"]
        dims = {name: line[name] for name in directive["Dimensions"][0]}
        value = line[metric["Name"]]
        found.append((metric["Name"], value[0] if isinstance(value, list) else value, dims))
    return found


def test_instrumented_handler_emits_cold_start_once_and_correlates(lines):
    seen = []

    @observability.instrument("generate")
    def handler(event, context):
        for record in event["Records"]:
            with observability.correlated(observability.interaction_id_of(record)):
                get_logger(SERVICE).info("processing job")
                observability.record_job("chat", "ok")
        get_logger(SERVICE).info("batch done")
        seen.append(context)
        return {"batchItemFailures": []}

    event = {"Records": [{"messageId": "m1", "body": json.dumps({"interaction_id": "111"})}]}
    context = SimpleNamespace(aws_request_id="req-1")
    assert handler(event, context) == {"batchItemFailures": []}
    assert handler(event, None) == {"batchItemFailures": []}

    printed = lines()
    assert _metrics(printed) == [
        ("ColdStart", 1.0, {"function": "generate"}),
        ("Jobs", 1.0, {"function": "generate", "command": "chat", "outcome": "ok"}),
        ("Jobs", 1.0, {"function": "generate", "command": "chat", "outcome": "ok"}),
    ]
    logs = [line for line in printed if "message" in line]
    keys = [
        (log["message"], log.get("correlation_id"), log.get("function_request_id")) for log in logs
    ]
    assert keys == [
        ("processing job", "111", "req-1"),
        ("batch done", None, "req-1"),
        ("processing job", "111", None),
        ("batch done", None, None),
    ]
    assert {log["function_name"] for log in logs} == {"generate"}


def test_correlation_reaches_every_logger_and_is_cleared_per_invocation(lines):
    @observability.instrument("interactions")
    def handler(event, context):
        get_logger("interactions").info("before")
        observability.correlate(event["id"])
        get_logger(SERVICE).info("after")
        # A call's own extra keys are kept as they are (and never clash with ours).
        get_logger("interactions").info("extra", extra={"interaction_id": "333"})

    handler({"id": "222"}, None)
    handler({"id": "not-a-snowflake"}, None)

    logs = [
        (line["service"], line["message"], line.get("correlation_id"), line.get("interaction_id"))
        for line in lines()
        if "message" in line
    ]
    assert logs == [
        ("interactions", "before", None, None),
        (SERVICE, "after", "222", None),
        ("interactions", "extra", "222", "333"),
        ("interactions", "before", None, None),
        (SERVICE, "after", None, None),
        ("interactions", "extra", None, "333"),
    ]


def test_provider_latency_and_tokens(lines, monkeypatch):
    monkeypatch.setitem(observability._state, "function", "image")
    clock = iter([10.0, 10.25])
    monkeypatch.setattr(observability.time, "perf_counter", lambda: next(clock))

    with pytest.raises(TimeoutError), observability.provider_timer("openai"):
        raise TimeoutError("provider timed out")
    observability.record_tokens("openrouter", prompt=120, completion=0)
    observability.record_tokens("openrouter", prompt=5, completion=42)

    assert _metrics(lines()) == [
        ("ProviderLatency", 250.0, {"function": "image", "provider": "openai"}),
        ("Tokens", 120.0, {"function": "image", "provider": "openrouter", "kind": "prompt"}),
        ("Tokens", 5.0, {"function": "image", "provider": "openrouter", "kind": "prompt"}),
        ("Tokens", 42.0, {"function": "image", "provider": "openrouter", "kind": "completion"}),
    ]


def test_unexpected_dimension_values_are_folded(lines):
    observability.record_job("chat", "user said: hello there")
    observability.record_job("chat" * 20, "ok")

    assert [dims for _, _, dims in _metrics(lines())] == [
        {"function": "local", "command": "chat", "outcome": "other"},
        {"function": "local", "command": "other", "outcome": "ok"},
    ]


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (
            {"body": '{"interaction_id": "1234567890123456789", "queue": "generate"}'},
            "1234567890123456789",
        ),
        ({"body": '{"interaction_id": 5}'}, None),
        ({"body": "not json"}, None),
        ({"body": "[1, 2]"}, None),
        ({}, None),
    ],
)
def test_interaction_id_of_sqs_record(record, expected):
    assert observability.interaction_id_of(record) == expected


def test_the_worker_counts_every_record_by_outcome(lines, monkeypatch):
    """The real generate entry point: a job past its token, a job whose database is down (it
    goes back to the queue), and a message that is not a job."""
    from tests.deploy.handlers import load_app
    from tests.deploy.test_events import make_events

    monkeypatch.setenv("DATABASE_URL", "postgresql://tzurot@127.0.0.1:9/none?connect_timeout=2")
    monkeypatch.setenv("DISCORD_APPLICATION_ID", make_events.APPLICATION_ID)
    handler = load_app("generate").handler
    expired = json.loads((make_events.HERE / "sqs-generate.json").read_text())
    fresh = make_events.build(int(time.time()))["sqs-generate"]
    poison = {"Records": [{**fresh["Records"][0], "messageId": "poison", "body": "not a job"}]}

    assert handler(expired, None) == {"batchItemFailures": []}
    assert handler(fresh, None) == {
        "batchItemFailures": [{"itemIdentifier": fresh["Records"][0]["messageId"]}]
    }
    assert handler(poison, None) == {"batchItemFailures": [{"itemIdentifier": "poison"}]}

    jobs = [dims for name, _, dims in _metrics(lines()) if name == "Jobs"]
    assert jobs == [
        {"function": "generate", "command": "chat", "outcome": "expired"},
        {"function": "generate", "command": "chat", "outcome": "retry"},
        {"function": "generate", "command": "other", "outcome": "invalid"},
    ]
