"""The job message: what the interactions function hands a worker through SQS.

One model, versioned. It carries what a worker needs to answer the interaction (ids, the
interaction token, locale, the command and its options, the upload size limit, when Discord
created the interaction) and nothing secret in plaintext: a key typed into the /wallet set modal
travels only as a KMS-sealed blob (`sealed_key`, see tzurot.crypto.transit). The interaction
token is needed to reply; it is kept out of repr so it cannot slip into a log line by accident.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from tzurot.discord.definitions import COMMANDS, Queue

if TYPE_CHECKING:
    from tzurot.discord.interaction import Interaction

JOB_VERSION = 1

OptionValue = str | int | float | bool


class Job(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # Bumped on any incompatible change; a worker rejects versions it does not know.
    version: Literal[1] = JOB_VERSION
    queue: Queue
    # "command": a slash command; "modal": a submitted modal (options hold its fields).
    source: Literal["command", "modal"] = "command"
    interaction_id: str
    interaction_token: str = Field(repr=False)
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
    # /wallet set only: the key, sealed with KMS under (user_id, provider, interaction_id).
    sealed_key: str | None = Field(default=None, repr=False)

    @classmethod
    def from_interaction(
        cls,
        interaction: Interaction,
        *,
        source: Literal["command", "modal"] = "command",
        command: str | None = None,
        subcommand: str | None = None,
        options: dict[str, OptionValue] | None = None,
        sealed_key: str | None = None,
    ) -> Job:
        """Build the job for `interaction`; command, subcommand and options default to its own.

        Modal submits pass them explicitly (they come from the modal's custom_id and fields).
        Queue and ephemerality come from the command's definition.
        """
        path = interaction.command_path()
        if command is None:
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
        return cls(
            queue=definition.queue,
            source=source,
            interaction_id=interaction.id,
            interaction_token=interaction.token,
            application_id=interaction.application_id,
            user_id=user.id,
            username=user.username,
            display_name=user.global_name,
            guild_id=interaction.guild_id,
            channel_id=interaction.channel_id,
            locale=interaction.locale,
            command=command,
            subcommand=subcommand,
            options=dict(options or {}),
            ephemeral=definition.ephemeral,
            attachment_size_limit=interaction.attachment_size_limit,
            created_at=interaction.created_at,
            sealed_key=sealed_key,
        )

    def to_message(self) -> str:
        """The SQS message body."""
        return self.model_dump_json(exclude_none=True)

    @classmethod
    def from_message(cls, body: str) -> Job:
        """Parse an SQS message body (raises pydantic.ValidationError when it is not a job)."""
        return cls.model_validate_json(body)
