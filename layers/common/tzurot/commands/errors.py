"""What a user reads when their request fails: one reply per failure category.

Failures of the provider call speak in the personality's voice: its `error_message` when it has
one (shapes.inc personalities usually do), else a plain default for the category; a category the
user can act on (their key, their provider account, their wording) adds one line saying what to
do. Failures about the user's own account or input (no key, daily limit, settings, unknown
personality) are the app's own, private (ephemeral) messages. Every error reply ends with a short
reference id in a spoiler, `||ref: 1a2b3c4d||`, which is also on every log line of the job, so
support can find what happened.
"""

from __future__ import annotations

from dataclasses import dataclass

from tzurot.commands.config_resolution import ConfigUnusable
from tzurot.crypto.errors import DecryptionFailed, KeyInactive
from tzurot.personalities.errors import PersonalityNotFound
from tzurot.personalities.model import Personality
from tzurot.providers.errors import ProviderError
from tzurot.usage.limits import QuotaExceeded

PROVIDER_NAMES = {
    "openai": "OpenAI",
    "anthropic": "Anthropic",
    "google": "Google Gemini",
    "openrouter": "OpenRouter",
    "elevenlabs": "ElevenLabs",
}


@dataclass(frozen=True)
class Category:
    default: str  # the whole message when the personality has no error_message
    action: str | None = None  # added under a personality's own error_message
    ephemeral: bool = False  # private to the user (their account, key or input)
    in_character: bool = True  # the personality's error_message applies


CATEGORIES: dict[str, Category] = {
    "invalid_key": Category(
        "Your {provider} API key was rejected (invalid, revoked or expired), so it has been "
        "switched off. Add a working key with `/wallet set`.",
        action="Your {provider} API key was rejected, so it has been switched off. "
        "Add a working key with `/wallet set`.",
        ephemeral=True,
    ),
    "quota_exhausted": Category(
        "Your {provider} account is out of credits or quota. Check your plan and billing with "
        "{provider}, then try again.",
        action="Your {provider} account is out of credits or quota: check it with {provider}.",
        ephemeral=True,
    ),
    "missing_permissions": Category(
        "Your {provider} API key lacks a permission this needs (for example access to this "
        "model). Check the key's permissions with {provider}.",
        action="Your {provider} API key lacks a permission this needs.",
        ephemeral=True,
    ),
    "content_blocked": Category(
        "{provider} blocked this message or its answer (content filter). Try rephrasing.",
        action="{provider}'s content filter blocked this; try rephrasing.",
    ),
    "bad_request": Category(
        "{provider} rejected the request. Your settings may not suit this model: see "
        "`/config show`.",
        action="{provider} rejected the request; see `/config show`.",
    ),
    "rate_limited": Category(
        "{provider} is rate limiting requests right now. Please try again in a minute."
    ),
    "unavailable": Category(
        "{provider} is not answering right now. Please try again in a little while."
    ),
    "unreadable_answer": Category(
        "{provider} sent an answer I couldn't read. Please try again.",
        action="{provider} sent an answer I couldn't read; please try again.",
    ),
    "internal": Category("Something went wrong on my side. Please try again later."),
    # A passing failure of something else than the provider (database, Discord, KMS) that
    # outlasted every retry.
    "temporary": Category(
        "I can't answer right now: a service I depend on is having trouble. Please try again "
        "in a little while."
    ),
    "no_key": Category(
        "To chat with {personality}, add your own {provider} API key with `/wallet set`. "
        "It is stored encrypted and only used for your requests.",
        ephemeral=True,
        in_character=False,
    ),
    "key_inactive": Category(
        "Your {provider} API key is switched off because {provider} rejected it. Add a working "
        "key with `/wallet set`, or check this one again with `/wallet test`.",
        ephemeral=True,
        in_character=False,
    ),
    "empty_message": Category(
        "Your message to {personality} is empty. Write something for them to answer.",
        ephemeral=True,
        in_character=False,
    ),
    "key_unreadable": Category(
        "Your saved {provider} API key could not be read. Please add it again with `/wallet set`.",
        ephemeral=True,
        in_character=False,
    ),
    "daily_limit": Category(
        "You have used your {limit} tokens for today. The limit resets {resets}.",
        ephemeral=True,
        in_character=False,
    ),
    "guest_limit": Category(
        "You have used today's {limit} free guest tokens. Add your own API key with "
        "`/wallet set` to keep chatting, or come back {resets}.",
        ephemeral=True,
        in_character=False,
    ),
    "config": Category(
        "Your settings for {personality} can't be used: {problems}. Change them with "
        "`/config`, or go back to the defaults with `/config reset`.",
        ephemeral=True,
        in_character=False,
    ),
    "unknown_personality": Category(
        "I don't know a personality called “{text}”.{suggestions}",
        ephemeral=True,
        in_character=False,
    ),
}


