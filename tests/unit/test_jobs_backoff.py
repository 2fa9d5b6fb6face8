"""tzurot.jobs.backoff: how long a job waits after a passing failure, which queue it is on, and
that the last receive always starts in time to answer inside the 15-minute token."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tzurot.crypto.errors import KmsUnavailable
from tzurot.jobs.backoff import (
    ATTEMPT_SECONDS,
    MAX_SECONDS,
    TOKEN_LIFETIME,
    delay_seconds,
    queue_url,
    retry_after_of,
)
from tzurot.providers.errors import ProviderUnavailable, RateLimited

SECOND = timedelta(seconds=1)


@pytest.mark.parametrize(
    ("receive_count", "max_receives", "age", "retry_after", "expected"),
    [
        (1, 3, 5, None, 10),  # 10 s x the receive count
        (2, 3, 40, None, 20),
        (1, 5, 5, None, 10),
        (4, 5, 100, None, 40),
        (1, 3, 5, 0.2, 1),  # the provider's Retry-After, rounded up
        (1, 3, 5, 0, 0),
        (1, 3, 5, 45.5, 46),
        (1, 3, 5, 3600, MAX_SECONDS),  # capped
        # The token budget: two more receives of up to 120 s each must fit in 900 s.
        (1, 3, 600, None, 10),  # (900 - 600 - 2 x 120) / 2 = 30: 10 s fits
        (1, 3, 650, None, 5),  # (900 - 650 - 2 x 120) / 2 = 5
        (1, 3, 700, None, 0),  # already late: come back at once
        (2, 3, 760, None, 20),  # (900 - 760 - 120) / 1 = 20
        (2, 3, 770, None, 10),
        (2, 3, 900, None, 0),
    ],
)
def test_delay(receive_count, max_receives, age, retry_after, expected):
    assert (
        delay_seconds(
            receive_count, max_receives=max_receives, age=age * SECOND, retry_after=retry_after
        )
        == expected
    )


@given(
    max_receives=st.integers(2, 5),
    start=st.integers(0, 900),
    durations=st.lists(st.integers(0, ATTEMPT_SECONDS), min_size=5, max_size=5),
    hints=st.lists(st.none() | st.floats(0, 10_000), min_size=5, max_size=5),
)
def test_the_last_receive_always_starts_in_time(max_receives, start, durations, hints):
    """Whenever the remaining receives could fit at the first one, the backoffs never push the
    last receive past the point where its attempt could still answer."""
    lifetime = TOKEN_LIFETIME.total_seconds()
    if start + max_receives * ATTEMPT_SECONDS > lifetime:
        return  # too late from the start, whatever the backoff
    age = start
    for receive in range(1, max_receives):
        age += durations[receive - 1]  # the attempt runs, then fails
        age += delay_seconds(
            receive, max_receives=max_receives, age=age * SECOND, retry_after=hints[receive - 1]
        )
    assert age + ATTEMPT_SECONDS <= lifetime


def test_retry_after_is_found_on_the_failure_or_behind_it():
    from tzurot.commands.context import RetryLater

    limited = RateLimited("slow down", retry_after=7.5, provider="openai")
    assert retry_after_of(limited) == 7.5
    try:
        raise RetryLater("passing") from limited
    except RetryLater as wrapped:
        assert retry_after_of(wrapped) == 7.5
    assert retry_after_of(RateLimited("slow down", provider="openai")) is None
    assert retry_after_of(ProviderUnavailable("down", provider="openai")) is None
    assert retry_after_of(KmsUnavailable("KMS could not ...")) is None


class _Client:
    class meta:  # botocore's shape: client.meta.endpoint_url
        endpoint_url = "https://sqs.eu-west-1.amazonaws.com"


ARN = "arn:aws:sqs:eu-west-1:123456789012:tzurot-prod-GenerateQueue-AbC123"


def test_queue_url_from_the_records_arn():
    assert queue_url(ARN, _Client(), env={}) == (
        "https://sqs.eu-west-1.amazonaws.com/123456789012/tzurot-prod-GenerateQueue-AbC123"
    )
    # A configured URL of that queue (the local stack's emulator) wins; others are ignored.
    local = "http://127.0.0.1:4566/123456789012/tzurot-prod-GenerateQueue-AbC123"
    env = {
        "GENERATE_QUEUE_URL": "http://127.0.0.1:4566/123456789012/other",
        "IMAGE_QUEUE_URL": local,
    }
    assert queue_url(ARN, _Client(), env=env) == local
    for bad in ("", "arn:aws:sns:eu-west-1:123456789012:topic", "arn:aws:sqs:eu-west-1::q", "x"):
        with pytest.raises(ValueError, match="not an SQS queue ARN"):
            queue_url(bad, _Client(), env={})
