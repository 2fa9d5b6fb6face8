"""May this user read that channel? Discord's permission algorithm, for linked messages.

The bot token reads any channel the bot is in; a message a user links must only reach the
prompt when the user could read it themselves. Discord documents how a member's permissions in
a channel are computed (Topics > Permissions, "Permission Hierarchy"):

1. base: the @everyone role's permissions (the role whose id is the guild's), OR every role the
   member has; the guild owner, or ADMINISTRATOR in the base, has everything;
2. the channel's overwrites, in order: the @everyone overwrite (deny, then allow), all the
   member's role overwrites together (deny, then allow), the member's own overwrite (deny,
   then allow).

A thread takes its parent channel's permissions (a private thread also needs membership, which
is not checked here: its messages are not fetched). Reading old messages needs VIEW_CHANNEL and
READ_MESSAGE_HISTORY. `ChannelAccess` fetches the guild (its roles and owner), the member and
each channel at most once per job; anything it cannot fetch counts as "cannot read".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

ADMINISTRATOR = 1 << 3
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
READ_MESSAGE_HISTORY = 1 << 16
SEND_MESSAGES_IN_THREADS = 1 << 38
ALL = (1 << 64) - 1
READ = VIEW_CHANNEL | READ_MESSAGE_HISTORY
# A reply needs the message it answers readable (history), and the answer is an embed.
REPLY = VIEW_CHANNEL | READ_MESSAGE_HISTORY | EMBED_LINKS

THREAD_TYPES = frozenset({10, 11, 12})  # announcement, public and private threads
PRIVATE_THREAD = 12
ROLE, MEMBER = 0, 1  # overwrite types


def _bits(value: Any) -> int:
    """Permissions travel as decimal strings (they outgrew 53 bits)."""
    try:
        return int(str(value))
    except ValueError:
        return 0


def base_permissions(guild: Mapping[str, Any], member: Mapping[str, Any], user_id: str) -> int:
    if str(guild.get("owner_id")) == str(user_id):
        return ALL
    roles = {str(role.get("id")): _bits(role.get("permissions")) for role in guild["roles"]}
    permissions = roles.get(str(guild["id"]), 0)
    for role_id in member.get("roles") or []:
        permissions |= roles.get(str(role_id), 0)
    return ALL if permissions & ADMINISTRATOR else permissions


def channel_permissions(
    base: int,
    overwrites: Iterable[Mapping[str, Any]],
    *,
    guild_id: str,
    member_roles: Iterable[str],
    user_id: str,
) -> int:
    if base & ADMINISTRATOR:
        return ALL
    by_target = {(int(o.get("type", -1)), str(o.get("id"))): o for o in overwrites}
    permissions = base
    everyone = by_target.get((ROLE, str(guild_id)))
    if everyone:
        permissions &= ~_bits(everyone.get("deny"))
        permissions |= _bits(everyone.get("allow"))
    allow = deny = 0
    for role_id in member_roles:
        overwrite = by_target.get((ROLE, str(role_id)))
        if overwrite:
            allow |= _bits(overwrite.get("allow"))
            deny |= _bits(overwrite.get("deny"))
    permissions = (permissions & ~deny) | allow
    own = by_target.get((MEMBER, str(user_id)))
    if own:
        permissions &= ~_bits(own.get("deny"))
        permissions |= _bits(own.get("allow"))
    return permissions


def may_reply(app_permissions: object, *, thread: bool) -> bool:
    """Whether permissions (an interaction's `app_permissions`) let the bot post a reply with
    an embed: in a thread SEND_MESSAGES_IN_THREADS stands for SEND_MESSAGES."""
    permissions = _bits(app_permissions)
    if permissions & ADMINISTRATOR:
        return True
    send = SEND_MESSAGES_IN_THREADS if thread else SEND_MESSAGES
    return permissions & (REPLY | send) == REPLY | send


class ChannelAccess:
    """One job's answers to "may the user read channel X of guild G", from Discord's REST API
    (bot token), each object fetched once."""

    def __init__(self, discord, guild_id: str, user_id: str):
        self.discord = discord
        self.guild_id = str(guild_id)
        self.user_id = str(user_id)
        self._fetched: dict[str, Any] = {}

    def _get(self, key: str, fetch) -> Any:
        from tzurot.discord.rest import DiscordError

        if key not in self._fetched:
            try:
                self._fetched[key] = fetch()
            except DiscordError:
                self._fetched[key] = None
        return self._fetched[key]

    def can_read(self, channel_id: str) -> bool:
        channel = self._get(f"channel:{channel_id}", lambda: self.discord.get_channel(channel_id))
        if not channel or str(channel.get("guild_id")) != self.guild_id:
            return False
        if channel.get("type") in THREAD_TYPES:
            if channel.get("type") == PRIVATE_THREAD or not channel.get("parent_id"):
                return False
            return self.can_read(str(channel["parent_id"]))
        guild = self._get("guild", lambda: self.discord.get_guild(self.guild_id))
        member = self._get("member", lambda: self.discord.get_member(self.guild_id, self.user_id))
        if not guild or not member:
            return False
        roles = [str(role) for role in member.get("roles") or []]
        permissions = channel_permissions(
            base_permissions(guild, member, self.user_id),
            channel.get("permission_overwrites") or [],
            guild_id=self.guild_id,
            member_roles=roles,
            user_id=self.user_id,
        )
        return permissions & READ == READ
