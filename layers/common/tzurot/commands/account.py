"""What every account command (/wallet, /config, /timezone, /usage, /admin, /personality, /help)
shares: claim the interaction once, the user's row, one reply, and failures turned into replies.

A command module defines `handle(job, ctx)` as `run(job, ctx, body)`, where `body(call)` does the
work and returns the `Reply`. It raises `Refusal` for anything the user should be told instead
(bad input, not allowed, a key the provider rejected): that becomes a private reply and the
"user_error" outcome. Anything else is a failure: a passing one (database, KMS, Discord down) goes
back to SQS while receives remain; otherwise the user gets the error reply of its category
(tzurot.commands.errors) with a reference id that every log line of the job carries.

The job is claimed in `processed_interactions` first (tzurot.jobs.idempotency), so a redelivered
message gets no second reply. Account commands write only absolute values (a key, a setting, a
deletion), so a retry after a failed reply may redo the work safely.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from tzurot.commands import errors, replies
from tzurot.commands.claimed import best_effort, hand_back_if_passing
from tzurot.commands.context import JobContext
from tzurot.commands.formatting import clip
from tzurot.errors import TzurotError
from tzurot.jobs import idempotency
from tzurot.logs import get_logger

if TYPE_CHECKING:
    from tzurot.jobs.model import Job
    from tzurot.personalities.model import Personality

log = get_logger("tzurot.account")

MAX_CONTENT = 2000  # Discord's limit for a message's content

# The CTEs that give `usr` (id, timezone): the user's row, created on first contact (the
# username kept current), from the parameters discord_id and username; /chat's state statement
# builds on them too. A concurrent first job may insert the row after the statement's snapshot:
# then no row comes back, and running the statement again finds it.
USER_CTES = """new_user AS (
    INSERT INTO users (discord_id, username) VALUES (%(discord_id)s, %(username)s)
    ON CONFLICT (discord_id) DO NOTHING
    RETURNING id, timezone
), renamed AS (
    UPDATE users SET username = %(username)s, updated_at = now()
    WHERE discord_id = %(discord_id)s AND username IS DISTINCT FROM %(username)s
), usr AS (
    SELECT id, timezone FROM new_user
    UNION ALL
    SELECT id, timezone FROM users WHERE discord_id = %(discord_id)s
    LIMIT 1
)"""
_USER = f"WITH {USER_CTES}\nSELECT id::text, timezone FROM usr"  # one round trip


class Refusal(TzurotError):
    """The command will not do what was asked; `text` tells the user why (privately)."""

    def __init__(self, text: str):
        self.text = text
        super().__init__(text)


@dataclass(frozen=True)
class Reply:
    """What the deferred message becomes. `public` only matters for a command deferred publicly
    (/personality info): a public reply edits it, a private one replaces it with an ephemeral
    followup. Commands deferred privately always answer privately."""

    content: str = ""
    embeds: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    public: bool = False
    # The body already edited the deferred message itself (/character avatar uploads a file).
    delivered: bool = False
    # Buttons (tzurot.discord.components); () removes any the message had. None: unchanged.
    components: tuple[dict[str, Any], ...] | None = None
    files: tuple[Any, ...] = ()  # tzurot.discord.rest.DiscordFile attachments


@dataclass(frozen=True)
class AccountUser:
    id: str  # users.id uuid
    timezone: str  # as stored

    @property
    def zone(self) -> str:
        """The stored timezone when it is a zone zoneinfo knows, else UTC (for display)."""
        from tzurot.commands.timezone import canonical_zone

        return canonical_zone(self.timezone) or "UTC"


class AccountCall:
    """One account job: the job, its context, the connection and the reference id."""

    def __init__(self, job: Job, ctx: JobContext, conn: Any, reference: str):
        self.job = job
        self.ctx = ctx
        self.conn = conn
        self.reference = reference

    @cached_property
    def user(self) -> AccountUser:
        """The user's row, created on first contact (one round trip)."""
        params = {"discord_id": self.job.user_id, "username": self.job.username[:255]}
        row = self.conn.execute(_USER, params).fetchone()
        if row is None:
            row = self.conn.execute(_USER, params).fetchone()
        return AccountUser(id=row[0], timezone=row[1])

    def personality(self, text: str) -> Personality:
        """The personality named `text` (name, slug or alias); a Refusal with the closest names
        when there is none."""
        from tzurot.personalities.errors import PersonalityNotFound
        from tzurot.personalities.repository import resolve

        try:
            return resolve(self.conn, text, viewer=self.job.user_id)
        except PersonalityNotFound as exc:
            raise Refusal(errors.reply_for(exc, reference=self.reference).text) from None

    def option(self, name: str) -> str | None:
        """A text option, stripped; None when absent or blank."""
        value = self.job.options.get(name)
        if value is None:
            return None
        text = str(value).strip()
        return text or None


