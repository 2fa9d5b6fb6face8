"""Discord's objects as the fake Discord (tzurot.dev.discord_sink) builds them, in the shapes
of Discord's API: snowflake ids, users, messages (and their edits), attachments, embeds, DM
channels and application commands."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from tzurot.dev.discord_recording import RecordedFile

DISCORD_EPOCH_MS = 1_420_070_400_000

# Called with (attachment id, file name, bytes) for each uploaded file made an attachment.
UploadHook = Callable[[str, str, bytes], None]


class Snowflakes:
    """Discord-style ids: milliseconds since 2015 in the high bits, a counter in the low ones."""

    def __init__(self):
        self._lock = threading.Lock()
        self._last = 0

    def next(self) -> str:
        with self._lock:
            candidate = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
            self._last = max(candidate, self._last + 1)
            return str(self._last)


def now() -> str:
    return datetime.now(UTC).isoformat()


class DiscordObjects:
    """Builds the objects of one application: its bot user, messages it posts, its commands.
    `on_upload` sees every uploaded file given an attachment id (the sink saves it)."""

    def __init__(self, application_id: str, bot_name: str, *, on_upload: UploadHook | None = None):
        self.application_id = application_id
        self.ids = Snowflakes()
        self.on_upload = on_upload
        self.bot_user = {
            "id": application_id,
            "username": bot_name,
            "avatar": None,
            "discriminator": "0000",
            "public_flags": 0,
            "flags": 0,
            "bot": True,
            "global_name": None,
            "primary_guild": None,
        }

    def user(self, user_id: str, username: str) -> dict:
        """A person (not a bot), shaped like the bot user."""
        return {**self.bot_user, "id": user_id, "username": username, "bot": False}

    def dm_channel(self, recipient: dict) -> dict:
        return {
            "id": self.ids.next(),
            "type": 1,
            "last_message_id": None,
            "flags": 0,
            "recipients": [recipient],
        }

    def message(self, channel_id: str, body: dict, files: list[RecordedFile], kind: int) -> dict:
        return {
            "type": kind,
            "id": self.ids.next(),
            "channel_id": channel_id,
            "author": self.bot_user,
            "content": body.get("content") or "",
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "attachments": self.attachments(channel_id, body, files, []),
            "embeds": [self.embed(e) for e in body.get("embeds") or []],
            "components": body.get("components") or [],
            "timestamp": now(),
            "edited_timestamp": None,
            "flags": body.get("flags") or 0,
            "pinned": False,
            "tts": bool(body.get("tts")),
            "webhook_id": self.application_id,
            "application_id": self.application_id,
        }

    def edited(self, message: dict, body: dict, files: list[RecordedFile]) -> dict:
        # PATCH semantics: fields present replace; `attachments` lists what stays.
        edited = dict(message)
        if "content" in body:
            edited["content"] = body["content"] or ""
        if "embeds" in body:
            edited["embeds"] = [self.embed(e) for e in body["embeds"] or []]
        if "components" in body:
            edited["components"] = body["components"] or []
        if body.get("flags") is not None:
            edited["flags"] = body["flags"]
        edited["attachments"] = self.attachments(
            message["channel_id"], body, files, message["attachments"]
        )
        edited["edited_timestamp"] = now()
        return edited

    def attachments(
        self, channel_id: str, body: dict, files: list[RecordedFile], existing: list[dict]
    ) -> list[dict]:
        listed = body.get("attachments")
        meta = {str(item.get("id")): item for item in listed or [] if isinstance(item, dict)}
        if listed is None:
            kept = list(existing)
        else:
            kept = [item for item in existing if item["id"] in meta]
        for upload in files:
            info = meta.get(upload.index, {})
            attachment_id = self.ids.next()
            filename = info.get("filename") or upload.filename
            url = f"https://cdn.discordapp.com/attachments/{channel_id}/{attachment_id}/{filename}"
            attachment = {
                "id": attachment_id,
                "filename": filename,
                "size": len(upload.content),
                "url": url,
                "proxy_url": url.replace("cdn.discordapp.com", "media.discordapp.net"),
                "content_type": upload.content_type,
            }
            if info.get("description"):
                attachment["description"] = info["description"]
            kept.append(attachment)
            if self.on_upload:
                self.on_upload(attachment_id, filename, upload.content)
        return kept

    @staticmethod
    def embed(embed: dict) -> dict:
        return {"type": "rich", **{k: v for k, v in embed.items() if v is not None}}

    def command(self, body: dict, guild_id: str | None, current: list[dict]) -> dict:
        kind = body.get("type") or 1
        previous = next(
            (c for c in current if c["type"] == kind and c["name"] == body["name"]), None
        )
        permissions = body.get("default_member_permissions")
        command = {
            "id": previous["id"] if previous else self.ids.next(),
            "application_id": self.application_id,
            "version": self.ids.next(),
            "default_member_permissions": None if permissions is None else str(permissions),
            "type": kind,
            "name": body["name"],
            "name_localizations": body.get("name_localizations"),
            "description": body.get("description") or "",
            "description_localizations": body.get("description_localizations"),
            "dm_permission": body.get("dm_permission", True),
            "contexts": body.get("contexts"),
            "integration_types": body.get("integration_types") or [0],
            "nsfw": bool(body.get("nsfw")),
        }
        if body.get("options"):
            command["options"] = json.loads(json.dumps(body["options"]))
        if guild_id:
            command["guild_id"] = guild_id
            command.pop("dm_permission")
        if previous and {k: v for k, v in previous.items() if k != "version"} == {
            k: v for k, v in command.items() if k != "version"
        }:
            command["version"] = previous["version"]  # unchanged commands keep their version
        return command
