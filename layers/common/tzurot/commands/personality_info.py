"""/personality info name: a personality's profile card.

Display name, name, aliases, birthday, whether its replies will be spoken for the user asking
(tzurot.commands.voice_preference: a voice, their setting, their ElevenLabs key), whether images
are on, and the model of its default LLM config. The card is public, like the command's deferred
message (a profile is not private); an unknown name gets a private reply with the closest names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tzurot.commands import formatting as fmt
from tzurot.commands.account import AccountCall, Refusal, Reply, run
from tzurot.commands.birthday import birthday_text
from tzurot.commands.errors import provider_name
from tzurot.commands.voice_preference import describe, has_voice, load_state

if TYPE_CHECKING:
    from tzurot.personalities.model import Personality

MAX_FIELD = 1024  # Discord's limit for an embed field's value


def handle(job, ctx) -> str:
    return run(job, ctx, _SUBCOMMANDS.get(job.subcommand or "", _unknown))


def info(call: AccountCall) -> Reply:
    name = call.option("name")
    if name is None:
        raise Refusal("Please name a personality: `/personality info name:…`.")
    personality = call.personality(name)
    state = load_state(call.conn, call.job.user_id, personality, call.ctx.now())
    return Reply(embeds=(profile_embed(personality, describe(personality, state)),), public=True)


def profile_embed(personality: Personality, voice: str | None = None) -> dict:
    """The card; `voice` says whether replies are spoken for the user asking (default: whether
    the personality has a voice at all)."""
    aliases = ", ".join(personality.aliases) if personality.aliases else "none"
    fields = [
        ("Name", f"{personality.name} ({fmt.inline_code(personality.slug)})", True),
        ("Aliases", fmt.clip(aliases, MAX_FIELD), True),
        ("Birthday", birthday_text(personality.birthday), True),
        ("Voice", voice or ("on" if has_voice(personality) else "off"), True),
        ("Images", "on" if personality.image_enabled else "off", True),
        ("Model", model_text(personality), False),
    ]
    if personality.owner_id is not None:  # a user's own character: say whose
        owner = personality.owner_name or "a user"
        fields.insert(1, ("Owner", fmt.clip(owner, MAX_FIELD), True))
    embed: dict = {
        "title": personality.label[:256],
        "fields": [{"name": n, "value": v, "inline": inline} for n, v, inline in fields],
    }
    if personality.avatar_url:
        embed["thumbnail"] = {"url": personality.avatar_url}
    return embed


def model_text(personality: Personality) -> str:
    llm = personality.llm
    if llm is None or not llm.model:
        return "not configured"
    return f"{fmt.inline_code(llm.model)} ({provider_name(llm.provider)})"


def _unknown(call: AccountCall) -> Reply:
    raise Refusal("Sorry, I don't know that `/personality` command. Try `/help`.")


_SUBCOMMANDS = {"info": info}
