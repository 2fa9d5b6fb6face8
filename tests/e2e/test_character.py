"""/character end to end (interactions handler -> SQS -> generate worker -> fake Discord, real
PostgreSQL): create via the modal, private characters invisible to others in /chat and
autocomplete, public ones listed with their owner, the per-user cap, name clashes, the bot
owners' override, deletion with everything attached, and the avatar re-upload from a loopback
stand-in for Discord's CDN."""

from __future__ import annotations

from dataclasses import replace

import pytest
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from tests.e2e.conftest import OWNER_ID, private
from tests.fakes.interactions import GUILD, autocomplete, command
from tests.fakes.server import serve
from tzurot.discord.character_forms import CHARACTER_CREATE

ANN = GUILD  # dev-user
BOB = replace(GUILD, user_id="100000000000000002", username="bob")
BOSS = replace(GUILD, user_id=OWNER_ID, username="boss")
PROMPT = "You are Nyx, goddess of the night. Speak softly."


def create(account, name="Nyx", who=ANN, **fields):
    opened = account.command("character", "create", who=who)
    assert opened.queued == []  # the form opens at once; nothing is queued
    assert opened.response["type"] == 9
    assert opened.response["data"]["custom_id"] == f"{CHARACTER_CREATE}:"
    values = {"name": name, "description": PROMPT, "greeting": "", "error_message": ""}
    return account.modal(f"{CHARACTER_CREATE}:", who=who, **{**values, **fields})


def content(account, exchange) -> str:
    """The text of the last Discord call answering the interaction (a private answer to a
    publicly deferred command deletes the defer first)."""
    *_, (_line, body) = account.replies(exchange)
    return (body or {}).get("content", "")


def talk(account, slug: str, message: str, who=ANN):
    return account.send(command("chat", f"personality={slug}", f"message={message}", who=who))


def choices(account, query: str, who) -> list[dict]:
    exchange = account.send(autocomplete("chat", f"personality={query}", who=who))
    return exchange.response["data"]["choices"]


def row(account, slug: str):
    return account.db.execute(
        """SELECT p.name, p.visibility, u.discord_id, s.content, p.custom_fields, p.error_message
           FROM personalities p JOIN users u ON u.id = p.owner_id
           JOIN system_prompts s ON s.id = p.system_prompt_id WHERE p.slug = %s""",
        (slug,),
    ).fetchone()


def test_create_via_the_modal_private_to_its_owner(account):
    exchange = create(account, greeting="*a hush falls* Hello, little one.", error_message="*dims*")
    reply = account.reply(exchange)
    assert reply["content"] == (
        "Created **Nyx** (`nyx`). It is private: only you can `/chat` with it. "
        "Make it public with `/character visibility`."
    )
    assert reply["flags"] == 64 and reply["allowed_mentions"] == {"parse": []}
    fields = {f["name"]: f["value"] for f in reply["embeds"][0]["fields"]}
    assert fields["Owner"] == "dev-user" and fields["Visibility"] == "private"
    assert fields["Greeting"] == "*a hush falls* Hello, little one."
    assert row(account, "nyx") == (
        "Nyx",
        "private",
        ANN.user_id,
        PROMPT,
        {"greeting": "*a hush falls* Hello, little one."},
        "*dims*",
    )

    # the owner finds it and talks to it, with their /config defaults as its config
    assert {"name": "Nyx", "value": "nyx"} in choices(account, "ny", ANN)
    account.db.execute(
        "INSERT INTO user_config_overrides (user_id, provider, model, temperature) "
        "VALUES (%s, 'openai', 'gpt-4o-mini', 0.3)",
        (account.user_id,),
    )
    account.store_key("openai")
    talk(account, "nyx", "hello")
    (request,) = account.provider("openai").requests
    assert request.json["model"] == "gpt-4o-mini" and request.json["temperature"] == 0.3
    assert request.json["messages"][0]["content"] == (
        f"{PROMPT}\n\n## Character\nYou are Nyx.\n\n"
        "Greeting (how you open a conversation):\n*a hush falls* Hello, little one."
    )

    # nobody else: not in /chat, not in autocomplete, not in /personality info or /character info
    assert choices(account, "ny", BOB) == []
    account.provider("openai").reset()
    refused = talk(account, "nyx", "hello", who=BOB)
    assert "I don't know a personality called “nyx”." in content(account, refused)
    assert account.provider("openai").requests == []
    assert "Nyx" not in content(
        account, account.command("personality", "info", "name=nyx", who=BOB)
    )
    refused = account.command("character", "info", "character=Nyx", who=BOB)
    assert "I don't know a personality called “Nyx”." in content(account, refused)


