"""A message command's answer as a real reply: a message the bot posts in the channel with a
`message_reference` to the message acted on, instead of the interaction's deferred message.

Interaction responses cannot carry a message reference, so this takes the bot token and the
bot's own right to post there, which the endpoint read from the interaction
(tzurot.discord.message_commands.may_reply_in_channel, carried as `reply_to.reply_in_channel`).

- The first part is posted as the reply (pinging nobody, not even the replied-to author); the
  deferred "thinking..." message is then deleted, so the channel shows the answer once. In a
  server a small line above the answer says who asked (a mention that pings nobody), since the
  "used Ask a personality" line goes with the deferred message.
- Further parts, streamed edits and the voice upload go to the bot's messages (PATCH), not to
  the interaction.
- Redelivery: the reply's id is recorded in the job's processed_interactions row
  (`answer_message_id`) once it exists, and a retry edits it; every post also carries a nonce
  made of the interaction id and the part number with `enforce_nonce`, so that a post whose
  answer was lost (the id not yet recorded) returns the same message rather than a second one.
- Discord refusing the post (the bot lost a permission, the channel is gone, no bot token)
  does not lose the answer: it goes to the deferred message as a reply by quotation
  (tzurot.commands.replies.DeferredAnswer), as where the bot cannot post at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tzurot.commands.replies import NO_MENTIONS, DeferredAnswer, with_header
from tzurot.logs import get_logger

if TYPE_CHECKING:
    from tzurot.discord.rest import DiscordRest
    from tzurot.jobs.model import Job

log = get_logger("tzurot.chat")

# A reply that pings nobody: no parsed mentions and not the author of the message replied to.
REPLY_MENTIONS = {**NO_MENTIONS, "replied_user": False}


class ChannelReply:
    """The answer posted as the bot's reply in the channel (see the module docstring)."""

    def __init__(
        self,
        discord: DiscordRest,
        job: Job,
        *,
        message_id: str | None = None,
        retry: bool = False,
        record: Callable[[str], None] | None = None,
    ):
        assert job.reply_to is not None
        self.discord = discord
        self.job = job
        self.target = job.reply_to
        self.channel_id = self.target.channel_id or job.channel_id or ""
        self.message_id = message_id  # the reply, once posted (or recorded by an earlier try)
        self.retry = retry
        self.record = record
        self.fallback = DeferredAnswer(discord, job)
        self.fell_back = False

    @property
    def header(self) -> str | None:
        if self.fell_back:
            return self.fallback.header
        return f"-# Asked by <@{self.job.user_id}>" if self.job.guild_id else None

    def first(
        self, payload: dict, files: list | None = None, *, client: DiscordRest | None = None
    ) -> None:
        """Post the reply, or edit it once it exists; on a refusal, answer in the deferred
        message instead (for this and every later part)."""
        from tzurot.discord.rest import DiscordBadRequest, DiscordNotFound, DiscordUnauthorized

        if self.fell_back:
            self.fallback.first(payload, files, client=client)
            return
        client = client or self.discord
        body = {**with_header(payload, self.header), "allowed_mentions": REPLY_MENTIONS}
        if self.message_id is not None:
            client.edit_message(self.channel_id, self.message_id, body, files)
            return
        reply = {**body, "message_reference": self._reference(), **self._nonce(0)}
        try:
            message = client.create_message(self.channel_id, reply, files)
        except (DiscordBadRequest, DiscordNotFound, DiscordUnauthorized) as exc:
            # 403 Missing Permissions/Access, 404 Unknown Channel, no bot token: not here.
            log.warning(
                "could not reply in the channel; answering in the interaction",
                extra={"error": type(exc).__name__, "code": getattr(exc, "code", None)},
            )
            self.fell_back = True
            self.fallback.first(payload, files, client=client)
            return
        self.message_id = str(message["id"])
        if self.retry:  # a nonce seen before returns the earlier message as it was
            client.edit_message(self.channel_id, self.message_id, body, files)
        self._drop_deferred()
        if self.record is not None:
            self.record(self.message_id)

    def more(self, payload: dict, number: int) -> None:
        if self.fell_back:
            self.fallback.more(payload, number)
            return
        body = {**payload, "allowed_mentions": REPLY_MENTIONS, **self._nonce(number)}
        self.discord.create_message(self.channel_id, body)

    def _reference(self) -> dict:
        reference = {
            "type": 0,  # DEFAULT: a reply
            "message_id": self.target.message_id,
            "channel_id": self.channel_id,
            "fail_if_not_exists": False,  # the message was deleted meanwhile: post all the same
        }
        if self.target.guild_id:
            reference["guild_id"] = self.target.guild_id
        return reference

    def _nonce(self, number: int) -> dict:
        return {"nonce": f"{self.job.interaction_id}-{number}", "enforce_nonce": True}

    def _drop_deferred(self) -> None:
        """Delete the "thinking..." message: the reply stands in for it."""
        from tzurot.discord.rest import DiscordError, DiscordNotFound

        try:
            self.discord.delete_original(self.job.interaction_token)
        except DiscordNotFound:
            pass  # an earlier attempt deleted it
        except DiscordError as exc:  # the answer is there; a stray "thinking..." is not fatal
            log.warning(
                "could not delete the deferred message", extra={"error": type(exc).__name__}
            )


def answer_surface(
    discord: DiscordRest,
    job: Job,
    *,
    message_id: str | None = None,
    retry: bool = False,
    record: Callable[[str], None] | None = None,
) -> DeferredAnswer | ChannelReply:
    """Where this job's answer goes: a reply in the channel when the endpoint said the bot may
    post there and a bot token is configured; the interaction's messages otherwise."""
    target = job.reply_to
    if target is None or not target.reply_in_channel or not discord.has_bot_token:
        return DeferredAnswer(discord, job)
    return ChannelReply(discord, job, message_id=message_id, retry=retry, record=record)
