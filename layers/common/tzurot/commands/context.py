"""What a command handler gets besides its job: settings, clients, and where it stands in SQS.

One `JobContext` per job. The clients behind it (database connection, Discord REST, master
keyring, provider HTTP clients) are created once per container and shared between jobs, so a warm
job pays no connection set-up and no KMS call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tzurot.config import Settings
from tzurot.errors import TzurotError

if TYPE_CHECKING:
    from tzurot.crypto.master_key import MasterKeyring
    from tzurot.crypto.transit import PrivateKeys
    from tzurot.discord.rest import DiscordRest


class RetryLater(TzurotError):
    """The job hit a passing failure and should come back through SQS (a batch item failure)."""


@dataclass
class JobContext:
    settings: Settings
    # A zero-argument callable returning this thread's autocommit psycopg connection.
    connection: Callable[[], Any]
    discord: DiscordRest
    keyring: MasterKeyring
    # Transit private keys, to open a /wallet set key (tzurot.crypto.transit_keys).
    transit: PrivateKeys | None = None
    # SQS ApproximateReceiveCount of this delivery, and the count after which the queue gives
    # the message to the DLQ: the last receive must answer the user whatever happens.
    receive_count: int = 1
    max_receives: int = 3
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    # Chat providers by name; tests and benchmarks pass clients with their own httpx settings.
    provider_options: dict[str, Any] = field(default_factory=dict)

    @property
    def last_attempt(self) -> bool:
        return self.receive_count >= self.max_receives

    def now(self) -> datetime:
        return self.clock()

    def conn(self):
        return self.connection()
