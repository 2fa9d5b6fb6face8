"""A chat answer that shows as it arrives: the provider streams (tzurot.providers.streaming)
and the answer's first message (the deferred one, or the bot's reply in the channel:
tzurot.commands.channel_reply) is edited with the text so far.

- At most one edit per second (MIN_EDIT_INTERVAL), the first as soon as text arrives; only
  the first message's worth is shown while streaming (the rest follows in followups at the end,
  as for any long answer).
- A 429 on an edit is not waited out here: the client is a copy that never sleeps on a rate
  limit, so the edit is skipped, the stream keeps being read, and the next edit after
  `retry_after` carries all the text so far. Nothing is lost, since every edit is the whole
  text.
- Any other Discord failure stops the progressive edits (the stream is still read); the final
  answer goes out as usual, through the normal client and its failure policy.
- The final content, splits and attachments are sent by tzurot.commands.replies as before, at
  once when the stream ends: the worker does not sit out the rest of the second after the last
  progressive edit (a worker-second per answer), since Discord's buckets allow a few calls per
  window; only a 429 a progressive edit got is waited out first, and the normal client waits
  out one on the final edit. Edits replace, so an answer streamed again after a redelivery never
  shows twice.

`streamResponse: false` in a config's advanced parameters turns this off.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from tzurot.commands import replies
from tzurot.logs import get_logger

if TYPE_CHECKING:
    from tzurot.commands.replies import AnswerSurface
    from tzurot.personalities.model import Personality
    from tzurot.providers.base import ChatRequest, ChatResult, TextProvider

log = get_logger("tzurot.chat")

MIN_EDIT_INTERVAL = 1.0  # seconds between two edits of the same message
CURSOR = " ▌"  # marks an answer still arriving
# Whether a config that does not say (no `streamResponse`) streams. The /chat test rig turns it
# off for its exact one-edit assertions; the streaming tests turn it back on.
STREAM_BY_DEFAULT = True


class ProgressiveAnswer:
    """The `on_text` of a streaming call: shows the text so far where the answer goes (its
    surface: the deferred message, or the bot's reply in the channel)."""

    def __init__(
        self,
        surface: AnswerSurface,
        personality: Personality,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.surface = surface
        self.client = copy.copy(surface.discord)
        self.client.max_rate_limit_wait = 0.0  # a 429 raises at once: skip, do not sleep
        self.personality = personality
        self.clock = clock
        self.sleep = sleep
        self.limited_until = 0.0  # Discord's retry_after of the last 429, as a clock time
        self.next_edit = 0.0
        self.edits = 0
        self.stopped = False
        self._shown: dict | None = None

    def __call__(self, text: str) -> None:
        from tzurot.discord.rest import DiscordError, DiscordRateLimited

        now = self.clock()
        if self.stopped or now < self.next_edit:
            return
        payload = replies.answer_payloads(self.personality, text + CURSOR)[0]
        if payload == self._shown:
            return  # the first message is full: the rest comes with the final answer
        try:
            self.surface.first(payload, client=self.client)
        except DiscordRateLimited as exc:
            log.info("streamed edit rate limited", extra={"retry_after": exc.retry_after})
            self.next_edit = self.limited_until = now + exc.retry_after
            return
        except DiscordError as exc:
            log.warning("streamed edits stopped", extra={"error": type(exc).__name__})
            self.stopped = True
            return
        self._shown = payload
        self.edits += 1
        self.next_edit = self.clock() + MIN_EDIT_INTERVAL

    def wait_out_rate_limit(self) -> None:
        """Before the final content: sit out a 429 Discord gave a progressive edit (only then:
        otherwise the final edit goes at once)."""
        self.sleep(max(self.limited_until - self.clock(), 0.0))


def generate(
    provider: TextProvider,
    api_key: str,
    request: ChatRequest,
    *,
    surface: AnswerSurface,
    personality: Personality,
) -> ChatResult:
    """The provider's answer: streamed where the answer goes unless the config's
    `streamResponse` is false."""
    if not request.advanced.get("streamResponse", STREAM_BY_DEFAULT):
        return provider.chat(api_key, request)
    progress = ProgressiveAnswer(surface, personality)
    result = provider.chat_stream(api_key, request, progress)
    progress.wait_out_rate_limit()
    return result
