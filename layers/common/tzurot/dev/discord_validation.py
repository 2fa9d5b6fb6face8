"""Discord's checks on what the fake Discord (tzurot.dev.discord_sink) is sent: message bodies
(content, embeds, mentions, attachments, a reply's nonce and reference) and command sets, each
refused with Discord's own 400 "Invalid Form Body" JSON (code 50035, an `errors` tree) or the
narrower code Discord uses (50006: an empty message)."""

from __future__ import annotations

import re
from typing import Any

from starlette.responses import JSONResponse, Response

MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
MAX_FILES = 10
# Discord's rule for CHAT_INPUT command and option names (\w covers \p{L}, \p{N} and _).
_COMMAND_NAME = re.compile(r"^[-'\w]{1,32}$")
_MENTION_TYPES = {"roles", "users", "everyone"}


class FormBodyErrors:
    """Builds Discord's nested 50035 error tree: {"embeds": {"0": {"title": {"_errors": []}}}}."""

    def __init__(self):
        self.tree: dict = {}

    def add(self, path: tuple, code: str, message: str) -> None:
        node = self.tree
        for key in path:
            node = node.setdefault(str(key), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def max_length(self, path: tuple, value: Any, limit: int) -> None:
        if value is not None and len(value) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def string(self, path: tuple, value: Any, limit: int) -> None:
        if value is not None and not isinstance(value, str):
            self.add(path, "BASE_TYPE_STRING", "Could not interpret value as string.")
        else:
            self.max_length(path, value, limit)

    def array(self, path: tuple, value: Any, limit: int) -> bool:
        if value is None:
            return False
        if not isinstance(value, list):
            self.add(path, "BASE_TYPE_LIST", "Must be an array.")
            return False
        self.max_length(path, value, limit)
        return True

    def response(self) -> JSONResponse:
        return JSONResponse(
            {"code": 50035, "message": "Invalid Form Body", "errors": self.tree}, status_code=400
        )


def error(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse({"message": message, "code": code}, status_code=status)


def validate_message(payload: Any, *, files: int = 0, create: bool) -> Response | None:
    """Discord's checks on a message body; a 400 in Discord's shape, or None when it is fine.
    `create`: a new message must have something in it (an edit may change only flags)."""
    if not isinstance(payload, dict):
        errors = FormBodyErrors()
        errors.add((), "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        return errors.response()
    errors = FormBodyErrors()
    errors.string(("content",), payload.get("content"), MAX_CONTENT)
    embeds = payload.get("embeds")
    if errors.array(("embeds",), embeds, MAX_EMBEDS):
        _validate_embeds(errors, embeds)
    mentions = payload.get("allowed_mentions")
    if isinstance(mentions, dict):
        for i, kind in enumerate(mentions.get("parse") or []):
            if kind not in _MENTION_TYPES:
                errors.add(
                    ("allowed_mentions", "parse", i),
                    "ENUM_TYPE_COERCE",
                    f'Value "{kind}" is not a valid enum value.',
                )
    elif mentions is not None:
        errors.add(("allowed_mentions",), "DICT_TYPE_CONVERT", "Only dictionaries may be used")
    attachments = payload.get("attachments")
    if errors.array(("attachments",), attachments, MAX_FILES):
        for i, item in enumerate(attachments):
            if not isinstance(item, dict) or item.get("id") is None:
                errors.add(("attachments", i, "id"), "BASE_TYPE_REQUIRED", "This field is required")
    errors.array(("components",), payload.get("components"), 40)
    flags = payload.get("flags")
    if flags is not None and (not isinstance(flags, int) or isinstance(flags, bool)):
        errors.add(("flags",), "NUMBER_TYPE_COERCE", "Value is not int.")
    if errors.tree:
        return errors.response()
    if create and not (
        payload.get("content")
        or embeds
        or files
        or payload.get("components")
        or payload.get("poll")
    ):
        return error(400, 50006, "Cannot send an empty message")
    return None


def validate_reply_fields(body: dict) -> Response | None:
    """A created message's `nonce` (at most 25 characters) and `message_reference`."""
    errors = FormBodyErrors()
    nonce = body.get("nonce")
    if nonce is not None and not (isinstance(nonce, int | str) and len(str(nonce)) <= 25):
        errors.add(("nonce",), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    reference = body.get("message_reference")
    if reference is not None and (
        not isinstance(reference, dict) or not str(reference.get("message_id", "")).isdigit()
    ):
        errors.add(
            ("message_reference", "message_id"), "BASE_TYPE_REQUIRED", "This field is required"
        )
    return errors.response() if errors.tree else None


def _validate_embeds(errors: FormBodyErrors, embeds: list) -> None:
    total = 0
    for i, embed in enumerate(embeds):
        if not isinstance(embed, dict):
            errors.add(("embeds", i), "DICT_TYPE_CONVERT", "Only dictionaries may be used")
            continue
        at = ("embeds", i)
        errors.string((*at, "title"), embed.get("title"), 256)
        errors.string((*at, "description"), embed.get("description"), 4096)
        color = embed.get("color")
        if color is not None and not (isinstance(color, int) and 0 <= color <= 0xFFFFFF):
            errors.add((*at, "color"), "NUMBER_TYPE_MAX", "int value should be <= 16777215.")
        author = embed.get("author") or {}
        footer = embed.get("footer") or {}
        errors.string((*at, "author", "name"), author.get("name"), 256)
        errors.string((*at, "footer", "text"), footer.get("text"), 2048)
        texts = [
            embed.get("title"),
            embed.get("description"),
            author.get("name"),
            footer.get("text"),
        ]
        fields = embed.get("fields")
        if errors.array((*at, "fields"), fields, 25):
            for j, item in enumerate(fields):
                item = item if isinstance(item, dict) else {}
                for key, limit in (("name", 256), ("value", 1024)):
                    if item.get(key) is None:
                        errors.add(
                            (*at, "fields", j, key), "BASE_TYPE_REQUIRED", "This field is required"
                        )
                    errors.string((*at, "fields", j, key), item.get(key), limit)
                    texts.append(item.get(key))
        total += sum(len(text) for text in texts if isinstance(text, str))
    if total > MAX_EMBED_TOTAL:
        errors.add(
            ("embeds",),
            "MAX_EMBED_SIZE_EXCEEDED",
            f"Embed size exceeds maximum size of {MAX_EMBED_TOTAL}",
        )


def validate_commands(commands: Any) -> Response | None:
    """Discord's checks on a bulk-overwrite body (the ones a definitions mistake would trip)."""
    errors = FormBodyErrors()
    if not isinstance(commands, list):
        errors.add((), "BASE_TYPE_LIST", "Must be an array.")
        return errors.response()
    seen: dict[tuple, int] = {}
    per_type: dict[int, int] = {}
    for i, command in enumerate(commands):
        if not isinstance(command, dict):
            errors.add((i,), "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
            continue
        kind = command.get("type") or 1
        per_type[kind] = per_type.get(kind, 0) + 1
        name = command.get("name")
        _validate_name(errors, (i, "name"), name, chat_input=kind == 1)
        description = command.get("description")
        if kind == 1:
            _validate_description(errors, (i, "description"), description)
            _validate_options(errors, (i, "options"), command.get("options"))
        elif description:
            errors.add(
                (i, "description"),
                "APPLICATION_COMMAND_DESCRIPTION_NOT_EMPTY",
                "Context menu commands cannot have a description",
            )
        key = (kind, name)
        if key in seen:
            errors.add(
                (i, "name"),
                "APPLICATION_COMMANDS_DUPLICATE_NAME",
                "Application command names must be unique",
            )
        seen[key] = i
    for kind, limit in ((1, 100), (2, 15), (3, 15)):
        if per_type.get(kind, 0) > limit:
            errors.add(
                (),
                "APPLICATION_COMMANDS_TOO_MANY",
                f"Maximum number of application commands of this type reached ({limit})",
            )
    return errors.response() if errors.tree else None


def _validate_name(errors: FormBodyErrors, at: tuple, name: Any, *, chat_input: bool) -> None:
    if not isinstance(name, str) or not name:
        errors.add(at, "BASE_TYPE_REQUIRED", "This field is required")
    elif len(name) > 32:
        errors.add(at, "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length.")
    elif chat_input and (not _COMMAND_NAME.match(name) or name != name.lower()):
        errors.add(at, "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")


def _validate_description(errors: FormBodyErrors, at: tuple, description: Any) -> None:
    if not isinstance(description, str) or not 1 <= len(description) <= 100:
        errors.add(at, "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")


def _validate_options(errors: FormBodyErrors, at: tuple, options: Any) -> None:
    if not errors.array(at, options, 25):
        return
    optional_seen = False
    names: set[str] = set()
    for i, option in enumerate(options):
        here = (*at, i)
        if not isinstance(option, dict):
            errors.add(here, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
            continue
        kind = option.get("type")
        if not isinstance(kind, int) or not 1 <= kind <= 11:
            errors.add((*here, "type"), "BASE_TYPE_CHOICES", "Value must be one of (1, ..., 11).")
        _validate_name(errors, (*here, "name"), option.get("name"), chat_input=True)
        _validate_description(errors, (*here, "description"), option.get("description"))
        if option.get("name") in names:
            errors.add(
                (*here, "name"),
                "APPLICATION_COMMAND_OPTION_NAME_ALREADY_EXISTS",
                "Option names must be unique",
            )
        names.add(option.get("name"))
        if kind in (1, 2):  # subcommand (group): its options are validated the same way
            _validate_options(errors, (*here, "options"), option.get("options"))
            continue
        if option.get("required"):
            if optional_seen:
                errors.add(
                    here,
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            optional_seen = True
        choices = option.get("choices")
        if errors.array((*here, "choices"), choices, 25) and choices and option.get("autocomplete"):
            errors.add(
                (*here, "autocomplete"),
                "APPLICATION_COMMAND_AUTOCOMPLETE_INVALID",
                "Autocomplete cannot be set with choices",
            )