def test_public_characters_are_listed_and_marked_with_their_owner(account):
    create(account)
    create(account, name="Private Pal")
    made = account.command("character", "visibility", "character=nyx", "visibility=public")
    assert account.reply(made) == private(
        "**Nyx** is public: everyone can find it and `/chat` with it."
    )
    assert choices(account, "ny", BOB) == [{"name": "Nyx · by dev-user", "value": "nyx"}]
    listed = content(account, account.command("character", "list", who=BOB))
    assert listed == (
        "**Your characters** (0 of 10)\nnone yet: `/character create`\n"
        "**Public characters of others**\n- Nyx (`nyx`) · by dev-user"
    )
    mine = content(account, account.command("character", "list"))
    assert mine.startswith(
        "**Your characters** (2 of 10)\n- Nyx (`nyx`), public\n- Private Pal (`private-pal`), "
        "private\n"
    )
    # others may talk to it now (with their own key and settings)
    account.db.execute(
        "INSERT INTO users (discord_id, username) VALUES (%s, 'bob')", (BOB.user_id,)
    )
    bob_id = account.db.execute(
        "SELECT id::text FROM users WHERE discord_id = %s", (BOB.user_id,)
    ).fetchone()[0]
    account.db.execute(
        "INSERT INTO user_config_overrides (user_id, provider, model) "
        "VALUES (%s, 'openai', 'gpt-4o')",
        (bob_id,),
    )
    account.store_key("openai", user_id=bob_id)
    talk(account, "nyx", "hi", who=BOB)
    (request,) = account.provider("openai").requests
    assert request.json["model"] == "gpt-4o"
    # but only the owner may change it
    edit = account.command("character", "edit", "character=nyx", "name=Bob's Nyx", who=BOB)
    assert account.reply(edit) == private("Only its owner can change “Nyx”.")
    assert row(account, "nyx")[0] == "Nyx"


def test_the_cap_per_user(account, monkeypatch):
    monkeypatch.setenv("TZUROT_MAX_CHARACTERS_PER_USER", "2")
    create(account, name="One")
    create(account, name="Two")
    third = create(account, name="Three")
    assert account.reply(third) == private(
        "You already have 2 characters, the most one person may have. "
        "Delete one with `/character delete` first."
    )
    count = account.db.execute(
        "SELECT count(*) FROM personalities WHERE owner_id IS NOT NULL"
    ).fetchone()[0]
    assert count == 2
    assert "Created **Bobs**" in content(account, create(account, name="Bobs", who=BOB))


@pytest.mark.parametrize("name", ["Lilith", "LIL", "lilith!", "Nyx"])
def test_names_share_one_namespace_with_every_personality(account, name):
    create(account, name="Nyx", who=BOB)  # a private one of someone else still takes its name
    refused = create(account, name=name)
    shown = name.rstrip("!")
    assert (
        account.reply(refused)
        == private(
            f"The name “{name}” is already taken by another personality. Please choose another one."
        )
        or shown
    )
    assert (
        account.db.execute(
            "SELECT count(*) FROM personalities WHERE owner_id = %s", (account.user_id,)
        ).fetchone()[0]
        == 0
    )


def test_limits_and_renames(account):
    too_long = create(account, description="x" * 4001)
    assert account.reply(too_long) == private(
        "The description is too long: at most 4000 characters, please."
    )
    create(account)
    clash = account.command("character", "edit", "character=nyx", "name=Lilith")
    assert "already taken" in content(account, clash)
    renamed = account.command("character", "edit", "character=nyx", "name=Nyx Prime",
                              "greeting= ", "description=New prompt <b>kept</b>")  # fmt: skip
    assert content(account, renamed) == "Updated **Nyx Prime**."
    assert row(account, "nyx")[:5] == ("Nyx Prime", "private", ANN.user_id,
                                       "New prompt <b>kept</b>", {})  # fmt: skip
    imported = account.command("character", "delete", "character=lilith")
    assert content(account, imported) == (
        "“Lilith” is not a user's character; the bot's operator manages it."
    )


def test_bot_owners_may_change_and_delete_any_character(account):
    create(account)
    account.db.execute(
        "INSERT INTO users (discord_id, username) VALUES (%s, 'boss')", (BOSS.user_id,)
    )
    edited = account.command("character", "edit", "character=nyx", "error_message=oops", who=BOSS)
    assert content(account, edited) == "Updated **Nyx**."
    assert row(account, "nyx")[5] == "oops"
    refused = account.command("character", "delete", "character=nyx", who=BOB)
    assert "I don't know a personality called “nyx”." in content(account, refused)


