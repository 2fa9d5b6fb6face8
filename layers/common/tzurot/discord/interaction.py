"""The incoming interaction, typed down to what this app reads.

Discord sends much more; unknown fields are ignored so that new ones never break parsing. A body
that does not fit this shape raises pydantic's ValidationError, which the endpoint turns into 400.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from tzurot.storable import storable

# Interaction types (what Discord sends).
PING = 1
APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
APPLICATION_COMMAND_AUTOCOMPLETE = 4
MODAL_SUBMIT = 5
KNOWN_TYPES = frozenset(
    {PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, APPLICATION_COMMAND_AUTOCOMPLETE, MODAL_SUBMIT}
)

_SUBCOMMAND_TYPES = (1, 2)  # SUB_COMMAND, SUB_COMMAND_GROUP
_DISCORD_EPOCH_MS = 1_420_070_400_000

# User-typed text, made storable on arrival (tzurot.storable: no NUL, no lone surrogate), so
# nothing downstream (a paid provider call, then the database) can trip over it.
Text = Annotated[str, AfterValidator(storable)]
OptionValue = Text | int | float | bool
# Discord ids are decimal strings of a 64-bit number; anything else is not from Discord.
Snowflake = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,20}$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class User(_Model):
    id: Snowflake
    username: Text = ""
    global_name: Text | None = None


class Member(_Model):
    user: User | None = None


class CommandOption(_Model):
    name: str
    type: int
    value: OptionValue | None = None
    options: list[CommandOption] | None = None
    focused: bool | None = None


class InteractionData(_Model):
    """`data` of a command, autocomplete, component or modal submit interaction."""

    name: str | None = None
    type: int | None = None
    options: list[CommandOption] | None = None
    custom_id: Text | None = None
    # Modal submits: action rows or labels holding text inputs; read by tzurot.discord.modals.
    components: list[dict[str, Any]] | None = None
    # Users, attachments, messages an option or a message command refers to by id (/character
    # avatar's attachment, /chat's image, a message command's target: tzurot.discord.attachments).
    resolved: dict[str, Any] | None = None
    target_id: Snowflake | None = None  # message commands: the message acted on


class CommandPath(_Model):
    """A command flattened: /config set-param name:temperature value:0.7."""

    name: str
    subcommand: str | None = None
    options: dict[str, OptionValue] = Field(default_factory=dict)
    focused: str | None = None  # the option being typed, for autocomplete


class Interaction(_Model):
    id: Snowflake
    application_id: Snowflake
    type: int
    token: str = Field(min_length=1, max_length=1000, repr=False)
    version: int | None = None
    data: InteractionData | None = None
    guild_id: Snowflake | None = None
    channel_id: Snowflake | None = None
    member: Member | None = None
    user: User | None = None
    locale: str | None = None
    guild_locale: str | None = None
    context: int | None = None  # 0 a server, 1 the bot's DM, 2 another DM or group DM
    attachment_size_limit: int | None = None
    # What the app may do in this channel (a decimal string of permission bits), and where it is
    # installed ({"0": guild id, or "0" in the bot's DM; "1": the user id}): together they say
    # whether the bot itself can post here (tzurot.discord.message_commands).
    app_permissions: str | None = None
    authorizing_integration_owners: dict[str, str] | None = None
    channel: dict[str, Any] | None = None  # the partial channel: its `type` tells a thread

    @property
    def invoker(self) -> User | None:
        """Who ran it: `member.user` in servers, `user` in DMs."""
        if self.member is not None and self.member.user is not None:
            return self.member.user
        return self.user

    @property
    def created_at(self) -> datetime:
        """When Discord created the interaction (from the snowflake; the token lives 15 min)."""
        try:
            millis = (int(self.id) >> 22) + _DISCORD_EPOCH_MS
            return datetime.fromtimestamp(millis / 1000, UTC)
        except (ValueError, OverflowError, OSError):
            return datetime.now(UTC)

    def command_path(self) -> CommandPath | None:
        """The command name, subcommand and option values, or None when there is no command."""
        data = self.data
        if data is None or not data.name:
            return None
        options = data.options or []
        subcommand = None
        # Walk down subcommand groups and subcommands: their names join with a space.
        while len(options) == 1 and options[0].type in _SUBCOMMAND_TYPES:
            sub = options[0]
            subcommand = sub.name if subcommand is None else f"{subcommand} {sub.name}"
            options = sub.options or []
        values: dict[str, OptionValue] = {}
        focused = None
        for option in options:
            if option.value is not None:
                values[option.name] = option.value
            if option.focused:
                focused = option.name
        return CommandPath(name=data.name, subcommand=subcommand, options=values, focused=focused)
