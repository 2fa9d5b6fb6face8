"""Messages a user links in their /chat message (Discord message URLs), fetched with the bot
token and shown to the model as referenced messages, with their images.

Only links the user could read themselves are followed: in a server, links into that server whose
channel the member may read (tzurot.discord.permissions: the bot's own access is not enough); in a
DM, links into that DM. A link the bot could read but the user could not becomes a short note to
the model instead of the message. Without a bot token, or for a message that cannot be fetched
(deleted, no access), links are skipped quietly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tzurot.commands.prompt import ReferencedMessage
from tzurot.discord.attachments import ImageRef, image_refs
from tzurot.logs import get_logger

if TYPE_CHECKING:
    from tzurot.discord.rest import DiscordRest
    from tzurot.jobs.model import Job

log = get_logger("tzurot.chat")

# Message links a user may put in their message: guild channels and DMs, all Discord hosts.
_MESSAGE_LINK = re.compile(
    r"https?://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/channels/(\d+|@me)/(\d+)/(\d+)"
)

HIDDEN_LINK = ReferencedMessage(
    author="(not shown)",
    content="A linked message was left out: it is in a channel this user cannot read.",
)


@dataclass
class Linked:
    messages: list[ReferencedMessage] = field(default_factory=list)
    images: list[ImageRef] = field(default_factory=list)


def read(discord: DiscordRest, job: Job, message: str, limit: int) -> Linked:
    """The first `limit` readable linked messages of `message`, and their images."""
    from tzurot.discord.permissions import ChannelAccess
    from tzurot.discord.rest import DiscordError

    found = Linked()
    links = readable_links(message, job)[: max(limit, 0)]
    if not links or not discord.has_bot_token:
        return found
    access = ChannelAccess(discord, job.guild_id, job.user_id)
    for channel_id, message_id in links:
        if job.guild_id is not None and not access.can_read(channel_id):
            # The bot could read it; the user could not: the model is told, not shown.
            log.info("linked message skipped", extra={"reason": "user cannot read channel"})
            found.messages.append(HIDDEN_LINK)
            continue
        try:
            data = discord.get_message(channel_id, message_id)
        except DiscordError as exc:
            log.info("linked message skipped", extra={"reason": type(exc).__name__})
            continue
        found.images += image_refs(data.get("attachments"))
        author = data.get("author") or {}
        content = data.get("content") or " ".join(
            embed.get("description") or "" for embed in data.get("embeds") or []
        )
        found.messages.append(
            ReferencedMessage(
                author=author.get("global_name") or author.get("username") or "someone",
                content=content,
                timestamp=data.get("timestamp"),
            )
        )
    return found


def readable_links(message: str, job: Job) -> list[tuple[str, str]]:
    """(channel id, message id) of the message links in `message` that the bot may read for
    this user, in order, without repeats: links into the server the command came from, or in a
    DM, into that DM. The bot token could read a message elsewhere too, but the bot cannot tell
    whether this user may see it there, so such links are skipped. Within the server, each
    channel is then checked against the user's permissions (tzurot.discord.permissions)."""
    found: list[tuple[str, str]] = []
    for guild, channel_id, message_id in _MESSAGE_LINK.findall(message):
        if job.guild_id is not None:
            allowed = guild == job.guild_id
        else:
            allowed = guild == "@me" and channel_id == job.channel_id
        if allowed and (channel_id, message_id) not in found:
            found.append((channel_id, message_id))
    return found
