"""A refused send says which queue and the AWS error code, never the service's own text."""

import boto3
import pytest
from moto import mock_aws

from tzurot.jobs.queue import JobQueue, QueueUnavailable


class _Job:
    queue = "generate"

    def to_message(self) -> str:
        return '{"version": 2}'


@mock_aws
def test_missing_queue_is_reported_by_error_code(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    client = boto3.client("sqs", region_name="us-east-1")
    missing = "https://sqs.us-east-1.amazonaws.com/123456789012/no-such-queue"
    queue = JobQueue({"generate": missing}, client=client)
    with pytest.raises(QueueUnavailable) as caught:
        queue.send(_Job())
    message = str(caught.value)
    assert message.startswith("could not enqueue generate job: ")
    code = message.removeprefix("could not enqueue generate job: ")
    assert code and " " not in code  # an error code, not a sentence from the service


def test_unconfigured_queue_names_the_kind():
    with pytest.raises(QueueUnavailable, match=r"^no queue configured for generate jobs$"):
        JobQueue({"generate": None}).send(_Job())