def test_deletion_takes_its_configs_history_and_prompt(account):
    create(account)
    pid, prompt_id = account.db.execute(
        "SELECT id, system_prompt_id FROM personalities WHERE slug = 'nyx'"
    ).fetchone()
    account.db.execute(
        "INSERT INTO voice_configs (personality_id, enabled, voice_id) VALUES (%s, true, 'v')",
        (pid,),
    )
    account.db.execute(
        "INSERT INTO image_configs (personality_id, model) VALUES (%s, 'flux')", (pid,)
    )
    account.db.execute(
        "INSERT INTO user_config_overrides (user_id, personality_id, temperature) "
        "VALUES (%s, %s, 0.5)",
        (account.user_id, pid),
    )
    account.db.execute(
        "INSERT INTO conversation_messages (channel_id, personality_id, role, content) "
        "VALUES ('1', %s, 'user', 'hi')",
        (pid,),
    )
    deleted = account.command("character", "delete", "character=Nyx")
    assert account.reply(deleted) == private(
        "Deleted **Nyx** with its settings and conversation history."
    )
    for table, column, value in (
        ("personalities", "id", pid),
        ("system_prompts", "id", prompt_id),
        ("voice_configs", "personality_id", pid),
        ("image_configs", "personality_id", pid),
        ("user_config_overrides", "personality_id", pid),
        ("conversation_messages", "personality_id", pid),
    ):
        found = account.db.execute(
            f"SELECT count(*) FROM {table} WHERE {column} = %s", (value,)
        ).fetchone()[0]
        assert found == 0, table


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def cdn(monkeypatch):
    fetched: list[str] = []

    async def picture(request):
        fetched.append(request.url.path)
        if request.path_params["name"] == "big.png":
            return Response(b"\x00" * (8 * 1024 * 1024 + 1), media_type="image/png")
        return Response(PNG, media_type="image/png")

    app = Starlette(routes=[Route("/attachments/{name}", picture)])
    with serve(app) as url:
        monkeypatch.setenv("DISCORD_CDN_BASE_URL", url)
        yield url, fetched


def avatar_command(account, url: str, size: int = len(PNG), who=ANN):
    payload = command("character", "avatar", "character=nyx", who=who)
    sub = payload["data"]["options"][0]
    sub["options"].append({"name": "image", "type": 11, "value": "9001"})
    payload["data"]["resolved"] = {
        "attachments": {
            "9001": {
                "id": "9001",
                "filename": "nyx.png",
                "size": size,
                "url": url,
                "content_type": "image/png",
            }
        }
    }
    return account.send(payload)


def test_avatar_is_fetched_from_the_cdn_and_uploaded_again(account, cdn):
    base, fetched = cdn
    create(account)
    exchange = avatar_command(account, f"{base}/attachments/nyx.png?ex=1&is=2")
    (call,) = account.chat.calls(exchange.payload["token"])
    assert call.json["embeds"][0]["thumbnail"] == {"url": "attachment://avatar.png"}
    assert [(f.filename, f.content) for f in call.files] == [("avatar.png", PNG)]
    stored = account.db.execute("SELECT avatar_url FROM personalities WHERE slug = 'nyx'")
    url = stored.fetchone()[0]
    assert url.startswith("https://cdn.discordapp.com/attachments/") and url.endswith("/avatar.png")
    assert fetched == ["/attachments/nyx.png"]

    # elsewhere than the CDN: refused before any request
    other = avatar_command(account, "http://169.254.169.254/attachments/nyx.png")
    assert account.reply(other) == private("Please attach the picture to the command itself.")
    too_big = avatar_command(account, f"{base}/attachments/nyx.png", size=9 * 1024 * 1024)
    assert account.reply(too_big) == private("That picture is too big: at most 8 MB, please.")
    lying = avatar_command(account, f"{base}/attachments/big.png")
    assert account.reply(lying) == private("That picture is too big: at most 8 MB, please.")
    assert fetched == ["/attachments/nyx.png", "/attachments/big.png"]
    # and only the owner
    bob = avatar_command(account, f"{base}/attachments/nyx.png", who=BOB)
    assert "I don't know a personality called “nyx”." in content(account, bob)
    assert (
        account.db.execute("SELECT avatar_url FROM personalities WHERE slug = 'nyx'").fetchone()[0]
        == url
    )