Body = Callable[[AccountCall], Reply]


def run(job: Job, ctx: JobContext, body: Body) -> str:
    """Claim the job, run `body`, send its reply; returns the outcome for the Jobs metric."""
    conn = ctx.conn()
    claim = idempotency.claim(
        conn, job.interaction_id, job.command, receive_count=ctx.receive_count
    )
    if not claim.claimed:
        log.info("duplicate delivery ignored", extra={"status": claim.status})
        return "duplicate"
    reference = claim.reference
    call = AccountCall(job, ctx, conn, reference)
    try:
        reply, outcome = body(call), "ok"
    except Refusal as exc:
        reply, outcome = Reply(exc.text), "user_error"
        log.info("refused", extra={"reference": reference, "command": job.command})
    except Exception as exc:
        reply, outcome = _failure(call, exc), "failed"
    try:
        if not reply.delivered:
            send(ctx.discord, job, reply)
    except Exception as exc:
        hand_back_if_passing(ctx, job, reference, exc)
        log.error(
            "could not deliver the reply",
            extra={"reference": reference, "error": type(exc).__name__},
        )
        _finish(call, "failed")
        return "failed"
    _finish(call, "done" if outcome != "failed" else "failed")
    return outcome


def dispatch(
    job: Job, ctx: JobContext, subcommands: dict[str, Body], confirmed: Body | None = None
) -> str:
    """`run` the body of the job's subcommand; a confirmation button's job (source "component",
    tzurot.discord.components) runs `confirmed`."""
    if job.source == "component" and confirmed is not None:
        return run(job, ctx, confirmed)
    return run(job, ctx, subcommands.get(job.subcommand or "", _unknown_subcommand))


def _unknown_subcommand(call: AccountCall) -> Reply:
    raise Refusal(f"Sorry, I don't know that `/{call.job.command}` command. Try `/help`.")


def send(discord, job: Job, reply: Reply) -> None:
    """Edit the deferred message into `reply` (see Reply for where it is visible)."""
    payload: dict[str, Any] = {}
    if reply.content:
        payload["content"] = clip(reply.content, MAX_CONTENT)
    if reply.embeds:
        payload["embeds"] = list(reply.embeds)
    if reply.components is not None:
        payload["components"] = list(reply.components)
    if not (job.ephemeral or reply.public):
        replies.send_private(discord, job, clip(reply.content, MAX_CONTENT))
        return
    if job.ephemeral:
        # Discord keeps the defer's visibility on an edit; the flag says what the reply is.
        payload["flags"] = replies.EPHEMERAL
    attachments = {"files": list(reply.files)} if reply.files else {}
    discord.edit_original(
        job.interaction_token, {**payload, "allowed_mentions": replies.NO_MENTIONS}, **attachments
    )


def _failure(call: AccountCall, exc: Exception) -> Reply:
    """A failure the command did not expect: back to SQS when it may pass, else an error reply."""
    hand_back_if_passing(call.ctx, call.job, call.reference, exc)
    error = errors.reply_for(exc, reference=call.reference)
    (log.exception if error.category == "internal" else log.error)(
        "account command failed",
        extra={
            "reference": call.reference,
            "command": call.job.command,
            "category": error.category,
            "error": type(exc).__name__,
        },
    )
    return Reply(error.text)


def _finish(call: AccountCall, status: str) -> None:
    best_effort(lambda: idempotency.finish(call.conn, call.job.interaction_id, status))
