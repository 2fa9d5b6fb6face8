"""Guilds, roles, members and channels for the fake Discord, in Discord's own JSON shapes.

`tzurot.dev.discord_sink` serves them (GET /guilds/{id}, /guilds/{id}/roles,
/guilds/{id}/members/{user_id}, /channels/{id}) so that the permission check for linked
messages (tzurot.discord.permissions) runs against what Discord would send: permissions as
decimal strings, overwrites with numeric types, the @everyone role whose id is the guild's.
Nothing exists until a test (or a dev session) adds it; unknown ids get Discord's 404 bodies.
"""

from __future__ import annotations

import threading
from typing import Any

# Discord's default @everyone permissions for a new server (includes VIEW_CHANNEL and
# READ_MESSAGE_HISTORY), as the API sends them.
DEFAULT_EVERYONE = "1071698660929"
UNKNOWN = {
    "guild": (10004, "Unknown Guild"),
    "channel": (10003, "Unknown Channel"),
    "member": (10007, "Unknown Member"),
}


def role(role_id: str, permissions: int | str, *, name: str = "role", position: int = 1) -> dict:
    return {
        "id": str(role_id),
        "name": name,
        "description": None,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": position,
        "permissions": str(permissions),
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def overwrite(target_id: str, kind: int, *, allow: int = 0, deny: int = 0) -> dict:
    """kind 0: a role, 1: a member."""
    return {"id": str(target_id), "type": kind, "allow": str(allow), "deny": str(deny)}


class GuildDirectory:
    """What the fake knows about servers. Thread-safe; the sink reads, tests write."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.guilds: dict[str, dict] = {}
        self.members: dict[tuple[str, str], dict] = {}
        self.channels: dict[str, dict] = {}

    def add_guild(
        self,
        guild_id: str,
        *,
        owner_id: str = "1",
        everyone: int | str = DEFAULT_EVERYONE,
        roles: list[dict] = (),
        name: str = "a server",
    ) -> dict:
        guild = {
            "id": str(guild_id),
            "name": name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": str(owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": [role(guild_id, everyone, name="@everyone", position=0), *roles],
            "emojis": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "public_updates_channel_id": None,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
        }
        with self._lock:
            self.guilds[guild["id"]] = guild
        return guild

    def add_member(self, guild_id: str, user: dict, roles: list[str] = ()) -> dict:
        member = {
            "user": user,
            "nick": None,
            "avatar": None,
            "banner": None,
            "roles": [str(r) for r in roles],
            "joined_at": "2026-01-01T00:00:00.000000+00:00",
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }
        with self._lock:
            self.members[(str(guild_id), str(user["id"]))] = member
        return member

    def add_channel(
        self,
        channel_id: str,
        guild_id: str,
        *,
        overwrites: list[dict] = (),
        kind: int = 0,
        parent_id: str | None = None,
        name: str = "general",
    ) -> dict:
        channel: dict[str, Any] = {
            "id": str(channel_id),
            "type": kind,
            "guild_id": str(guild_id),
            "name": name,
            "parent_id": parent_id,
            "nsfw": False,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": 0,
        }
        if kind in (10, 11, 12):  # threads carry no overwrites: their parent's apply
            channel["owner_id"] = "1"
            channel["thread_metadata"] = {
                "archived": False,
                "auto_archive_duration": 1440,
                "archive_timestamp": "2026-01-01T00:00:00.000000+00:00",
                "locked": False,
            }
        else:
            channel.update(position=0, topic=None, permission_overwrites=list(overwrites))
        with self._lock:
            self.channels[channel["id"]] = channel
        return channel

    def lookup(self, kind: str, *key: str) -> tuple[dict | list | None, tuple[int, str]]:
        """(the object, or None, and Discord's 404 code and message for its kind)."""
        with self._lock:
            if kind == "guild":
                found: Any = self.guilds.get(key[0])
            elif kind == "roles":
                guild = self.guilds.get(key[0])
                found, kind = (guild["roles"] if guild else None), "guild"
            elif kind == "member":
                found = self.members.get((key[0], key[1]))
            else:
                found = self.channels.get(key[0])
        return found, UNKNOWN[kind]
