"""/timezone set zone | get: the user's IANA timezone, used for dates and times in replies.

Names are checked against the IANA database that zoneinfo sees. The `tzdata` package is a
runtime dependency, so the database is there on Lambda too, where the system has none. Matching
ignores case and accepts spaces for underscores, so "new york" is not found but
"america/new york" is; the canonical spelling is what gets stored.
"""

from __future__ import annotations

from functools import lru_cache

from tzurot.commands import formatting as fmt
from tzurot.commands.account import AccountCall, Refusal, Reply, run

MAX_SUGGESTIONS = 3


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    """casefolded name -> canonical name, for every zone of the IANA database."""
    from zoneinfo import available_timezones

    return {name.casefold(): name for name in available_timezones()}


def canonical_zone(text: str) -> str | None:
    """The IANA zone `text` names (any case, spaces for underscores), or None."""
    return _zones().get(text.strip().replace(" ", "_").casefold())


def suggestions(text: str) -> list[str]:
    """Zones that start with or contain `text` (as autocomplete offers them), else zones
    spelled almost like it ("Europe/Londn")."""
    import difflib

    from tzurot.discord.autocomplete import timezone_choices

    if not text.strip():
        return []
    found = [name for _, name in timezone_choices(text, MAX_SUGGESTIONS)]
    if found:
        return found
    needle = text.strip().replace(" ", "_").casefold()
    close = difflib.get_close_matches(needle, list(_zones()), n=MAX_SUGGESTIONS, cutoff=0.8)
    return [_zones()[name] for name in close]


def unknown_zone_reply(text: str) -> str:
    """The polite refusal for a name that is not an IANA zone, with suggestions when close."""
    shown = fmt.inline_code(text[:64]) if text else "That"
    close = suggestions(text)
    reply = (
        f"{shown} isn't a timezone I know. Please use an IANA name such as "
        "`Europe/London` or `America/New_York` (start typing to see suggestions)."
    )
    if close:
        reply += " Did you mean " + ", ".join(fmt.inline_code(name) for name in close) + "?"
    return reply


def handle(job, ctx) -> str:
    return run(job, ctx, _SUBCOMMANDS.get(job.subcommand or "", _unknown))


def set_zone(call: AccountCall) -> Reply:
    text = call.option("zone") or ""
    zone = canonical_zone(text)
    if zone is None:
        raise Refusal(unknown_zone_reply(text))
    call.conn.execute(
        "UPDATE users SET timezone = %s, updated_at = now() WHERE id = %s",
        (zone, call.user.id),
    )
    now = call.ctx.now()
    return Reply(
        f"Your timezone is now {fmt.inline_code(zone)}. It's {_clock(now, zone)} there "
        f"({fmt.utc_offset(now, zone)})."
    )


def get_zone(call: AccountCall) -> Reply:
    zone = call.user.zone
    now = call.ctx.now()
    text = (
        f"Your timezone is {fmt.inline_code(zone)}. It's {_clock(now, zone)} there "
        f"({fmt.utc_offset(now, zone)})."
    )
    if zone == "UTC":
        text += " Set your own with `/timezone set`."
    return Reply(text)


def _clock(moment, zone: str) -> str:
    """The time and date in `zone`: "14:05 on Thursday 26 November 2026"."""
    from zoneinfo import ZoneInfo

    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%H:%M} on {local:%A} {local.day} {local:%B %Y}"


def _unknown(call: AccountCall) -> Reply:
    raise Refusal("Sorry, I don't know that `/timezone` command. Try `/help`.")


_SUBCOMMANDS = {"set": set_zone, "get": get_zone}
