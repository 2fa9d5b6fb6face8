"""Which handler runs a job: one line per command.

A handler is `handle(job: Job, ctx: JobContext) -> str`, returning its outcome for the Jobs
metric ("ok", "duplicate", "user_error", ...). It raises `RetryLater` (or lets a retryable error
through) when SQS should deliver the job again. Handlers are named as "module:function" strings
and imported on first use, so a worker only loads the code of the commands it actually runs.

Account commands plug in here, e.g. `"wallet": "tzurot.commands.wallet:handle",`; a modal
submit (job.source == "modal") goes to its command's handler like the command itself.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tzurot.commands.context import JobContext
    from tzurot.jobs.model import Job

Handler = Callable[["Job", "JobContext"], str]

GENERATE_HANDLERS: dict[str, str] = {
    "chat": "tzurot.commands.chat:handle",
    # account commands (tzurot.commands.account)
    "wallet": "tzurot.commands.wallet:handle",
    "config": "tzurot.commands.user_config:handle",
    "timezone": "tzurot.commands.timezone:handle",
    "usage": "tzurot.commands.usage:handle",
    "admin": "tzurot.commands.admin:handle",
    "personality": "tzurot.commands.personality_info:handle",
    "character": "tzurot.commands.character:handle",
    "help": "tzurot.commands.help:handle",
    "memory": "tzurot.commands.memory:handle",
    "history": "tzurot.commands.history_clear:handle",
    "privacy": "tzurot.commands.privacy:handle",
}

IMAGE_HANDLERS: dict[str, str] = {
    "imagine": "tzurot.commands.imagine:handle",
}

_loaded: dict[str, Handler] = {}


def handler_for(command: str, table: dict[str, str] | None = None) -> Handler | None:
    """The handler of `command` in `table` (default: the generate queue's), or None."""
    target = (GENERATE_HANDLERS if table is None else table).get(command)
    if target is None:
        return None
    handler = _loaded.get(target)
    if handler is None:
        module, _, function = target.partition(":")
        handler = _loaded[target] = getattr(import_module(module), function)
    return handler
