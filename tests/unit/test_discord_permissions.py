"""Discord's permission algorithm (Topics > Permissions) for reading a channel's history."""

from __future__ import annotations

import pytest

from tzurot.dev.discord_guilds import GuildDirectory, overwrite, role
from tzurot.discord.permissions import (
    ADMINISTRATOR,
    READ,
    READ_MESSAGE_HISTORY,
    VIEW_CHANNEL,
    base_permissions,
    channel_permissions,
)

GUILD, USER, MOD, MUTED = "10", "20", "30", "40"
SEND = 1 << 11


def readable(everyone: int, member_roles: list[str], overwrites: list[dict], owner="1") -> bool:
    directory = GuildDirectory()
    guild = directory.add_guild(
        GUILD,
        owner_id=owner,
        everyone=everyone,
        roles=[role(MOD, READ | SEND), role(MUTED, SEND), role("50", ADMINISTRATOR)],
    )
    member = directory.add_member(GUILD, {"id": USER, "username": "u"}, member_roles)
    channel = directory.add_channel("99", GUILD, overwrites=overwrites)
    permissions = channel_permissions(
        base_permissions(guild, member, USER),
        channel["permission_overwrites"],
        guild_id=GUILD,
        member_roles=member["roles"],
        user_id=USER,
    )
    return permissions & READ == READ


CASES = {
    "everyone may read, no overwrites": (READ, [], [], True),
    "@everyone denied VIEW_CHANNEL in the channel": (
        READ, [], [overwrite(GUILD, 0, deny=VIEW_CHANNEL)], False),
    "denied to @everyone, allowed to a role the member has": (
        READ, [MUTED], [overwrite(GUILD, 0, deny=VIEW_CHANNEL),
                        overwrite(MUTED, 0, allow=VIEW_CHANNEL)], True),
    "denied to @everyone, allowed to a role the member lacks": (
        READ, [], [overwrite(GUILD, 0, deny=VIEW_CHANNEL),
                   overwrite(MUTED, 0, allow=VIEW_CHANNEL)], False),
    "role allow beats role deny (allows applied after denies)": (
        READ, [MOD, MUTED], [overwrite(MUTED, 0, deny=VIEW_CHANNEL),
                             overwrite(MOD, 0, allow=VIEW_CHANNEL)], True),
    "member overwrite denies after a role allowed": (
        READ, [MOD], [overwrite(MOD, 0, allow=VIEW_CHANNEL),
                      overwrite(USER, 1, deny=VIEW_CHANNEL)], False),
    "member overwrite allows what @everyone lacks": (
        0, [], [overwrite(USER, 1, allow=READ)], True),
    "a role grants reading at server level": (0, [MOD], [], True),
    "view without history is not enough": (
        VIEW_CHANNEL, [], [], False),
    "history denied in the channel": (
        READ, [], [overwrite(GUILD, 0, deny=READ_MESSAGE_HISTORY)], False),
    "administrator ignores overwrites": (
        0, ["50"], [overwrite(USER, 1, deny=READ)], True),
    "a member overwrite with type 0 is a role, not this user": (
        0, [], [overwrite(USER, 0, allow=READ)], False),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_discords_permission_hierarchy(case):
    everyone, roles, overwrites, expected = CASES[case]
    assert readable(everyone, roles, overwrites) is expected


def test_the_owner_may_read_everything():
    assert readable(0, [], [overwrite(USER, 1, deny=READ)], owner=USER) is True


def test_permissions_are_decimal_strings_beyond_53_bits():
    guild = {"id": GUILD, "owner_id": "1", "roles": [role(GUILD, str((1 << 60) | READ))]}
    assert base_permissions(guild, {"roles": []}, USER) == (1 << 60) | READ
