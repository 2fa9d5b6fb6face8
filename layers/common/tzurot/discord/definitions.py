"""The slash commands, defined once: the JSON `tzurot commands sync` PUTs, and the routing facts
(which commands answer privately, which queue does the work, which options autocomplete from what).

The endpoint and the sync command both read this module, so what Discord shows and what the
router expects cannot drift apart. Plain data and no imports beyond the standard library: the
interactions function imports it on every cold start.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from tzurot.personalities.model import SLUG_MAX_LENGTH

# Discord's application command option types (the subset this app uses).
SUB_COMMAND = 1
STRING = 3
INTEGER = 4
NUMBER = 10
ATTACHMENT = 11

# Where the app can be installed and used: servers, the bot's DMs, and any DM or group DM when
# a user installs it to their account.
GUILD_INSTALL, USER_INSTALL = 0, 1
GUILD, BOT_DM, PRIVATE_CHANNEL = 0, 1, 2
INTEGRATION_TYPES = (GUILD_INSTALL, USER_INSTALL)
CONTEXTS = (GUILD, BOT_DM, PRIVATE_CHANNEL)

Queue = Literal["generate", "image"]
AutocompleteSource = Literal["personality", "timezone", "model", "memory"]

# Provider names as stored in user_api_keys.provider; labels as shown in Discord.
PROVIDERS: dict[str, str] = {
    "openai": "OpenAI",
    "anthropic": "Anthropic",
    "google": "Google Gemini",
    "openrouter": "OpenRouter",
    "elevenlabs": "ElevenLabs",
}
TEXT_PROVIDERS = ("openai", "anthropic", "google", "openrouter")
IMAGE_SIZES = ("1024x1024", "1792x1024", "1024x1792")
PERIODS = ("day", "week", "month")
VOICE_STATES = ("on", "off")
PARAMETERS: dict[str, str] = {
    "temperature": "temperature (0 to 2)",
    "top_p": "top_p (0 to 1)",
    "max_tokens": "max_tokens (whole number)",
}


@dataclass(frozen=True)
class Option:
    """One command option (or a subcommand, when `type` is SUB_COMMAND)."""

    name: str
    description: str
    type: int = STRING
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()  # (label, value)
    autocomplete: AutocompleteSource | None = None
    min_length: int | None = None
    max_length: int | None = None
    min_value: float | None = None
    max_value: float | None = None
    options: tuple[Option, ...] = ()  # a subcommand's own options

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": self.type,
            "name": self.name,
            "description": self.description,
        }
        if self.type == SUB_COMMAND:
            if self.options:
                body["options"] = [option.payload() for option in self.options]
            return body
        body["required"] = self.required
        if self.choices:
            body["choices"] = [{"name": label, "value": value} for label, value in self.choices]
        if self.autocomplete:
            body["autocomplete"] = True
        for key in ("min_length", "max_length", "min_value", "max_value"):
            value = getattr(self, key)
            if value is not None:
                body[key] = value
        return body


@dataclass(frozen=True)
class Command:
    """A top-level slash command and how the endpoint treats it."""

    name: str
    description: str
    options: tuple[Option, ...] = ()
    # Private commands defer with the ephemeral flag, so the worker's answer is private too.
    ephemeral: bool = False
    queue: Queue = "generate"

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": self.name,
            "type": 1,  # CHAT_INPUT
            "description": self.description,
            "integration_types": list(INTEGRATION_TYPES),
            "contexts": list(CONTEXTS),
        }
        if self.options:
            body["options"] = [option.payload() for option in self.options]
        return body

    def attachment_options(self) -> tuple[str, ...]:
        """Names of the top-level attachment options (their values are attachment ids)."""
        return tuple(o.name for o in self.options if o.type == ATTACHMENT)

    def subcommand(self, name: str) -> Option | None:
        return next((o for o in self.options if o.type == SUB_COMMAND and o.name == name), None)

    def option(self, subcommand: str | None, name: str) -> Option | None:
        """The option called `name`, inside `subcommand` when there is one."""
        scope = self.options
        if subcommand is not None:
            sub = self.subcommand(subcommand)
            scope = sub.options if sub else ()
        return next((o for o in scope if o.name == name and o.type != SUB_COMMAND), None)


def _choices(values: tuple[str, ...] | dict[str, str]) -> tuple[tuple[str, str], ...]:
    if isinstance(values, dict):
        return tuple((label, value) for value, label in values.items())
    return tuple((value, value) for value in values)


def _personality(
    required: bool, description: str = "personality (name or alias)", name: str = "personality"
) -> Option:
    return Option(
        name,
        description,
        required=required,
        autocomplete="personality",
        max_length=SLUG_MAX_LENGTH,
    )


def _provider(description: str, providers: tuple[str, ...] = tuple(PROVIDERS)) -> Option:
    return Option(
        "provider",
        description,
        required=True,
        choices=_choices({name: PROVIDERS[name] for name in providers}),
    )


def _period(description: str) -> Option:
    return Option("period", description, choices=_choices(PERIODS))


def _sub(name: str, description: str, *options: Option) -> Option:
    return Option(name, description, type=SUB_COMMAND, options=options)


_OPTIONAL_PERSONALITY = "personality to change (default: all personalities)"
_MEMORY_SCOPE = "personality (default: all personalities)"

# Long-term memory, short-term history and the user's data (tzurot.commands.memory,
# history_clear, privacy); all private.
MEMORY_COMMANDS = (
    Command(
        "memory",
        "What personalities remember about you (private)",
        (
            _sub(
                "list",
                "Show what is remembered about you",
                _personality(False, _MEMORY_SCOPE),
                Option("page", "page number", type=INTEGER, min_value=1, max_value=10000),
            ),
            _sub(
                "forget",
                "Forget one memory",
                Option(
                    "memory",
                    "start typing words of the memory",
                    required=True,
                    autocomplete="memory",
                    max_length=20,
                ),
            ),
            _sub(
                "clear",
                "Forget everything remembered (asks first)",
                _personality(False, _MEMORY_SCOPE),
            ),
            _sub("off", "Stop remembering and recalling", _personality(False, _MEMORY_SCOPE)),
            _sub("on", "Remember and recall again", _personality(False, _MEMORY_SCOPE)),
        ),
        ephemeral=True,
    ),
    Command(
        "history",
        "Recent conversation history (private)",
        (
            _sub(
                "clear",
                "Reset your recent conversation in this channel",
                _personality(False, _MEMORY_SCOPE),
            ),
        ),
        ephemeral=True,
    ),
    Command(
        "privacy",
        "Your data (private)",
        (
            _sub("export", "Get a file of everything stored about you"),
            _sub("delete", "Erase everything stored about you (asks first)"),
        ),
        ephemeral=True,
    ),
)


def _character() -> Option:
    return _personality(True, "your character (name or slug)", name="character")


# Users' own characters (tzurot.commands.character); text limits as the modal's.
CHARACTER = Command(
    "character",
    "Create and manage your own characters (private)",
    (
        _sub("create", "Create a character (opens a form)"),
        _sub(
            "edit",
            "Change one of your characters",
            _character(),
            Option("name", "new name", min_length=1, max_length=80),
            Option("description", "new description (its system prompt)", max_length=4000),
            Option("greeting", "new greeting (a space removes it)", max_length=2000),
            Option("error_message", "new error message (a space removes it)", max_length=2000),
        ),
        _sub("delete", "Delete one of your characters", _character()),
        _sub("list", "Your characters and everyone's public ones"),
        _sub("info", "Show a character", _character()),
        _sub(
            "visibility",
            "Make a character private (only you) or public (everyone)",
            _character(),
            Option(
                "visibility",
                "who may talk to it",
                required=True,
                choices=(("private: only you", "private"), ("public: everyone", "public")),
            ),
        ),
        _sub(
            "avatar",
            "Set a character's picture",
            _character(),
            Option("image", "PNG, JPEG, GIF or WebP, up to 8 MB", type=ATTACHMENT, required=True),
        ),
    ),
    ephemeral=True,
)

COMMANDS: dict[str, Command] = {
    command.name: command
    for command in (
        Command(
            "chat",
            "Talk to a personality",
            (
                _personality(required=True),
                Option("message", "what you say", required=True, min_length=1, max_length=2000),
                Option("image", "a picture to show (PNG, JPEG, WebP or GIF)", type=ATTACHMENT),
            ),
        ),
        Command(
            "imagine",
            "Create an image from a prompt",
            (
                Option("prompt", "what to draw", required=True, min_length=1, max_length=4000),
                _personality(required=False, description="personality whose image settings to use"),
                Option("size", "image size (default 1024x1024)", choices=_choices(IMAGE_SIZES)),
            ),
            queue="image",
        ),
        Command(
            "wallet",
            "Manage your own provider API keys (private)",
            (
                _sub("set", "Add or replace your API key for a provider", _provider("provider")),
                _sub("list", "Show which providers you have keys for"),
                _sub("remove", "Delete your API key for a provider", _provider("provider")),
                _sub("test", "Check that your API key for a provider works", _provider("provider")),
            ),
            ephemeral=True,
        ),
        Command(
            "config",
            "Your own model, parameter and voice settings (private)",
            (
                _sub(
                    "show",
                    "Show the settings in effect for you",
                    _personality(False, "personality to show (default: your defaults)"),
                ),
                _sub(
                    "set-model",
                    "Choose the provider and model to use",
                    _provider("provider", TEXT_PROVIDERS),
                    Option(
                        "model",
                        "model name, e.g. gpt-4o-mini",
                        required=True,
                        max_length=200,
                        autocomplete="model",
                    ),
                    _personality(False, _OPTIONAL_PERSONALITY),
                ),
                _sub(
                    "set-param",
                    "Set a generation parameter",
                    Option("name", "parameter", required=True, choices=_choices(PARAMETERS)),
                    Option("value", "new value", type=NUMBER, required=True, min_value=0),
                    _personality(False, _OPTIONAL_PERSONALITY),
                ),
                _sub(
                    "edit-advanced",
                    "Edit advanced provider parameters as JSON",
                    _personality(False, _OPTIONAL_PERSONALITY),
                ),
                _sub(
                    "reset",
                    "Remove your overrides",
                    _personality(False, "personality to reset (default: your defaults)"),
                ),
                _sub(
                    "voice",
                    "Hear replies spoken (needs your ElevenLabs key) or not",
                    Option("state", "on or off", required=True, choices=_choices(VOICE_STATES)),
                    _personality(False, _OPTIONAL_PERSONALITY),
                ),
            ),
            ephemeral=True,
        ),
        Command(
            "timezone",
            "Your timezone, used for dates and times in replies (private)",
            (
                _sub(
                    "set",
                    "Set your timezone",
                    Option(
                        "zone",
                        "IANA timezone, e.g. Europe/London",
                        required=True,
                        autocomplete="timezone",
                        max_length=64,
                    ),
                ),
                _sub("get", "Show your timezone"),
            ),
            ephemeral=True,
        ),
        Command(
            "usage",
            "Your token usage (private)",
            (_period("time window (default: day)"),),
            ephemeral=True,
        ),
        Command(
            "personality",
            "About the personalities",
            (
                _sub(
                    "info",
                    "Show a personality's profile",
                    _personality(True, "personality (name or alias)", name="name"),
                ),
            ),
        ),
        Command(
            "admin",
            "Operator tools (bot owners only)",
            (_sub("usage", "Token usage of all users", _period("time window (default: day)")),),
            ephemeral=True,
        ),
        CHARACTER,
        Command("help", "How to use this app", ephemeral=True),
        *MEMORY_COMMANDS,
    )
}


# Message commands (right-click a message → Apps), type 3: a name and nothing else. Discord
# allows at most 5 per application (tzurot.discord.message_commands handles these).
MESSAGE_COMMAND = 3
MAX_MESSAGE_COMMANDS = 5
ASK_A_PERSONALITY = "Ask a personality"
REPLY_AS_LAST = "Reply as last personality"
MESSAGE_COMMANDS = (ASK_A_PERSONALITY, REPLY_AS_LAST)


def message_command_payload(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "type": MESSAGE_COMMAND,
        "integration_types": list(INTEGRATION_TYPES),
        "contexts": list(CONTEXTS),
    }


def command_payloads() -> list[dict[str, Any]]:
    """The JSON body of `PUT /applications/{id}/commands`: every command, in a stable order."""
    assert len(MESSAGE_COMMANDS) <= MAX_MESSAGE_COMMANDS, "Discord allows 5 message commands"
    return [command.payload() for command in COMMANDS.values()] + [
        message_command_payload(name) for name in MESSAGE_COMMANDS
    ]
