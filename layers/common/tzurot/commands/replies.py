"""Answering a deferred interaction: the personality's answer, error replies, private notes.

An answer edits the deferred "thinking..." message into an embed whose author is the personality
(name and avatar) and whose description is the text; text over one message's 2000 characters
continues in followups, split by tzurot.discord.chunking. Nothing an AI writes may ping anyone:
every payload carries `allowed_mentions: {"parse": []}`.

A private (ephemeral) reply to a command that was deferred publicly cannot be made by editing:
the deferred message keeps the visibility of the defer, and so does the first followup, which
replaces it. So a private reply deletes the deferred message first, then posts an ephemeral
followup (flag 64).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

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


def answer_payloads(personality: Personality, text: str, header: str | None = None) -> list[dict]:
    """The first payload (for the deferred message) and one per followup. `header` is a line
    above the first one (what a message command's answer replies to)."""
    pieces = split_message(text) or ["…"]
    payloads = []
    for number, piece in enumerate(pieces):
        embed: dict = {"description": piece}
        if number == 0:
            embed = {"author": author(personality), **embed}
        payloads.append({"embeds": [embed], "allowed_mentions": NO_MENTIONS})
    if header:
        payloads[0] = {"content": header, **payloads[0]}
    return payloads


def send_answer(
    discord: DiscordRest,
    job: Job,
    personality: Personality,
    text: str,
    *,
    already_sent: int = 0,
    progress: Callable[[int], None] | None = None,
    header: str | None = None,
) -> None:
    """Edit the deferred message into the answer, then post the rest as followups.

    The first `already_sent` parts reached Discord on an earlier attempt and are skipped. For an
    answer of several parts, `progress(n)` is called once the first n have arrived (not after
    the last: then the whole answer is there), so a retry after a failure part-way can resume.
    """
    payloads = answer_payloads(personality, text, header)
    for number, payload in enumerate(payloads):
        if number < already_sent:
            continue
        if number == 0:
            discord.edit_original(job.interaction_token, payload)
        else:
            discord.create_followup(job.interaction_token, payload)
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
