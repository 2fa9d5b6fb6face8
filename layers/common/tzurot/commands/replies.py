"""Answering a deferred interaction: the personality's answer, error replies, private notes.

An answer is an embed whose author is the personality (name and avatar) and whose description is
the text; text over one message's 2000 characters continues in further messages, split by
tzurot.discord.chunking. It goes where its surface says: the deferred "thinking..." message and
followups (DeferredAnswer), or, for a message command where the bot may post, a real reply in
the channel (tzurot.commands.channel_reply). Nothing an AI writes may ping anyone:
every payload carries `allowed_mentions: {"parse": []}`.

A private (ephemeral) reply to a command that was deferred publicly cannot be made by editing:
the deferred message keeps the visibility of the defer, and so does the first followup, which
replaces it. So a private reply deletes the deferred message first, then posts an ephemeral
followup (flag 64).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from tzurot.commands import message_replies
from tzurot.discord.chunking import split_message

if TYPE_CHECKING:
    from tzurot.commands.errors import ErrorReply
    from tzurot.discord.rest import DiscordRest
    from tzurot.jobs.model import Job
    from tzurot.personalities.model import Personality

EPHEMERAL = 64
NO_MENTIONS = {"parse": []}


def author(personality: Personality) -> dict[str, str]:
    block = {"name": personality.label[:256]}
    if personality.avatar_url:
        block["icon_url"] = personality.avatar_url
    return block


def answer_payloads(personality: Personality, text: str) -> list[dict]:
    """The first payload (for the answer's first message) and one per further part."""
    pieces = split_message(text) or ["…"]
    payloads = []
    for number, piece in enumerate(pieces):
        embed: dict = {"description": piece}
        if number == 0:
            embed = {"author": author(personality), **embed}
        payloads.append({"embeds": [embed], "allowed_mentions": NO_MENTIONS})
    return payloads


def with_header(payload: dict, header: str | None) -> dict:
    """`payload` with a line above it (in `content`, before any content it has)."""
    if not header:
        return payload
    content = payload.get("content")
    return {**payload, "content": f"{header}\n{content}" if content else header}


class DeferredAnswer:
    """The answer in the interaction's own messages: the deferred "thinking..." message edited
    into the first part, followups for the rest. A message command's answer here is a reply by
    quotation: a line above it names and links the message (tzurot.commands.message_replies).

    `client` (on `first`) lets a caller use a copy of the Discord client with other waiting
    rules (tzurot.commands.streamed_answer)."""

    def __init__(self, discord: DiscordRest, job: Job):
        self.discord = discord
        self.job = job
        self.header = message_replies.header(job)

    def first(
        self, payload: dict, files: list | None = None, *, client: DiscordRest | None = None
    ) -> None:
        payload = with_header(payload, self.header)
        (client or self.discord).edit_original(self.job.interaction_token, payload, files=files)

    def more(self, payload: dict, number: int) -> None:
        self.discord.create_followup(self.job.interaction_token, payload)


class AnswerSurface(Protocol):
    """Where an answer goes: DeferredAnswer, or tzurot.commands.channel_reply.ChannelReply."""

    discord: DiscordRest

    def first(
        self, payload: dict, files: list | None = None, *, client: DiscordRest | None = None
    ) -> None: ...

    def more(self, payload: dict, number: int) -> None: ...


def send_answer(
    surface: AnswerSurface,
    personality: Personality,
    text: str,
    *,
    already_sent: int = 0,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Put the answer's first part in place (replacing what is there), then post the rest.

    The first `already_sent` parts reached Discord on an earlier attempt and are skipped. For an
    answer of several parts, `progress(n)` is called once the first n have arrived (not after
    the last: then the whole answer is there), so a retry after a failure part-way can resume.
    """
    payloads = answer_payloads(personality, text)
    for number, payload in enumerate(payloads):
        if number < already_sent:
            continue
        if number == 0:
            surface.first(payload)
        else:
            surface.more(payload, number)
        if progress is not None and number + 1 < len(payloads):
            progress(number + 1)


def send_public(discord: DiscordRest, job: Job, text: str, personality=None) -> None:
    """A short public reply in place of the deferred message (under the personality if known)."""
    if personality is not None:
        payload = {"embeds": [{"author": author(personality), "description": text}]}
    else:
        payload = {"content": text}
    discord.edit_original(job.interaction_token, {**payload, "allowed_mentions": NO_MENTIONS})


def send_private(discord: DiscordRest, job: Job, text: str) -> None:
    """A reply only the user sees. For a job deferred as ephemeral, an edit is private already;
    for a public defer, delete it and post an ephemeral followup."""
    payload = {"content": text, "allowed_mentions": NO_MENTIONS}
    if job.ephemeral:
        discord.edit_original(job.interaction_token, payload)
        return
    from tzurot.discord.rest import DiscordNotFound

    with contextlib.suppress(DiscordNotFound):  # already gone: an earlier attempt deleted it
        discord.delete_original(job.interaction_token)
    discord.create_followup(job.interaction_token, {**payload, "flags": EPHEMERAL})


def send_error(discord: DiscordRest, job: Job, reply: ErrorReply, personality=None) -> bool:
    """Deliver an error reply where its category belongs (private or public); False when
    Discord cannot take it (token expired, Discord down on the last try): then nothing more
    can reach the user, and the caller logs it with the reference."""
    from tzurot.discord.rest import DiscordError

    try:
        if reply.ephemeral:
            send_private(discord, job, reply.text)
        else:
            send_public(discord, job, reply.text, personality)
    except DiscordError:
        return False
    return True
