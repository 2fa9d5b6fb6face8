"""The interactions endpoint: one core behind the Lambda Function URL and the local ASGI app.

`InteractionEndpoint.handle(headers, raw_body)` returns (status, headers, body). Order matters:
size (413) before any verification work, the signature (401, no detail, nothing queried or
enqueued) before parsing, then the body's shape (400), then routing. Nothing slow runs here:
PING, autocomplete and modals are answered inline; everything else becomes one job on a queue and
a deferred response, which the worker later edits. A job carries its interaction token sealed
to the transit public key (tzurot.discord.sealing: local, no KMS). The database is read only
for autocomplete and to prefill the /config edit-advanced and "Ask a personality" forms (one
indexed statement under a 1-second deadline, tzurot.discord.prefill; the latter also keeps the
target message's image references for the worker).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from tzurot.discord import character_forms, components, message_commands, modals, responses
from tzurot.discord import interaction as kinds
from tzurot.discord.autocomplete import (
    MemoryChoices,
    ModelChoices,
    PersonalityChoices,
    timezone_choices,
)
from tzurot.discord.definitions import COMMANDS, MESSAGE_COMMAND, TEXT_PROVIDERS
from tzurot.discord.interaction import CommandPath, Interaction
from tzurot.discord.option_rules import option_problems
from tzurot.discord.prefill import (
    NONE,
    STORED,
    UNKNOWN_PERSONALITY,
    AdvancedPrefill,
    LastPersonality,
    Prefill,
)
from tzurot.discord.replay import RecentInteractions
from tzurot.discord.verify import InvalidPublicKey, SignatureVerifier, verifier_for
from tzurot.errors import TzurotError
from tzurot.logs import get_logger
from tzurot.observability import correlate

if TYPE_CHECKING:
    from tzurot.discord.sealing import Sealer, TokenSealer
    from tzurot.jobs.model import Job

MAX_BODY_BYTES = 1 << 20  # 1 MiB; Discord's interactions are a few KB
SIGNATURE_HEADER = "x-signature-ed25519"
TIMESTAMP_HEADER = "x-signature-timestamp"
JSON_HEADERS = {"content-type": "application/json"}

UNKNOWN_COMMAND = "Sorry, I don't know that command. Try `/help` to see what I can do."
EXPIRED_COMPONENT = "That button or form has expired. Please run the command again."
TRY_AGAIN = "Sorry, I couldn't start that just now. Please try again in a moment."
NO_KEY_ENTERED = "No key was entered, so nothing changed."
KEY_TOO_LONG = "That is longer than any API key I know, so nothing changed."
INVALID_OPTIONS = "Sorry, I can't run that, so nothing was done: {problems}."
FORM_TOO_LONG = "That is longer than the form allows ({limit} characters), so nothing changed."
UNREADABLE_OPTION = (
    "Sorry, I can't use one of the values you gave (a number must be an ordinary finite "
    "number). Please check them and try again."
)
NO_SUCH_PERSONALITY = (
    "I don't know a personality called “{name}”. Start typing its name to pick one from the "
    "list, then run `/config edit-advanced` again."
)

logger = get_logger("interactions")


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def _json(payload: dict[str, Any], status: int = 200) -> HttpResponse:
    return HttpResponse(status, JSON_HEADERS, json.dumps(payload, separators=(",", ":")).encode())


UNAUTHORIZED = HttpResponse(401)
BAD_REQUEST = HttpResponse(400, JSON_HEADERS, b'{"error":"bad request"}')
TOO_LARGE = HttpResponse(413, JSON_HEADERS, b'{"error":"request body too large"}')
REPLAYED = HttpResponse(400, JSON_HEADERS, b'{"error":"interaction already received"}')


class InteractionEndpoint:
    def __init__(
        self,
        *,
        public_key: str | None,
        send_job: Callable[[Job], Any],
        seal: Sealer | None = None,
        seal_token: TokenSealer | None = None,
        personalities: Callable[[str, str | None], list[tuple[str, str]]] | None = None,
        models: Callable[[str, str | None], list[tuple[str, str]]] | None = None,
        advanced_prefill: Callable[[str, str | None], Prefill] | None = None,
        memories: Callable[[str, str], list[tuple[str, str]]] | None = None,
        last_personality: Callable[[str], Prefill] | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self._verifier: SignatureVerifier | None = None
        if public_key:
            try:
                self._verifier = verifier_for(public_key)
            except InvalidPublicKey as exc:
                logger.error(str(exc))  # every request will get 401 until it is fixed
        else:
            logger.error("DISCORD_PUBLIC_KEY is not set; every request gets 401")
        self._send_job = send_job
        if seal is None or seal_token is None:
            from tzurot.discord.sealing import TransitSealer

            sealer = TransitSealer()
            seal, seal_token = seal or sealer.seal_secret, seal_token or sealer.seal_token
        self._seal = seal
        self._seal_token = seal_token
        self._personalities = personalities or PersonalityChoices()
        self._models = models or ModelChoices()
        self._advanced_prefill = advanced_prefill or AdvancedPrefill()
        self._memories = memories or MemoryChoices()
        self._last_personality = last_personality or LastPersonality()
        self._clock = clock
        self._recent = RecentInteractions()

    def handle(self, headers: Mapping[str, str], raw_body: bytes | None) -> HttpResponse:
        """`raw_body` None means the adapter could not decode it (it then fails verification)."""
        if raw_body is not None and len(raw_body) > MAX_BODY_BYTES:
            return TOO_LARGE
        if raw_body is None or self._verifier is None:
            return UNAUTHORIZED
        lowered = {key.lower(): value for key, value in headers.items()}
        if not self._verifier.verify(
            lowered.get(SIGNATURE_HEADER), lowered.get(TIMESTAMP_HEADER), raw_body, self._clock()
        ):
            return UNAUTHORIZED
        try:
            interaction = Interaction.model_validate_json(raw_body)
        except ValidationError:
            return BAD_REQUEST
        if interaction.type not in kinds.KNOWN_TYPES:
            return BAD_REQUEST
        if interaction.type == kinds.PING:
            return _json(responses.pong())
        if interaction.invoker is None:
            return BAD_REQUEST  # every user-made interaction names its user
        if not self._recent.first_time(interaction.id):
            logger.warning("replayed interaction dropped", extra={"interaction_id": interaction.id})
            return REPLAYED
        correlate(interaction.id)  # every log line from here on carries the interaction id
        return _json(self.route(interaction))

    def route(self, interaction: Interaction) -> dict[str, Any]:
        if interaction.type == kinds.APPLICATION_COMMAND_AUTOCOMPLETE:
            return self._autocomplete(interaction)
        if interaction.type == kinds.APPLICATION_COMMAND:
            return self._command(interaction)
        if interaction.type == kinds.MODAL_SUBMIT:
            return self._modal_submit(interaction)
        return self._component(interaction)  # MESSAGE_COMPONENT: a confirmation button

    def _autocomplete(self, interaction: Interaction) -> dict[str, Any]:
        path = interaction.command_path()
        command = COMMANDS.get(path.name) if path else None
        if path is None or command is None or path.focused is None:
            return responses.autocomplete([])
        option = command.option(path.subcommand, path.focused)
        typed = path.options.get(path.focused)
        query = typed if isinstance(typed, str) else ""
        if option is None:
            return responses.autocomplete([])
        # A choice longer than the option accepts could not be submitted: it is left out.
        if option.autocomplete == "personality":
            viewer = interaction.invoker.id if interaction.invoker else None
            return responses.autocomplete(self._personalities(query, viewer), option.max_length)
        if option.autocomplete == "timezone":
            return responses.autocomplete(timezone_choices(query), option.max_length)
        if option.autocomplete == "model":
            # The provider picked so far narrows the list; none yet: every provider's models.
            provider = path.options.get("provider")
            scope = provider if provider in TEXT_PROVIDERS else None
            return responses.autocomplete(self._models(query, scope), option.max_length)
        if option.autocomplete == "memory" and interaction.invoker is not None:
            choices = self._memories(interaction.invoker.id, query)
            return responses.autocomplete(choices, option.max_length)
        return responses.autocomplete([])

    def _command(self, interaction: Interaction) -> dict[str, Any]:
        if interaction.data is not None and interaction.data.type == MESSAGE_COMMAND:
            return self._message_command(interaction)
        path = interaction.command_path()
        if path is None or not _is_known(path):
            return responses.message(UNKNOWN_COMMAND)
        # What Discord's client enforces, enforced again: a signed body need not come from it.
        problems = option_problems(COMMANDS[path.name], path.subcommand, path.options)
        if problems:
            return responses.message(INVALID_OPTIONS.format(problems="; ".join(problems)))
        if (path.name, path.subcommand) == ("wallet", "set"):
            # The option's choices are the providers: option_problems refused anything else.
            return modals.wallet_key_modal(path.options["provider"])
        if (path.name, path.subcommand) == ("config", "edit-advanced"):
            return self._advanced_form(interaction, path.options.get("personality"))
        if (path.name, path.subcommand) == ("character", "create"):
            return character_forms.create_modal()
        if (path.name, path.subcommand) == ("character", "avatar"):
            resolved = interaction.data.resolved if interaction.data else None
            image = character_forms.attachment_options(resolved, path.options.get("image"))
            return self._enqueue(
                interaction,
                command="character",
                subcommand="avatar",
                options={**path.options, **image},
            )
        return self._enqueue(
            interaction, command=path.name, subcommand=path.subcommand, options=path.options
        )

    def _advanced_form(self, interaction: Interaction, option: object) -> dict[str, Any]:
        """The edit-advanced modal, prefilled with what the user has stored for the scope."""
        user = interaction.invoker
        assert user is not None  # checked in handle()
        personality = modals.scope_name(option)
        prefill = self._advanced_prefill(user.id, personality or None)
        if prefill.status == UNKNOWN_PERSONALITY:
            # Known for sure (the query ran): no point filling in a form the worker would refuse.
            return responses.message(NO_SUCH_PERSONALITY.format(name=personality))
        return modals.advanced_parameters_modal(personality, prefill)

    def _message_command(self, interaction: Interaction) -> dict[str, Any]:
        """Ask a personality: its form. Reply as last personality: a /chat job at once."""
        name = interaction.data.name if interaction.data else None
        found = message_commands.target_of(interaction)
        if name not in message_commands.MESSAGE_COMMANDS:
            return responses.message(UNKNOWN_COMMAND)
        if found is None:
            return responses.message(message_commands.NO_TARGET)
        target, images = found
        user = interaction.invoker
        assert user is not None  # checked in handle()
        if name == message_commands.ASK_A_PERSONALITY:
            # The submit will not carry the images: they wait in the database for the worker.
            kept = message_commands.kept_images(target, images)
            last = self._last_personality(user.id, *([kept] if kept else []))
            return message_commands.ask_modal(target, last.value)
        last = self._last_personality(user.id)
        if last.status == NONE:
            return responses.message(message_commands.NO_LAST_PERSONALITY)
        if last.status != STORED or not last.value:
            return responses.message(TRY_AGAIN)
        return self._enqueue(
            interaction,
            command="chat",
            options={"personality": last.value, "message": ""},
            images=images,
            reply_to=target,
        )

    def _ask_submit(self, interaction: Interaction, message_id: str, author: str):
        components = interaction.data.components if interaction.data else None
        personality = modals.field_value(components, message_commands.PERSONALITY_FIELD) or ""
        instruction = modals.field_value(components, message_commands.INSTRUCTION_FIELD) or ""
        content = modals.field_value(components, message_commands.MESSAGE_FIELD) or ""
        if not personality.strip():
            return responses.message(message_commands.NO_PERSONALITY)
        target = message_commands.ReplyTarget(
            message_id=message_id,
            channel_id=interaction.channel_id,
            guild_id=interaction.guild_id,
            author=author,
            content=content.strip()[: message_commands.MAX_QUOTED],
            reply_in_channel=message_commands.may_reply_in_channel(interaction),
        )
        return self._enqueue(
            interaction,
            source="modal",
            command="chat",
            options={"personality": personality.strip(), "message": instruction.strip()},
            reply_to=target,
        )

    def _modal_submit(self, interaction: Interaction) -> dict[str, Any]:
        data = interaction.data
        ask = message_commands.parse_ask(data.custom_id if data else None)
        if ask is not None:
            return self._ask_submit(interaction, *ask)
        target = modals.parse_target(data.custom_id if data else None)
        if data is None or target is None:
            return responses.message(EXPIRED_COMPONENT)
        if target.kind == modals.WALLET_SET:
            key = (modals.field_value(data.components, modals.API_KEY_FIELD) or "").strip()
            if not key:
                return responses.message(NO_KEY_ENTERED)
            if len(key) > modals.MAX_KEY_LENGTH:
                return responses.message(KEY_TOO_LONG)
            return self._enqueue_wallet_key(interaction, target.argument, key)
        if target.kind == character_forms.CHARACTER_CREATE:
            fields = {
                name: modals.field_value(data.components, name) or ""
                for name in character_forms.FIELDS
            }
            return self._enqueue(
                interaction,
                source="modal",
                command="character",
                subcommand="create",
                options=fields,
            )
        text = modals.field_value(data.components, modals.ADVANCED_FIELD) or ""
        if len(text) > modals.MAX_ADVANCED_LENGTH:
            return responses.message(FORM_TOO_LONG.format(limit=modals.MAX_ADVANCED_LENGTH))
        options: dict[str, str] = {modals.ADVANCED_FIELD: text.strip()}
        if target.argument:
            options["personality"] = target.argument
        return self._enqueue(
            interaction,
            source="modal",
            command="config",
            subcommand="edit-advanced",
            options=options,
        )

    def _component(self, interaction: Interaction) -> dict[str, Any]:
        """A confirmation button (tzurot.discord.components): answered inline, or one job."""
        button = components.parse(interaction.data.custom_id if interaction.data else None)
        user = interaction.invoker
        assert user is not None  # checked in handle()
        if button is None:
            return components.update(EXPIRED_COMPONENT)
        if button.user_id != user.id:
            return responses.message(components.NOT_YOURS)
        if not button.confirm:
            return components.update(components.CANCELLED)
        if button.stale(self._clock()):
            return components.update(components.EXPIRED)
        command, subcommand = components.ACTIONS[button.action]
        return self._enqueue(
            interaction,
            response=components.deferred_update(),
            source="component",
            command=command,
            subcommand=subcommand,
            options={"scope": button.scope},
        )

    def _enqueue_wallet_key(
        self, interaction: Interaction, provider: str, key: str
    ) -> dict[str, Any]:
        from tzurot.discord.sealing import SealingFailed

        user = interaction.invoker
        assert user is not None  # checked in handle()
        try:
            sealed = self._seal(
                key, user_id=user.id, provider=provider, interaction_id=interaction.id
            )
        except SealingFailed as exc:
            logger.error("could not seal wallet key", extra=_context(interaction, str(exc)))
            return responses.message(TRY_AGAIN)
        return self._enqueue(
            interaction,
            source="modal",
            command="wallet",
            subcommand="set",
            options={"provider": provider},
            sealed_key=sealed,
        )

    def _enqueue(
        self, interaction: Interaction, response: dict[str, Any] | None = None, **job_fields: Any
    ) -> dict[str, Any]:
        from tzurot.discord.sealing import SealingFailed
        from tzurot.jobs.model import Job, NotAJob

        user = interaction.invoker
        assert user is not None  # checked in handle()
        try:
            token_sealed = self._seal_token(
                interaction.token, interaction_id=interaction.id, user_id=user.id
            )
        except SealingFailed as exc:
            logger.error("could not seal interaction token", extra=_context(interaction, str(exc)))
            return responses.message(TRY_AGAIN)
        try:
            job = Job.from_interaction(interaction, token_sealed=token_sealed, **job_fields)
            job.checked()  # the worker's own reading of it: NaN or 1e400 is refused here
        except (ValidationError, NotAJob):
            return responses.message(UNREADABLE_OPTION)
        try:
            self._send_job(job)
        except TzurotError as exc:
            logger.error("could not enqueue job", extra=_context(interaction, str(exc)))
            return responses.message(TRY_AGAIN)
        return response or responses.deferred(ephemeral=job.ephemeral)


def _is_known(path: CommandPath) -> bool:
    command = COMMANDS.get(path.name)
    if command is None:
        return False
    has_subcommands = any(option.type == 1 for option in command.options)
    if has_subcommands:
        return path.subcommand is not None and command.subcommand(path.subcommand) is not None
    return path.subcommand is None


def _context(interaction: Interaction, error: str) -> dict[str, Any]:
    return {"interaction_id": interaction.id, "error": error}


_default: InteractionEndpoint | None = None


def default_endpoint() -> InteractionEndpoint:
    """The container's endpoint, configured from the environment on first use."""
    global _default
    if _default is None:
        import os

        from tzurot.jobs.queue import JobQueue

        _default = InteractionEndpoint(
            public_key=os.environ.get("DISCORD_PUBLIC_KEY", "").strip() or None,
            send_job=JobQueue.from_env().send,
        )
    return _default


def reset_default_endpoint() -> None:
    """Forget the configured endpoint (the dev stack and tests change the environment)."""
    global _default
    _default = None


def handle(headers: Mapping[str, str], raw_body: bytes | None) -> HttpResponse:
    return default_endpoint().handle(headers, raw_body)
