"""Finding 11: a message link into a private channel of the same server is not fetched unless
the user may read that channel (VIEW_CHANNEL and READ_MESSAGE_HISTORY from the guild's roles,
the member's roles and the channel's overwrites, as Discord computes them)."""

from __future__ import annotations

from tests.fakes.interactions import GUILD
from tzurot.dev.discord_guilds import overwrite, role
from tzurot.discord.permissions import READ, VIEW_CHANNEL

STAFF_ROLE = "600000000000000001"
GENERAL, STAFF_ONLY, THREAD = "300000000000000011", "300000000000000012", "300000000000000013"


def server(chat, member_roles: list[str]) -> None:
    guilds = chat.discord.sink.guilds
    guilds.add_guild(GUILD.guild_id, roles=[role(STAFF_ROLE, 0, name="staff")])
    guilds.add_member(
        GUILD.guild_id, {"id": GUILD.user_id, "username": GUILD.username}, member_roles
    )
    guilds.add_channel(GENERAL, GUILD.guild_id)
    guilds.add_channel(
        STAFF_ONLY,
        GUILD.guild_id,
        overwrites=[
            overwrite(GUILD.guild_id, 0, deny=VIEW_CHANNEL),
            overwrite(STAFF_ROLE, 0, allow=READ),
        ],
        name="staff-only",
    )
    guilds.add_channel(THREAD, GUILD.guild_id, kind=11, parent_id=STAFF_ONLY, name="a thread")


def link(channel_id: str, message_id: str) -> str:
    return f"https://discord.com/channels/{GUILD.guild_id}/{channel_id}/{message_id}"


def test_a_link_into_a_channel_the_user_cannot_read_is_skipped_with_a_note(chat):
    chat.store_key("openai")
    server(chat, member_roles=[])
    sink = chat.discord.sink
    public = sink.add_message(GENERAL, "lunch at noon")
    secret = sink.add_message(STAFF_ONLY, "the salaries spreadsheet")
    in_thread = sink.add_message(THREAD, "thread secret")
    text = " ".join(
        [link(GENERAL, public["id"]), link(STAFF_ONLY, secret["id"]), link(THREAD, in_thread["id"])]
    )
    chat.chat("ada", text)
    prompt = chat.provider("openai").last_request.json["messages"][-1]["content"]
    assert "lunch at noon" in prompt
    assert "salaries" not in prompt and "thread secret" not in prompt
    assert prompt.count("A linked message was left out") == 1  # max_referenced_messages is 2
    message_fetches = [c.line for c in sink.calls_to(r"GET /channels/\d+/messages/")]
    assert message_fetches == [f"GET /channels/{GENERAL}/messages/{public['id']}"]
    # the guild and the member are fetched once for the job, each channel once
    assert len(sink.calls_to(f"GET /guilds/{GUILD.guild_id}$")) == 1
    assert len(sink.calls_to("GET /guilds/.*/members/")) == 1


def test_a_role_allowed_in_the_channel_lets_its_members_link_it_and_its_threads(chat):
    chat.store_key("openai")
    server(chat, member_roles=[STAFF_ROLE])
    sink = chat.discord.sink
    secret = sink.add_message(STAFF_ONLY, "the salaries spreadsheet")
    in_thread = sink.add_message(THREAD, "thread note")
    chat.chat("ada", f"{link(STAFF_ONLY, secret['id'])} {link(THREAD, in_thread['id'])}")
    prompt = chat.provider("openai").last_request.json["messages"][-1]["content"]
    assert "the salaries spreadsheet" in prompt and "thread note" in prompt
    assert "left out" not in prompt


def test_without_server_data_nothing_is_fetched(chat):
    """A guild, member or channel Discord will not show (404, 403) means: cannot tell, skip."""
    chat.store_key("openai")
    secret = chat.discord.sink.add_message(STAFF_ONLY, "the salaries spreadsheet")
    chat.chat("ada", link(STAFF_ONLY, secret["id"]))
    prompt = chat.provider("openai").last_request.json["messages"][-1]["content"]
    assert "salaries" not in prompt
    assert chat.discord.sink.calls_to(r"GET /channels/\d+/messages/") == []
