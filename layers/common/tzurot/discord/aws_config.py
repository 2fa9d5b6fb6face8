"""botocore settings for the AWS calls on the interactions request path.

Discord waits 3 seconds for the answer, and the function makes at most one AWS call per request
(SQS SendMessage for a job, KMS Encrypt for a /wallet set key). botocore's defaults (60 s to
connect, 60 s to read, several retries) would let one stalled call run into the Lambda timeout,
which Discord shows as "The application did not respond", with no reply and little in the log.

With these, a normal call takes milliseconds; a pooled connection that died while the container
was frozen costs one read timeout and a retry on a fresh connection (about 1-2 s, still inside
the window); an endpoint that stalls twice gives up after at most about 4 s, and the user gets
the polite "try again" message (and the log a line) instead of a timeout.
"""

from __future__ import annotations

from typing import Any

CONNECT_TIMEOUT_SECONDS = 0.5
READ_TIMEOUT_SECONDS = 1.0
TOTAL_ATTEMPTS = 2  # the first try and one retry


def request_path_config() -> Any:
    """A botocore Config for clients used while Discord waits."""
    from botocore.config import Config

    return Config(
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        retries={"total_max_attempts": TOTAL_ATTEMPTS, "mode": "standard"},
    )
