"""/memory list [personality] [page] | forget memory | clear [personality] | off|on [personality]:
what personalities remember about the user (tzurot.memory), all private.

`clear` asks first: its reply carries Delete / Cancel buttons (tzurot.discord.components); the
Delete click comes back as a job with source "component" and the scope in its options, and only
then are the memories deleted. `off` stops both remembering and recalling (for one personality,
or all); what is stored stays until cleared.
"""

from __future__ import annotations

from tzurot.commands import formatting as fmt
from tzurot.commands.account import AccountCall, Refusal, Reply, dispatch
from tzurot.discord import components
from tzurot.memory import store

PAGE_SIZE = 10
ITEM_CHARS = 160


def handle(job, ctx) -> str:
    return dispatch(job, ctx, _SUBCOMMANDS, confirmed=_clear_confirmed)


def _scope(call: AccountCall) -> tuple[str | None, str]:
    """(personality id or None for all, how to name it in a reply)."""
    name = call.option("personality")
    if name is None:
        return None, "any personality"
    personality = call.personality(name)
    return str(personality.id), personality.label


def _list(call: AccountCall) -> Reply:
    personality_id, label = _scope(call)
    number = int(call.job.options.get("page") or 1)
    items, total = store.page(
        call.conn, call.user.id, personality_id, (number - 1) * PAGE_SIZE, PAGE_SIZE
    )
    if total == 0:
        return Reply(f"Nothing is remembered about you with {label} yet.")
    pages = -(-total // PAGE_SIZE)
    if not items:
        return Reply(f"There are only {fmt.plural(pages, 'page')} of memories.")
    lines = [f"**Memories with {label}** ({total}), newest first:"]
    for item in items:
        text = fmt.clip(" ".join(item.content.split()), ITEM_CHARS)
        when = fmt.local_time(item.created_at, call.user.zone)
        lines.append(f"• {when} · {item.personality}: {text}")
    footer = f"Page {number} of {pages}."
    if number < pages:
        footer += f" Next: `/memory list page:{number + 1}`."
    lines.append(footer + " Forget one with `/memory forget`.")
    return Reply("\n".join(lines))


def _forget(call: AccountCall) -> Reply:
    chosen = call.option("memory") or ""
    if not (chosen.isdigit() and len(chosen) <= 18):  # memories.id is a bigint
        raise Refusal("Please pick a memory from the list (start typing words it contains).")
    content = store.forget(call.conn, call.user.id, int(chosen))
    if content is None:
        raise Refusal("That memory is already gone.")
    return Reply(f"Forgotten: “{fmt.clip(' '.join(content.split()), ITEM_CHARS)}”")


def _clear(call: AccountCall) -> Reply:
    personality_id, label = _scope(call)
    _, total = store.page(call.conn, call.user.id, personality_id, 0, 1)
    if total == 0:
        return Reply(f"Nothing is remembered about you with {label}, so there is nothing to clear.")
    issued = int(call.ctx.now().timestamp())
    return Reply(
        f"Delete {fmt.plural(total, 'memory', 'memories')} with {label}? This cannot be undone. "
        f"(The button works for {components.CONFIRM_SECONDS // 60} minutes.)",
        components=tuple(
            components.confirmation_row(
                "memory-clear",
                personality_id or components.ALL,
                call.job.user_id,
                issued,
                "Delete memories",
            )
        ),
    )


def _clear_confirmed(call: AccountCall) -> Reply:
    scope = str(call.job.options.get("scope") or "")
    personality_id = None if scope == components.ALL else scope
    deleted = store.clear(call.conn, call.user.id, personality_id)
    if deleted == 0:
        return Reply("There was nothing left to delete.", components=())
    return Reply(f"Deleted {fmt.plural(deleted, 'memory', 'memories')}.", components=())


def _off(call: AccountCall) -> Reply:
    return _switch(call, False)


def _on(call: AccountCall) -> Reply:
    return _switch(call, True)


def _switch(call: AccountCall, enabled: bool) -> Reply:
    personality_id, label = _scope(call)
    store.set_enabled(call.conn, call.user.id, personality_id, enabled)
    if enabled:
        return Reply(f"Memory is on with {label}: new conversations are remembered and recalled.")
    return Reply(
        f"Memory is off with {label}: nothing new is remembered and nothing is recalled. What "
        "is already stored stays until you `/memory clear` it."
    )


_SUBCOMMANDS = {"list": _list, "forget": _forget, "clear": _clear, "off": _off, "on": _on}
