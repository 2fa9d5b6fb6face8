"""/character create|edit|delete|list|info|visibility|avatar: users' own characters.

A character is a personality with an owner (migration 0010), private when created: only its
owner can /chat with it or find it in autocomplete until they make it public; public ones are
listed with their owner's name. Only the owner may change or delete it, and the bot's owners
(BOT_OWNER_IDS) may change or delete any character. Imported personalities are not characters:
the operator manages them (`tzurot personality`). A character without an LLM config of its own
uses its creator's /config defaults (tzurot.personalities.repository), under every user's own
settings as for any personality. The work is in tzurot.personalities.characters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tzurot.commands import formatting as fmt
from tzurot.commands.account import AccountCall, Refusal, Reply, run
from tzurot.logs import get_logger

if TYPE_CHECKING:
    from tzurot.personalities.model import Personality

log = get_logger("tzurot.character")

LIST_LIMIT = 25  # public characters of others shown by /character list
NOT_YOURS = "Only its owner can change “{name}”."
NOT_A_CHARACTER = "“{name}” is not a user's character; the bot's operator manages it."


def handle(job, ctx) -> str:
    return run(job, ctx, _SUBCOMMANDS.get(job.subcommand or "", _unknown))


def _is_bot_owner(call: AccountCall) -> bool:
    return call.job.user_id in call.ctx.settings.bot_owner_ids


def _character(call: AccountCall, *, to_change: bool) -> Personality:
    """The character named by the `character` option, as this user may see it (a bot owner
    sees every one); with `to_change`, only when they may change it."""
    from tzurot.commands import errors
    from tzurot.personalities.errors import PersonalityNotFound
    from tzurot.personalities.repository import resolve

    name = call.option("character")
    if name is None:
        raise Refusal("Please name one of your characters.")
    viewer = None if _is_bot_owner(call) else call.job.user_id
    try:
        character = resolve(call.conn, name, viewer)
    except PersonalityNotFound as exc:
        raise Refusal(errors.reply_for(exc, reference=call.reference).text) from None
    if to_change:
        if character.owner_id is None:
            raise Refusal(NOT_A_CHARACTER.format(name=character.label))
        if character.owner_discord_id != call.job.user_id and not _is_bot_owner(call):
            raise Refusal(NOT_YOURS.format(name=character.label))
    return character


def _text(call: AccountCall):
    from tzurot.personalities.characters import CharacterText

    def raw(value: object) -> str | None:
        return None if value is None else str(value)

    options = call.job.options
    return CharacterText(
        name=raw(options.get("name")),
        prompt=raw(options.get("description")),
        greeting=raw(options.get("greeting")),
        error_message=raw(options.get("error_message")),
    )


def _guarded(action):
    """CharacterError (a taken name, the cap, a length) becomes the user's reply."""
    from tzurot.personalities.characters import CharacterError

    try:
        return action()
    except CharacterError as exc:
        raise Refusal(str(exc)) from None


def create(call: AccountCall) -> Reply:
    from tzurot.personalities import characters

    text = _text(call)
    cap = call.ctx.settings.max_characters_per_user
    character = _guarded(lambda: characters.create(call.conn, call.user.id, text, cap=cap))
    log.info("character created", extra={"reference": call.reference})
    return Reply(
        f"Created **{character.name}** (`{character.slug}`). It is private: only you can "
        f"`/chat` with it. Make it public with `/character visibility`.",
        embeds=(card(character),),
    )


def edit(call: AccountCall) -> Reply:
    from tzurot.personalities import characters

    character = _character(call, to_change=True)
    text = _text(call)
    if all(value is None for value in vars(text).values()):
        raise Refusal("Nothing to change: give a new name, description, greeting or error message.")
    updated = _guarded(lambda: characters.edit(call.conn, character, text))
    return Reply(f"Updated **{updated.name}**.", embeds=(card(updated),))