@dataclass(frozen=True)
class ErrorReply:
    category: str
    text: str
    ephemeral: bool


def provider_name(provider: str | None) -> str:
    return PROVIDER_NAMES.get(provider or "", provider or "The provider")


def category_of(exc: BaseException) -> str:
    if isinstance(exc, ProviderError):
        return exc.category if exc.category in CATEGORIES else "internal"
    if isinstance(exc, QuotaExceeded):
        return "guest_limit" if exc.quota.key_source == "guest" else "daily_limit"
    if isinstance(exc, ConfigUnusable):
        return "config"
    if isinstance(exc, PersonalityNotFound):
        return "unknown_personality"
    if isinstance(exc, DecryptionFailed):  # a stored key that no longer opens
        return "key_unreadable"
    if isinstance(exc, KeyInactive):  # switched off after its provider rejected it
        return "key_inactive"
    return "temporary" if is_retryable(exc) else "internal"


def is_retryable(exc: BaseException) -> bool:
    """Passing failures worth another delivery: provider overload or rate limit, Discord down
    or rate limiting, the database or KMS unreachable."""
    import psycopg

    from tzurot.db.errors import DatabaseUnavailable
    from tzurot.discord.rest import DiscordRateLimited, DiscordUnavailable

    if isinstance(exc, DiscordUnavailable | DiscordRateLimited | DatabaseUnavailable):
        return True
    if isinstance(exc, psycopg.OperationalError):
        return True
    return bool(getattr(exc, "retryable", False))


def error_reply(
    category: str,
    *,
    reference: str,
    personality: Personality | None = None,
    provider: str | None = None,
    **details: str,
) -> ErrorReply:
    """The reply for `category`; `details` fill the category's placeholders."""
    spec = CATEGORIES[category]
    fields = {
        "provider": provider_name(provider),
        "personality": personality.label if personality else "this personality",
        **details,
    }
    own = personality.error_message.strip() if personality and personality.error_message else ""
    if spec.in_character and own:
        lines = [own]
        if spec.action:
            lines.append(spec.action.format(**fields))
    else:
        lines = [spec.default.format(**fields)]
    lines.append(f"||ref: {reference}||")
    return ErrorReply(category, "\n".join(lines), spec.ephemeral)


def reply_for(
    exc: BaseException,
    *,
    reference: str,
    personality: Personality | None = None,
    provider: str | None = None,
) -> ErrorReply:
    """The reply for a failure, with the details its category needs taken from the exception."""
    category = category_of(exc)
    details: dict[str, str] = {}
    if isinstance(exc, QuotaExceeded):
        details["limit"] = f"{exc.quota.limit:,}"
        details["resets"] = f"<t:{int(exc.quota.resets_at.timestamp())}:R>"
    elif isinstance(exc, ConfigUnusable):
        details["problems"] = "; ".join(exc.problems)
    elif isinstance(exc, PersonalityNotFound):
        details["text"] = exc.text[:100]
        names = ", ".join(f"“{name}”" for name in exc.suggestions)
        details["suggestions"] = f" Did you mean {names}?" if names else ""
    elif isinstance(exc, KeyInactive):
        provider = exc.provider
    elif isinstance(exc, ProviderError):
        # The class decides the words: a provider's own text may hold pieces of the key.
        provider = exc.provider or provider
    return error_reply(
        category, reference=reference, personality=personality, provider=provider, **details
    )
