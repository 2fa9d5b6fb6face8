"""The job message: what the interactions function hands a worker through SQS.

One model, versioned. It carries what a worker needs to answer the interaction (ids, locale, the
command and its options, the upload size limit, when Discord created the interaction) and
nothing secret in plaintext:

- the interaction token travels sealed (`token_sealed`: a sealed box to the transit public
  key, bound to the interaction and user, tzurot.crypto.transit); the worker opens it and
  attaches it to its copy of the job (`with_token`), where `interaction_token` reads it. It is
  a private attribute: never serialised, never in repr, so it cannot slip into an SQS body or a
  log line;
- a key typed into the /wallet set modal travels only sealed the same way (`sealed_key`, bound
  to the interaction, user and provider).

Version 3 (sealed boxes, `{"kid", "box"}`) replaced version 2 (KMS-wrapped token key and a KMS
ciphertext) and version 1 (token in clear). `from_message` is strict: a body of any other
version raises UnsupportedJobVersion, and the worker sends it towards the DLQ.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from tzurot.crypto.transit import SealedBox
from tzurot.discord.attachments import ImageRef, option_images
from tzurot.discord.definitions import COMMANDS, Queue
from tzurot.discord.message_commands import ReplyTarget
from tzurot.errors import TzurotError

if TYPE_CHECKING:
    from tzurot.discord.interaction import Interaction

JOB_VERSION = 3

OptionValue = str | int | float | bool


class UnsupportedJobVersion(TzurotError):
    """An SQS body that is a job of a version this worker does not read."""


class NotAJob(TzurotError):
    """A job the worker could not read (a value JSON cannot carry, such as NaN)."""


class TokenNotOpened(TzurotError):
    """Code asked for the interaction token of a job whose sealed token was not opened."""


class JobEnvelope(BaseModel):
    """What any job body must hold for its user to be answered, read leniently: a body the
    worker cannot read as a Job still gets a reply on its last receive when this much reads."""

    model_config = ConfigDict(extra="ignore")

    interaction_id: str
    user_id: str  # the sealed token is bound to it
    token_sealed: SealedBox


class Job(BaseModel):
    # No NaN or infinity: JSON has no way to write them (pydantic would write null, which the
    # worker then refuses), so the endpoint refuses them before a job exists (`checked`).
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    # Bumped on any incompatible change; a worker rejects versions it does not know.
    version: Literal[3] = JOB_VERSION
    queue: Queue
    # "command": a slash command; "modal": a submitted modal (options hold its fields);
    # "component": a confirmation button (options hold its scope, tzurot.discord.components);
    # "spool": the writes of a paid call the worker could not make (tzurot.commands.paid).
    source: Literal["command", "modal", "component", "spool"] = "command"
    interaction_id: str
    token_sealed: SealedBox = Field(repr=False)
    application_id: str
    user_id: str  # Discord user snowflake
    username: str
    display_name: str | None = None
    guild_id: str | None = None
    channel_id: str | None = None
    locale: str | None = None
    command: str
    subcommand: str | None = None
    options: dict[str, OptionValue] = Field(default_factory=dict)
    ephemeral: bool = False
    attachment_size_limit: int | None = None  # bytes a reply may upload here
    created_at: datetime  # when Discord created the interaction (UTC)
    # Images shown with the command (attachment options): references only, fetched by the worker.
    images: tuple[ImageRef, ...] | None = None
    # Message commands: the message the answer replies to (its text travels, never its bytes).
    reply_to: ReplyTarget | None = None
    # /wallet set only: the key, sealed for (user_id, provider, interaction_id).
    sealed_key: SealedBox | None = Field(default=None, repr=False)
    # The opened token: set by the worker (with_token), never serialised or shown.
    _token: str | None = PrivateAttr(default=None)

    @property
    def interaction_token(self) -> str:
        if self._token is None:
            raise TokenNotOpened("the job's interaction token has not been opened")
        return self._token

    def with_token(self, token: str) -> Job:
        """A copy of this job that knows its opened interaction token."""
        job = self.model_copy()
        job._token = token
        return job

    @classmethod
    def from_interaction(
        cls,
        interaction: Interaction,
        *,
        token_sealed: SealedBox,
        source: Literal["command", "modal", "component"] = "command",
        command: str | None = None,
        subcommand: str | None = None,
        options: dict[str, OptionValue] | None = None,
        sealed_key: SealedBox | None = None,
        images: list[ImageRef] | None = None,
        reply_to: ReplyTarget | None = None,
    ) -> Job:
        """Build the job for `interaction`; command, subcommand and options default to its own.

        Modal submits and message commands pass them explicitly (from the modal's custom_id and
        fields, or the target message: its `images` and `reply_to`).
        Queue and ephemerality come from the command's definition. `token_sealed` is the
        interaction's token, sealed for this interaction and user (tzurot.discord.sealing).
        """
        if command is None:
            path = interaction.command_path()
            if path is None:
                raise ValueError("interaction has no command")
            command, subcommand = path.name, path.subcommand
            options = path.options if options is None else options
        definition = COMMANDS.get(command)
        if definition is None:
            raise ValueError(f"unknown command {command!r}")
        user = interaction.invoker
        if user is None:
            raise ValueError("interaction has no user")
        options = dict(options or {})
        attachment_ids = [str(options[n]) for n in definition.attachment_options() if n in options]
        resolved = interaction.data.resolved if interaction.data else None
        return cls(
            queue=definition.queue,
            source=source,
            interaction_id=interaction.id,
            token_sealed=token_sealed,
            application_id=interaction.application_id,
            user_id=user.id,
            username=user.username,
            display_name=user.global_name,
            guild_id=interaction.guild_id,
            channel_id=interaction.channel_id,
            locale=interaction.locale,
            command=command,
            subcommand=subcommand,
            options=options,
            images=tuple(images or option_images(resolved, attachment_ids)) or None,
            reply_to=reply_to,
            ephemeral=definition.ephemeral,
            attachment_size_limit=interaction.attachment_size_limit,
            created_at=interaction.created_at,
            sealed_key=sealed_key,
        )

    def to_message(self) -> str:
        """The SQS message body."""
        return self.model_dump_json(exclude_none=True)

    def checked(self) -> str:
        """The SQS message body, after reading it back as the worker will: the endpoint and the
        worker agree on what a job is before anything is queued. NotAJob when it does not read.
        """
        try:
            body = self.to_message()
            Job.from_message(body)
        except (ValueError, UnicodeError) as exc:  # ValidationError, serialization errors
            raise NotAJob(f"the job would not read back: {type(exc).__name__}") from None
        return body

    @classmethod
    def from_message(cls, body: str) -> Job:
        """Parse an SQS message body: UnsupportedJobVersion for a job of another version,
        pydantic.ValidationError for anything else that is not a job."""
        try:
            return cls.model_validate_json(body)
        except ValidationError as exc:
            for error in exc.errors(include_url=False, include_context=False):
                if error["loc"] == ("version",) and error["type"] == "literal_error":
                    raise UnsupportedJobVersion(
                        f"job version {error['input']!r} is not supported (this worker reads "
                        f"version {JOB_VERSION} only)"
                    ) from None
            raise