def delete(call: AccountCall) -> Reply:
    from tzurot.personalities.repository import delete as delete_personality

    character = _character(call, to_change=True)
    delete_personality(call.conn, character.slug)
    log.info("character deleted", extra={"reference": call.reference})
    return Reply(f"Deleted **{character.name}** with its settings and conversation history.")


def visibility(call: AccountCall) -> Reply:
    from tzurot.personalities.characters import set_visibility

    character = _character(call, to_change=True)
    chosen = call.option("visibility")
    if chosen not in ("private", "public"):
        raise Refusal("Please choose private or public.")
    set_visibility(call.conn, character, chosen)
    if chosen == "public":
        return Reply(f"**{character.name}** is public: everyone can find it and `/chat` with it.")
    return Reply(f"**{character.name}** is private: only its owner can `/chat` with it.")


def avatar(call: AccountCall) -> Reply:
    from tzurot.commands.character_avatar import AvatarRefused, check_declared, fetch
    from tzurot.discord.rest import DiscordFile
    from tzurot.personalities.characters import set_avatar

    character = _character(call, to_change=True)
    url = call.job.options.get("image_url")  # the `image` attachment, resolved by the endpoint
    if call.job.options.get("image") is None or not isinstance(url, str):
        raise Refusal("Please attach a picture to the command.")
    try:
        check_declared(call.job.options.get("image_size"), call.job.options.get("image_type"))
        picture = fetch(url, call.ctx.settings.discord_cdn_base_urls)
    except AvatarRefused as exc:
        raise Refusal(str(exc)) from None
    file = DiscordFile(picture.filename, picture.data, picture.content_type)
    payload = {
        "content": f"**{character.name}** has a new picture.",
        "embeds": [
            {"title": character.label[:256], "thumbnail": {"url": f"attachment://{file.filename}"}}
        ],
        "flags": 64,
    }
    message = call.ctx.discord.edit_original(call.job.interaction_token, payload, files=[file])
    uploaded = next(
        (
            a.get("url")
            for a in message.get("attachments") or []
            if a.get("filename") == file.filename
        ),
        None,
    )
    if not isinstance(uploaded, str):
        raise Refusal("Discord did not keep the picture. Please try again.")
    set_avatar(call.conn, character, uploaded)
    return Reply(delivered=True)


def info(call: AccountCall) -> Reply:
    return Reply(embeds=(card(_character(call, to_change=False)),))


def listing(call: AccountCall) -> Reply:
    from tzurot.personalities.characters import listing as characters_of

    mine, public = characters_of(call.conn, call.job.user_id)
    cap = call.ctx.settings.max_characters_per_user
    lines = [f"**Your characters** ({len(mine)} of {cap})"]
    lines += [f"- {c.name} (`{c.slug}`), {c.visibility}" for c in mine] or [
        "none yet: `/character create`"
    ]
    lines.append("**Public characters of others**")
    lines += [
        f"- {c.name} (`{c.slug}`) · by {c.owner_name or 'someone'}" for c in public[:LIST_LIMIT]
    ] or ["none yet"]
    if len(public) > LIST_LIMIT:
        lines.append(f"…and {len(public) - LIST_LIMIT} more (start typing in `/chat` to find them)")
    return Reply("\n".join(lines))


def card(character: Personality) -> dict:
    """The profile card of /personality info, with the owner, visibility and greeting."""
    from tzurot.commands.personality_info import profile_embed

    embed = profile_embed(character)
    extra = [("Visibility", character.visibility, True)]
    greeting = character.custom_fields.get("greeting")
    if isinstance(greeting, str):
        extra.append(("Greeting", fmt.clip(greeting, 1024), False))
    embed["fields"] = embed["fields"] + [
        {"name": n, "value": v, "inline": inline} for n, v, inline in extra
    ]
    return embed


def _unknown(call: AccountCall) -> Reply:
    raise Refusal("Sorry, I don't know that `/character` command. Try `/help`.")


_SUBCOMMANDS = {
    "create": create,
    "edit": edit,
    "delete": delete,
    "list": listing,
    "info": info,
    "visibility": visibility,
    "avatar": avatar,
}
