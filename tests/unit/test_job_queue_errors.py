"""A refused send says which queue and the AWS error code, never the service's own text."""

import boto3
import pytest
from moto import mock_aws

from tests.fakes.kms import aws_test_env
from tests.fakes.sqs import serve_sqs
from tzurot.jobs.queue import JobQueue, QueueUnavailable


class _Job:
    queue = "generate"

    def to_message(self) -> str:
        return '{"version": 2}'


@mock_aws
def test_missing_queue_is_reported_by_error_code(monkeypatch):
    aws_test_env(monkeypatch)
    serve_sqs(monkeypatch)
    boto3.client("sqs").create_queue(QueueName="a-queue")  # SQS is up; this queue is not there
    missing = "https://sqs.us-east-1.amazonaws.com/123456789012/no-such-queue"
    with pytest.raises(QueueUnavailable) as caught:
        JobQueue({"generate": missing}).send(_Job())
    # The code botocore's client named (the query-compatible one), not SQS's sentence.
    assert str(caught.value) == (
        "could not enqueue generate job: AWS.SimpleQueueService.NonExistentQueue"
    )


def test_unconfigured_queue_names_the_kind():
    with pytest.raises(QueueUnavailable, match=r"^no queue configured for generate jobs$"):
        JobQueue({"generate": None}).send(_Job())
