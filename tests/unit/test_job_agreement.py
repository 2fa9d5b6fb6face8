"""Finding 13: the endpoint and the worker agree on what a job is. A value JSON cannot carry
(NaN, Infinity, 1e400) is refused politely before a job exists; nothing is queued."""

from __future__ import annotations

import json

import pytest

from tests.fakes.interactions import Recorder, command, signed
from tzurot.discord import endpoint as ep
from tzurot.jobs.model import Job


def body_with(value: str) -> bytes:
    """A signed-ready /imagine whose `prompt` option is the raw JSON token `value`."""
    payload = command("imagine", "prompt=PLACEHOLDER")
    return json.dumps(payload).encode().replace(b'"PLACEHOLDER"', value.encode())


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e400", "-1e400"])
def test_non_finite_numbers_are_refused_politely_and_nothing_is_queued(value):
    recorder = Recorder()
    headers, body = signed(body_with(value))
    response = recorder.endpoint().handle(headers, body)
    assert response.status == 200
    assert json.loads(response.body) == {
        "type": 4,
        "data": {"content": ep.UNREADABLE_OPTION, "allowed_mentions": {"parse": []}, "flags": 64},
    }
    assert recorder.jobs == []


@pytest.mark.parametrize("value", ["1e300", "-0.5", "12", "true", '"a sunset"'])
def test_every_job_the_endpoint_queues_reads_back_in_the_worker(value):
    recorder = Recorder()
    headers, body = signed(body_with(value))
    response = recorder.endpoint().handle(headers, body)
    assert json.loads(response.body) == {"type": 5}
    [job] = recorder.jobs
    assert Job.from_message(job.to_message()) == job
