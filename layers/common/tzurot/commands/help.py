"""/help: what each command does, and where the user guide is.

The command list is built from tzurot.discord.definitions, the same data Discord shows, so help
cannot drift from the commands that exist. The guide's address is the operator's
TZUROT_USER_GUIDE_URL (where they publish docs/user-guide.md); without one, help names the file.
"""

from __future__ import annotations

from tzurot.commands.account import AccountCall, Reply, run
from tzurot.discord.definitions import COMMANDS, SUB_COMMAND

GETTING_STARTED = (
    "Start with `/wallet set` to add your own key for a provider, then talk with "
    "`/chat personality:… message:…`."
)
PRIVACY = (
    "Replies about your keys, settings and usage are visible only to you. Keys are checked "
    "with the provider, stored encrypted, and used only for your own requests."
)


def handle(job, ctx) -> str:
    return run(job, ctx, show_help)


def command_lines() -> list[str]:
    """One line per command: its name, its subcommands, what it does."""
    lines = []
    for command in COMMANDS.values():
        subcommands = [o.name for o in command.options if o.type == SUB_COMMAND]
        name = f"/{command.name}" + (f" {'|'.join(subcommands)}" if subcommands else "")
        lines.append(f"`{name}`: {command.description}")
    return lines


def help_text(guide_url: str | None) -> str:
    guide = (
        f"User guide (getting a key from each provider, every command with an example): "
        f"<{guide_url}>"
        if guide_url
        else "User guide: `docs/user-guide.md` in the bot's repository (getting a key from "
        "each provider, every command with an example)."
    )
    return "\n".join(["**What I can do**", *command_lines(), "", GETTING_STARTED, PRIVACY, guide])


def show_help(call: AccountCall) -> Reply:
    return Reply(help_text(call.ctx.settings.user_guide_url))
