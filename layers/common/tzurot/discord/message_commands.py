"""The message commands (right-click a message → Apps): "Ask a personality" and "Reply as last
personality", from the interaction to the chat job.

A message command (interaction data type 3) names its message in `data.target_id` and carries
it in `data.resolved.messages`: its text, author and attachments. "Reply as last personality"
defers and queues a /chat job at once, with the target as the job's `reply_to` and its images
as the job's `images`. "Ask a personality" must answer with a modal (Discord's direct answer),
and a modal submit carries nothing of the message: so the form carries the target's text in a
prefilled field (which the user may trim), its id and author in the custom_id, and its image
references wait in `ask_targets` (written with the last-personality read, one statement) for the
worker; where that write did not happen, the worker fetches them with the bot token where it
can read the channel.

The answer is a real reply (a message with a `message_reference`, posted with the bot token:
tzurot.commands.channel_reply) where the bot can post: in a server that installed the app, with
the permissions to read the history, send and embed (`app_permissions`), and in the bot's own
DM. Elsewhere (a user-installed app in a server without the bot, another DM, a group DM) it is a
reply by quotation: the deferred message, headed by a line naming and linking the message.

The user's last personality (the newest one they talked to, from usage_logs) prefills the form
and picks the personality of "Reply as"; it is read on the request path under the prefill's
deadline (tzurot.discord.prefill).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict

from tzurot.discord import responses
from tzurot.discord.attachments import ImageRef, image_refs
from tzurot.discord.definitions import ASK_A_PERSONALITY, MESSAGE_COMMANDS, REPLY_AS_LAST
from tzurot.discord.permissions import THREAD_TYPES, may_reply
from tzurot.discord.prefill import AskTarget

__all__ = ["ASK_A_PERSONALITY", "MESSAGE_COMMANDS", "REPLY_AS_LAST"]
ASK_MODAL = "ask"
PERSONALITY_FIELD = "personality"
INSTRUCTION_FIELD = "instruction"
MESSAGE_FIELD = "message"
MAX_QUOTED = 4000  # a text input's most; also what a quoted message may bring into the prompt
MAX_INSTRUCTION = 1000
CUSTOM_ID_MAX = 100

NO_LAST_PERSONALITY = (
    "You haven't talked to a personality yet. Use **Ask a personality** on a message, or "
    "`/chat`, first."
)
NO_TARGET = "I couldn't read that message. Please try again."
NO_PERSONALITY = "Please name a personality to ask."

# Interaction contexts and installation types (Discord's values).
GUILD_CONTEXT, BOT_DM_CONTEXT = 0, 1
GUILD_INSTALL = "0"


class ReplyTarget(BaseModel):
    """The message a message command acts on, as the job carries it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    message_id: str
    channel_id: str | None = None
    guild_id: str | None = None
    author: str = "someone"
    content: str = ""
    # The answer is a real reply posted with the bot token (may_reply_in_channel), not a quote.
    reply_in_channel: bool = False

    @property
    def jump_url(self) -> str:
        return (
            f"https://discord.com/channels/{self.guild_id or '@me'}/{self.channel_id}/"
            f"{self.message_id}"
        )


def may_reply_in_channel(interaction) -> bool:
    """Whether the bot itself can post a reply where this interaction happened: in its own DM
    with the user, or in a server that installed the app (the bot is a member there) when
    `app_permissions` allow reading history, sending and embedding. A user-installed app in a
    server without the bot gets `app_permissions` too, but no bot there to post."""
    if interaction.context == BOT_DM_CONTEXT:
        return interaction.guild_id is None
    if interaction.context != GUILD_CONTEXT or interaction.guild_id is None:
        return False
    owners = interaction.authorizing_integration_owners or {}
    if owners.get(GUILD_INSTALL) != interaction.guild_id:
        return False
    thread = (interaction.channel or {}).get("type") in THREAD_TYPES
    return may_reply(interaction.app_permissions, thread=thread)


def target_of(interaction) -> tuple[ReplyTarget, list[ImageRef]] | None:
    """The target message and its images, from `data.resolved.messages`; None when missing."""
    data = interaction.data
    if data is None or not data.target_id:
        return None
    message = ((data.resolved or {}).get("messages") or {}).get(data.target_id)
    if not isinstance(message, dict):
        return None
    author = message.get("author") if isinstance(message.get("author"), dict) else {}
    content = message.get("content") if isinstance(message.get("content"), str) else ""
    if not content:  # an embed-only message (a bot's, a personality's answer)
        content = " ".join(
            str(embed.get("description") or "")
            for embed in message.get("embeds") or []
            if isinstance(embed, dict)
        ).strip()
    target = ReplyTarget(
        message_id=data.target_id,
        channel_id=message.get("channel_id") or interaction.channel_id,
        guild_id=interaction.guild_id,
        author=(author.get("global_name") or author.get("username") or "someone")[:80],
        content=content[:MAX_QUOTED],
        reply_in_channel=may_reply_in_channel(interaction),
    )
    return target, image_refs(message.get("attachments"))


def kept_images(target: ReplyTarget, images: list[ImageRef]) -> AskTarget | None:
    """What "Ask a personality" keeps for the worker (tzurot.discord.prefill), None without
    images."""
    if not images:
        return None
    refs = [image.model_dump(exclude_none=True) for image in images]
    return AskTarget(target.message_id, json.dumps(refs, separators=(",", ":")))


def ask_modal(target: ReplyTarget, last_personality: str | None) -> dict[str, Any]:
    """The "Ask a personality" form: who answers (prefilled with the last one), an optional
    instruction, and the message's text."""
    prefix = f"{ASK_MODAL}:{target.message_id}:"
    custom_id = prefix + target.author[: CUSTOM_ID_MAX - len(prefix)]
    return responses.modal(
        custom_id,
        f"Ask about {target.author}'s message",
        [
            responses.text_input(
                PERSONALITY_FIELD,
                "Personality",
                description="Name, slug or alias of who should answer.",
                value=last_personality or None,
                max_length=80,
            ),
            responses.text_input(
                INSTRUCTION_FIELD,
                "What to ask (optional)",
                style=responses.PARAGRAPH,
                placeholder="e.g. Explain this simply",
                required=False,
                max_length=MAX_INSTRUCTION,
            ),
            responses.text_input(
                MESSAGE_FIELD,
                "The message",
                style=responses.PARAGRAPH,
                value=target.content or None,
                required=False,
                max_length=MAX_QUOTED,
            ),
        ],
    )


def parse_ask(custom_id: str | None) -> tuple[str, str] | None:
    """(message id, author) of an "Ask a personality" submit; None for any other custom_id."""
    kind, _, rest = (custom_id or "").partition(":")
    message_id, sep, author = rest.partition(":")
    if kind != ASK_MODAL or not sep or not message_id.isdigit():
        return None
    return message_id, author or "someone"
