"""A /chat turn started by a message command (tzurot.discord.message_commands): the message it
replies to goes into the turn's text as a quote, and the answer says what it replies to.

Where the bot can post, the answer is a real reply (tzurot.commands.channel_reply). Elsewhere
interaction responses cannot carry a message reference, so the answer is a reply by quotation:
a small line above it names the author and links the message (`header`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tzurot.discord.attachments import ImageRef, image_refs
from tzurot.logs import get_logger

if TYPE_CHECKING:
    from tzurot.discord.rest import DiscordRest
    from tzurot.jobs.model import Job

log = get_logger("tzurot.chat")


def turn_text(job: Job, message: str) -> str:
    """What the user says this turn: the quoted message, then their instruction if any."""
    target = job.reply_to
    if target is None:
        return message
    lines = target.content.strip().splitlines() or ["(no text)"]
    quoted = "\n".join(f"> {line}" for line in lines)
    text = f"Replying to {target.author}'s message:\n{quoted}"
    return f"{text}\n\n{message}" if message else text


def header(job: Job) -> str | None:
    """The line above the answer: whom it replies to, with a link to the message."""
    target = job.reply_to
    if target is None:
        return None
    return f"-# ↪ Replying to {target.author}: {target.jump_url}"


# The images "Ask a personality" kept when its form opened (tzurot.discord.prefill), taken once.
_TAKE_KEPT_IMAGES = """DELETE FROM ask_targets
WHERE discord_user_id = %(discord_id)s AND message_id = %(message_id)s
RETURNING images"""


def target_images(conn, discord: DiscordRest, job: Job) -> list[ImageRef]:
    """Ask a personality: the target's images, which the form could not carry. The endpoint
    kept them when the form opened (one round trip here to take them); where it could not (its
    database read timed out), they are read with the bot token, only in the channel the command
    came from, and skipped quietly when the bot cannot read it (a user-installed app in someone
    else's DM)."""
    from tzurot.discord.rest import DiscordError

    target = job.reply_to
    if target is None or job.images or job.source != "modal":
        return []
    params = {"discord_id": job.user_id, "message_id": target.message_id}
    kept = conn.execute(_TAKE_KEPT_IMAGES, params).fetchone()
    if kept is not None:
        return [ImageRef.model_validate(item) for item in kept[0]]
    if not discord.has_bot_token or target.channel_id != job.channel_id:
        return []
    try:
        message = discord.get_message(target.channel_id, target.message_id)
    except DiscordError as exc:
        log.info("target message images skipped", extra={"reason": type(exc).__name__})
        return []
    return image_refs(message.get("attachments"))
