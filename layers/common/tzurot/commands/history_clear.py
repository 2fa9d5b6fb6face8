"""/history clear [personality]: reset the user's recent conversation in this channel.

Short-term history is kept per (channel, personality) and replayed into the prompt; this deletes
the user's own turns there (their messages and the answers to them, with one personality or
all), so the next /chat starts afresh. Other people's turns in the channel stay. Long-term
memories are not touched (`/memory clear` does that).
"""

from __future__ import annotations

from tzurot.commands import formatting as fmt
from tzurot.commands.account import AccountCall, Reply, dispatch


def handle(job, ctx) -> str:
    return dispatch(job, ctx, _SUBCOMMANDS)


def _clear(call: AccountCall) -> Reply:
    from tzurot.commands.chat import conversation_id

    name = call.option("personality")
    personality = call.personality(name) if name else None
    deleted = call.conn.execute(
        """DELETE FROM conversation_messages
        WHERE channel_id = %(channel)s AND user_id = %(user)s
          AND (%(personality)s::uuid IS NULL OR personality_id = %(personality)s::uuid)""",
        {
            "channel": conversation_id(call.job),
            "user": call.user.id,
            "personality": str(personality.id) if personality else None,
        },
    ).rowcount
    label = personality.label if personality else "any personality"
    if deleted == 0:
        return Reply(f"You have no recent conversation with {label} here.")
    return Reply(
        f"Cleared your recent conversation with {label} here "
        f"({fmt.plural(deleted, 'message')}). Long-term memories are kept: see `/memory`."
    )


_SUBCOMMANDS = {"clear": _clear}
