"""SQS SendMessage without a botocore client: the cold /chat path's one AWS call, made cheaply.

A botocore client costs a fresh container more than the rest of the /chat path together: the
full botocore import (its docs and waiter machinery included) and, on creation, the SQS service
model and the endpoint ruleset read from JSON and resolved (docs/benchmarks.md). One
SendMessage needs none of it. Here the request is the SQS JSON protocol (POST, `X-Amz-Target:
AmazonSQS.SendMessage`, `Content-Type: application/x-amz-json-1.0`, the parameters as a JSON
object, as botocore's own serialiser builds it: tests compare the two), signed by botocore's own
`SigV4Auth` and sent over botocore's own HTTP session (urllib3: pooled connections, proxies from
the environment, certificate checks), with the request path's timeouts and one retry.

Where it sends: `AWS_ENDPOINT_URL_SQS`, else `AWS_ENDPOINT_URL` (moto, LocalStack; as botocore
reads them), else the region's public endpoint in the `aws` partition (other partitions, FIPS or
dual-stack endpoints: set `AWS_ENDPOINT_URL_SQS`). Region from `AWS_DEFAULT_REGION` (or
`AWS_REGION`; Lambda sets both), credentials from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`
and `AWS_SESSION_TOKEN` (Lambda sets them); whatever the environment lacks comes from
botocore's session as a client would get it (a profile, a container role), loaded only then.
Every setting is read per send, as a client created afresh would read it.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from typing import Any

from tzurot.discord import aws_config
from tzurot.errors import TzurotError

SERVICE = "sqs"
TARGET = "AmazonSQS.SendMessage"
CONTENT_TYPE = "application/x-amz-json-1.0"
# As botocore sends them. The query mode asks SQS for its former (query protocol) error codes,
# e.g. AWS.SimpleQueueService.NonExistentQueue, which the log lines have always named.
HEADERS = {"X-Amz-Target": TARGET, "Content-Type": CONTENT_TYPE, "x-amzn-query-mode": "true"}
# Worth the one retry, beside no answer at all: what botocore's "standard" retry mode retries
# (botocore.retries.standard: its transient and throttling codes and status codes).
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
RETRYABLE_CODES = frozenset(
    {
        "RequestTimeout",
        "RequestTimeoutException",
        "PriorRequestNotComplete",
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "EC2ThrottledException",
    }
)


class SendFailed(TzurotError):
    """The message was not sent. `reason` is an error code or an exception class name, never
    text from the service (a message we do not control)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class SqsRefused(SendFailed):
    """SQS answered with an error (`status` its HTTP status, `reason` its error code)."""

    def __init__(self, reason: str, status: int):
        super().__init__(reason)
        self.status = status


class SqsUnreachable(SendFailed):
    """No answer: connection refused or reset, a timeout, a TLS or proxy failure."""


class NotConfigured(SendFailed):
    """No region, or no credentials anywhere botocore would look (or a profile it cannot read)."""


def endpoint_url(region: str, env: Mapping[str, str]) -> str:
    override = env.get("AWS_ENDPOINT_URL_SQS", "").strip() or env.get("AWS_ENDPOINT_URL", "")
    return (override.strip() or f"https://sqs.{region}.amazonaws.com").rstrip("/") + "/"


def _botocore_session() -> Any:
    """For what the environment does not say (a profile's region or credentials): never the
    Lambda case, so the cost of botocore's session is paid only where it does not count."""
    import botocore.session

    return botocore.session.get_session()


def _region(env: Mapping[str, str]) -> str:
    region = (env.get("AWS_DEFAULT_REGION") or env.get("AWS_REGION") or "").strip()
    region = region or _botocore_session().get_config_variable("region") or ""
    if not region:
        raise NotConfigured("NoRegionError")
    return region


def _credentials(env: Mapping[str, str]) -> Any:
    from botocore.credentials import Credentials

    access_key = env.get("AWS_ACCESS_KEY_ID", "")
    secret_key = env.get("AWS_SECRET_ACCESS_KEY", "")
    if access_key and secret_key:
        return Credentials(access_key, secret_key, env.get("AWS_SESSION_TOKEN") or None)
    found = _botocore_session().get_credentials()
    if found is None:
        raise NotConfigured("NoCredentialsError")
    return found


