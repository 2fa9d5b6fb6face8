"""How the fake Discord (tzurot.dev.discord_sink) shows what it receives to a person at a
terminal: a message as it reads in Discord, and a printable name for an interaction token."""

from __future__ import annotations

import hashlib


def token_label(token: str) -> str:
    """A short stable name for an interaction token, safe to print (the token never is)."""
    return "#" + hashlib.sha256(token.encode()).hexdigest()[:8]


def render(message: dict) -> str:
    """A message as a person reads it in a terminal."""
    lines = [message["content"]] if message["content"] else []
    for embed in message["embeds"]:
        author = (embed.get("author") or {}).get("name")
        head = " | ".join(part for part in (author, embed.get("title")) if part)
        lines.append(f"[embed{': ' + head if head else ''}]")
        if embed.get("description"):
            lines.append(embed["description"])
        for item in embed.get("fields") or []:
            lines.append(f"  {item.get('name')}: {item.get('value')}")
        if (embed.get("footer") or {}).get("text"):
            lines.append(f"  — {embed['footer']['text']}")
    for attachment in message["attachments"]:
        lines.append(
            f"[file: {attachment['filename']}, {attachment.get('content_type') or 'unknown type'},"
            f" {attachment['size']} bytes]"
        )
    return "\n".join("  " + line for line in "\n".join(lines).splitlines()) or "  (empty)"
