"""Replays of a signed interaction, dropped at the endpoint.

A signature is valid for the timestamp's window (300 s, tzurot.discord.verify), so whoever
captured a signed request could send it again within it, and each copy would make a job (the
worker's idempotency claim stops the second reply, not the second job, nor the KMS and SQS cost).
Discord itself never sends an interaction twice. `RecentInteractions` remembers the ids this
container has seen for the window; a repeat is refused. Another container would not know the id,
so a replay spread over containers can still reach the queue, where the worker's claim stops it.
Bounded: the oldest ids go first past `size` (a flood of distinct signed ids is not possible
without Discord's key).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

WINDOW_SECONDS = 300.0


class RecentInteractions:
    def __init__(
        self,
        window: float = WINDOW_SECONDS,
        size: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.window = window
        self.size = size
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, interaction_id: str) -> bool:
        """True the first time an id is seen within the window (and remembers it)."""
        now = self._clock()
        with self._lock:
            while self._seen:
                at = next(iter(self._seen.values()))
                if now - at < self.window and len(self._seen) < self.size:
                    break
                self._seen.popitem(last=False)
            if interaction_id in self._seen:
                return False
            self._seen[interaction_id] = now
            return True
