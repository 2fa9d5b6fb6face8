"""The local stack behind `tzurot dev`: parts that start in order and stop in reverse.

Each part does one thing and may export environment variables, which later parts and the
handlers read exactly as they would in Lambda (the process environment). New parts (workers
polling the local queues, a Discord sink) are added by composing another Part; nothing here
needs rewriting.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from tzurot.errors import TzurotError

DEFAULT_PORT = 8787
REGION = "us-east-1"
QUEUES = ("generate", "image")
# The template's queue timings (tests/unit/test_dev_queue_timings.py keeps them equal): with a
# shorter visibility than the claim's lease, a redelivery would find the claim of a failed
# attempt still live and the job would reach the DLQ unanswered.
MAX_RECEIVES = 3  # deliveries before a message moves to its dead-letter queue
VISIBILITY_TIMEOUT_SECONDS = 330
KMS_STATE_FILE = "dev-kms-key.json"


class StackError(TzurotError):
    """A part of the local stack could not start."""


class Part(Protocol):
    name: str

    def start(self, stack: LocalStack) -> None: ...

    def stop(self) -> None: ...


@dataclass
class LocalStack:
    parts: list[Part]
    # What each part reports once running, in start order (`tzurot dev` prints these).
    lines: list[str] = field(default_factory=list)
    _started: list[Part] = field(default_factory=list)

    def export(self, **variables: str) -> None:
        """Set environment variables for this process (handlers read them like Lambda's)."""
        os.environ.update(variables)

    def report(self, line: str) -> None:
        self.lines.append(line)

    def start(self) -> None:
        try:
            for part in self.parts:
                part.start(self)
                self._started.append(part)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        while self._started:
            part = self._started.pop()
            with suppress(Exception):
                part.stop()

    def get(self, kind: type) -> Any:
        return next(part for part in self.parts if isinstance(part, kind))

    @contextmanager
    def running(self) -> Iterator[LocalStack]:
        self.start()
        try:
            yield self
        finally:
            self.stop()


def _bind(port: int, flag: str | None = None) -> socket.socket:
    """A listening-ready loopback socket (port 0: any free one), or a one-line error naming
    `flag`, the `tzurot dev` option that picks this port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:
        sock.close()
        how = f"choose another with {flag} PORT (0: any free port)" if flag else "choose another"
        raise StackError(f"port {port} on 127.0.0.1 is in use; {how}") from None
    return sock


class Database:
    """Embedded PostgreSQL (unless DATABASE_URL is set), migrated to the latest schema."""

    name = "database"

    def start(self, stack: LocalStack) -> None:
        from tzurot.db.connection import connect, database_url
        from tzurot.db.migrations import Migrator

        database_url()  # starts the embedded server when DATABASE_URL is unset
        with connect() as conn:
            applied = Migrator(conn).migrate()
        if os.environ.get("DATABASE_URL", "").strip():
            stack.report("database: PostgreSQL from DATABASE_URL")
        else:
            from tzurot.db.embedded import STATE_DIR

            stack.report(f"database: embedded PostgreSQL (data in {STATE_DIR / 'pgdata'})")
        stack.report(f"migrations: {len(applied)} applied now, schema up to date")

    def stop(self) -> None:
        from tzurot.db.connection import reset_shared_connection

        reset_shared_connection()


class AwsEmulator:
    """moto's server mode on loopback: the SQS queues (each with a DLQ) and a KMS key.

    Exports AWS_ENDPOINT_URL so every boto3 client in the process talks to it, dummy
    credentials so nothing can reach a real account, and the queue URLs and KMS key id.
    Queues live in memory and start empty each time. The KMS key does not: see `_keep_kms_key`.
    """

    name = "aws"

    def __init__(self, port: int = 0, state_dir: Path | None = None):
        self.port = port
        self.state_dir = state_dir
        self.endpoint_url = ""
        self.queue_urls: dict[str, str] = {}
        self.dlq_urls: dict[str, str] = {}
        self.kms_key_id = ""
        self._server: Any = None

    def start(self, stack: LocalStack) -> None:
        import logging

        from moto.server import ThreadedMotoServer

        # werkzeug (under moto) prints a line per request; the queue pollers would flood it.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        _bind(
            self.port, "--aws-port"
        ).close()  # moto would hang on a port in use; fail clearly instead
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        # moto keeps its state per process, not per server: start from empty even when a stack
        # was started before in this process (tests), so resources are created, never reused.
        import httpx

        httpx.post(f"{self.endpoint_url}/moto-api/reset", timeout=10).raise_for_status()
        stack.export(
            AWS_ENDPOINT_URL=self.endpoint_url,
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_DEFAULT_REGION=REGION,
            AWS_REGION=REGION,
        )
        self._create_resources()
        stack.export(
            GENERATE_QUEUE_URL=self.queue_urls["generate"],
            IMAGE_QUEUE_URL=self.queue_urls["image"],
            KMS_KEY_ID=self.kms_key_id,
            TZUROT_JOB_MAX_RECEIVES=str(MAX_RECEIVES),  # the workers' "last receive" matches
        )
        # Clients cached before this point would talk to another endpoint.
        from tzurot.jobs import queue

        queue.reset_client()
        stack.report(f"aws: moto on {self.endpoint_url} (SQS, KMS)")
        for kind in QUEUES:
            stack.report(f"queue {kind}: {self.queue_urls[kind]} (DLQ after {MAX_RECEIVES})")
        stack.report(f"kms key: {self.kms_key_id}")

    def _create_resources(self) -> None:
        import json

        import boto3

        sqs = boto3.client("sqs", endpoint_url=self.endpoint_url, region_name=REGION)
        for kind in QUEUES:
            dlq = sqs.create_queue(QueueName=f"tzurot-{kind}-dlq")["QueueUrl"]
            dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])[
                "Attributes"
            ]["QueueArn"]
            redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVES)}
            self.dlq_urls[kind] = dlq
            self.queue_urls[kind] = sqs.create_queue(
                QueueName=f"tzurot-{kind}",
                Attributes={
                    "RedrivePolicy": json.dumps(redrive),
                    "VisibilityTimeout": str(VISIBILITY_TIMEOUT_SECONDS),
                },
            )["QueueUrl"]
        kms = boto3.client("kms", endpoint_url=self.endpoint_url, region_name=REGION)
        key = kms.create_key(Description="tzurot dev: wraps the app master key")
        self.kms_key_id = self._keep_kms_key(key["KeyMetadata"]["KeyId"])
        kms.create_alias(AliasName="alias/tzurot-dev", TargetKeyId=self.kms_key_id)

    def _keep_kms_key(self, key_id: str) -> str:
        """Give the new moto key the id and material of the previous dev run's key.

        The master key stored in the dev database is wrapped under this KMS key; a fresh key on
        every start would make every stored wallet key unreadable after a restart. moto keeps
        keys in the process only, so the id and material are saved in the state folder
        (owner-only) and put back into moto's in-process backend. That reaches into moto's
        internals (pinned version); it is for the local stack only, never for tests of crypto.
        """
        import json

        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.kms.models import kms_backends

        if self.state_dir is None:
            from tzurot.db.embedded import STATE_DIR

            self.state_dir = STATE_DIR
        path = self.state_dir / KMS_STATE_FILE
        backend = kms_backends[DEFAULT_ACCOUNT_ID][REGION]
        key = backend.keys[key_id]
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                json.dump({"key_id": key.id, "material": key.key_material.hex()}, handle)
            return key_id
        try:
            saved = json.loads(path.read_text())
            material = bytes.fromhex(saved["material"])
            kept_id = str(saved["key_id"])
        except (ValueError, KeyError, TypeError):
            raise StackError(
                f"{path} is damaged; delete it (stored dev wallet keys are lost)"
            ) from None
        del backend.keys[key_id]
        key.id, key.arn, key.key_material = kept_id, key.arn.replace(key_id, kept_id), material
        backend.keys[kept_id] = key
        return kept_id

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


class MasterKey:
    """The app master key (version 1) in the database, wrapped under the dev KMS key.

    Created on the first start (what `tzurot keys init` does in an AWS account), so /wallet
    works locally at once.
    """

    name = "master-key"

    def start(self, stack: LocalStack) -> None:
        from tzurot.crypto.kms import kms_client
        from tzurot.crypto.master_key import init_master_key, list_versions
        from tzurot.db.connection import connect

        key_id = os.environ["KMS_KEY_ID"]
        with connect(autocommit=True) as conn:
            versions = list_versions(conn)
            if not versions:
                init_master_key(conn, kms_client(), key_id)
                stack.report("master key: version 1 created")
                return
        active = [v for v in versions if v.status == "active"]
        if active and active[0].kms_key_id != key_id:
            stack.report(
                f"master key: WARNING version {active[0].version} is wrapped under another KMS "
                "key (dev data from an older run); stored wallet keys will not open"
            )
            return
        stack.report(f"master key: version {max(v.version for v in versions)} in place")

    def stop(self) -> None:
        pass


class TransitKey:
    """The transit key pair jobs' secrets are sealed to (tzurot.crypto.transit_keys): made on
    the first start (what `tzurot keys rotate-transit` does in an AWS account) and again when
    the current one is wrapped under another KMS key; its public half is exported as
    TRANSIT_PUBLIC_KEY for the interactions endpoint."""

    name = "transit-key"

    def start(self, stack: LocalStack) -> None:
        from tzurot.crypto.kms import kms_client
        from tzurot.crypto.transit_keys import list_keys, rotate
        from tzurot.db.connection import connect

        key_id = os.environ["KMS_KEY_ID"]
        with connect(autocommit=True) as conn:
            current = [k for k in list_keys(conn) if k.retired_at is None]
            if current and current[0].kms_key_id == key_id:
                key, made = current[0], False
            else:
                key, made = rotate(conn, kms_client(), key_id), True
        stack.export(TRANSIT_PUBLIC_KEY=str(key.public_key))
        stack.report(f"transit key: {key.key_id} {'created' if made else 'in place'}")

    def stop(self) -> None:
        pass


class DiscordKey:
    """The key requests are verified with: DISCORD_PUBLIC_KEY, or the dev key pair."""

    name = "discord-key"

    def __init__(self, state_dir: Path | None = None):
        self.state_dir = state_dir
        self.path: Path | None = None  # the dev private key, when the dev pair is in use

    def start(self, stack: LocalStack) -> None:
        from tzurot.dev.keys import key_path, load_or_create_signing_key, public_key_hex

        if os.environ.get("DISCORD_PUBLIC_KEY", "").strip():
            from tzurot.discord.verify import SignatureVerifier

            # Checked now: a malformed key would otherwise start a stack that answers 401 to all.
            SignatureVerifier(os.environ["DISCORD_PUBLIC_KEY"])
            stack.report("discord public key: from DISCORD_PUBLIC_KEY")
            return
        self.path = key_path(self.state_dir)
        public = public_key_hex(load_or_create_signing_key(self.path))
        stack.export(DISCORD_PUBLIC_KEY=public)
        stack.report(f"discord public key (dev pair, private half in {self.path}): {public}")

    def stop(self) -> None:
        pass


@dataclass
class Serving:
    """An ASGI app served by uvicorn on 127.0.0.1 in a daemon thread."""

    url: str  # http://127.0.0.1:PORT
    server: Any
    thread: threading.Thread
    socket: socket.socket

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)
        self.socket.close()


def serve_app(app: Any, port: int, *, name: str, flag: str | None = None) -> Serving:
    """Serve `app` on 127.0.0.1:`port` (0: any free port) until `stop()`; `flag` is the option
    that picks the port, named when it is in use."""
    import uvicorn

    from tzurot.dev.asgi import KEEP_ALIVE_SECONDS

    sock = _bind(port, flag)
    config = uvicorn.Config(
        app, log_level="warning", lifespan="off", timeout_keep_alive=KEEP_ALIVE_SECONDS
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=lambda: asyncio.run(server.serve(sockets=[sock])), name=name, daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            sock.close()
            raise StackError(f"the {name} server did not start")
        time.sleep(0.01)
    return Serving(f"http://127.0.0.1:{sock.getsockname()[1]}", server, thread, sock)


class InteractionsServer:
    """uvicorn serving the interactions ASGI app on 127.0.0.1."""

    name = "interactions"

    def __init__(self, port: int = DEFAULT_PORT):
        self.port = port
        self.url = ""
        self._serving: Serving | None = None

    def start(self, stack: LocalStack) -> None:
        from tzurot.dev.asgi import create_app
        from tzurot.discord.endpoint import reset_default_endpoint

        reset_default_endpoint()  # read the environment the earlier parts exported
        self._serving = serve_app(create_app(), self.port, name="interactions", flag="--port")
        self.url = f"{self._serving.url}/interactions"
        stack.report(f"interactions: POST {self.url}")

    def stop(self) -> None:
        if self._serving is not None:
            self._serving.stop()
            self._serving = None