def _error_code(status: int, headers: Mapping[str, str], body: bytes) -> str:
    """The error code as botocore's JSON parser reads it (SQS's query-compatible code first)."""
    query_error = headers.get("x-amzn-query-error", "").split(";")
    if len(query_error) == 2 and query_error[0]:
        return query_error[0]
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    code = str(parsed.get("__type", "")) if isinstance(parsed, dict) else ""
    code = code.split(":", 1)[0].rsplit("#", 1)[-1]
    return code or str(status)  # botocore's fallback too


def _transient(failure: SendFailed) -> bool:
    """Worth the one retry: no answer (a pooled connection that died while the container was
    frozen, say), a server error, or throttling."""
    if isinstance(failure, SqsUnreachable):
        return True
    return isinstance(failure, SqsRefused) and (
        failure.status in RETRYABLE_STATUS or failure.reason in RETRYABLE_CODES
    )


class SqsSender:
    """Sends messages with one HTTP session (its connection pool) for the container's life.

    `send_message` takes botocore's parameter names and returns what the client would
    (`MessageId` and the rest of SQS's answer), so callers may hold either.
    """

    def __init__(self, env: Mapping[str, str] | None = None):
        self._env = env
        self._http: Any = None
        self._lock = threading.Lock()

    def _session(self, url: str) -> Any:
        with self._lock:
            if self._http is None:
                from botocore.httpsession import URLLib3Session
                from botocore.utils import get_environ_proxies

                self._http = URLLib3Session(
                    proxies=get_environ_proxies(url),
                    timeout=(aws_config.CONNECT_TIMEOUT_SECONDS, aws_config.READ_TIMEOUT_SECONDS),
                )
            return self._http

    def request(self, params: Mapping[str, Any]) -> Any:
        """The signed SendMessage request (a botocore AWSRequest) for `params`."""
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.exceptions import BotoCoreError

        env = os.environ if self._env is None else self._env
        try:
            region, credentials = _region(env), _credentials(env)
        except BotoCoreError as exc:  # a profile that is not there, a failing credential process
            raise NotConfigured(type(exc).__name__) from None
        request = AWSRequest(
            method="POST",
            url=endpoint_url(region, env),
            data=json.dumps(dict(params)).encode(),
            headers=dict(HEADERS),
        )
        SigV4Auth(credentials, SERVICE, region).add_auth(request)
        return request

    def send_message(self, **params: Any) -> dict[str, Any]:
        """SendMessage(QueueUrl=..., MessageBody=..., DelaySeconds=...): SQS's answer."""
        for _ in range(aws_config.TOTAL_ATTEMPTS - 1):
            try:
                return self._send_once(params)
            except SendFailed as exc:
                if not _transient(exc):
                    raise
        return self._send_once(params)

    def _send_once(self, params: Mapping[str, Any]) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError

        # Signed per attempt: the signature carries the time.
        request = self.request(params)
        try:
            # The session reads the whole answer (a stall mid-body is its ReadTimeoutError too).
            response = self._session(request.url).send(request.prepare())
        except BotoCoreError as exc:
            raise SqsUnreachable(type(exc).__name__) from None
        content = response.content
        if response.status_code >= 300:
            raise SqsRefused(
                _error_code(response.status_code, response.headers, content),
                response.status_code,
            )
        try:
            answer = json.loads(content)
        except ValueError:
            answer = None
        if not isinstance(answer, dict) or not isinstance(answer.get("MessageId"), str):
            raise SqsRefused("UnreadableAnswer", response.status_code)
        return answer


_sender: SqsSender | None = None


def sqs_sender() -> SqsSender:
    """The container's sender (one connection pool)."""
    global _sender
    if _sender is None:
        _sender = SqsSender()
    return _sender


def reset_sender() -> None:
    """Forget the cached sender and its connections (tests that switch between moto servers)."""
    global _sender
    _sender = None
