"""moto-backed KMS for tests: an in-process mock with one symmetric key, and a call counter."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from moto import mock_aws

from tzurot.crypto.kms import kms_client

REGION = "us-east-1"


@dataclass
class MockKms:
    client: object
    key_id: str
    calls: Counter = field(default_factory=Counter)

    def count_calls(self, client=None) -> Counter:
        """Count KMS operations made through `client` (default: this one) by name."""

        def record(event_name: str, **_):
            # event name: before-call.kms.<Operation>
            self.calls[event_name.rsplit(".", 1)[-1]] += 1

        (client or self.client).meta.events.register("before-call.kms", record)
        return self.calls

    def new_key(self) -> str:
        return self.client.create_key(Description="tzurot test")["KeyMetadata"]["KeyId"]


def aws_test_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and a region; no endpoint override (moto intercepts in process)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_KMS", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@contextmanager
def mock_kms(monkeypatch: pytest.MonkeyPatch) -> Iterator[MockKms]:
    aws_test_env(monkeypatch)
    with mock_aws():
        client = kms_client(region_name=REGION)
        key_id = client.create_key(Description="tzurot test")["KeyMetadata"]["KeyId"]
        mock = MockKms(client=client, key_id=key_id)
        mock.count_calls()
        yield mock
