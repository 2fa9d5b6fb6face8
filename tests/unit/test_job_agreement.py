"""Finding 13: the endpoint and the worker agree on what a job is. A value JSON cannot carry
(NaN, Infinity, 1e400) is refused politely before a job exists; nothing is queued."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from tests.fakes.interactions import Recorder, command, signed
from tzurot.jobs.model import Job, NotAJob


def body_with(value: str) -> bytes:
    """A signed-ready /config set-param whose NUMBER option `value` is the raw JSON `value`."""
    payload = command("config", "set-param", "name=temperature", "value=12345")
    return json.dumps(payload).encode().replace(b"12345.0", value.encode())


def answer(value: str) -> tuple[dict, Recorder]:
    recorder = Recorder()
    headers, body = signed(body_with(value))
    response = recorder.endpoint().handle(headers, body)
    assert response.status == 200
    return json.loads(response.body), recorder


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e400", "-1e400"])
def test_non_finite_numbers_are_refused_politely_and_nothing_is_queued(value):
    """The option rules refuse them first for a declared NUMBER option; the job's own check
    (below) is the backstop for anything else that would not read back."""
    reply, recorder = answer(value)
    assert (reply["type"], reply["data"]["flags"]) == (4, 64)  # refused politely, privately
    assert "number" in reply["data"]["content"]
    assert recorder.jobs == []


def test_a_job_that_would_not_read_back_is_refused_before_the_queue():
    _, recorder = answer("0.5")
    [job] = recorder.jobs
    assert job.checked() == job.to_message()
    broken = Job.model_construct(**{**dict(job), "options": {"value": float("nan")}})
    with pytest.raises(NotAJob, match="would not read back"):
        broken.checked()
    with pytest.raises(ValidationError):  # and the model itself refuses to hold one
        Job(**{**dict(job), "options": {"value": float("inf")}})


@pytest.mark.parametrize("value", ["0.5", "1", "0"])
def test_every_job_the_endpoint_queues_reads_back_in_the_worker(value):
    reply, recorder = answer(value)
    assert reply["type"] == 5
    [job] = recorder.jobs
    assert Job.from_message(job.to_message()) == job
