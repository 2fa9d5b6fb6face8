"""Configuration from environment variables (the Lambda environment, a local .env, or the CLI).

The names and defaults are a contract (ARCHITECTURE.md); the application reads them here and
nowhere else. Three tooling variables are read where they act, before any Settings exists:
TZUROT_DEBUG (cli.main: show tracebacks), TZUROT_STATE_DIR (db.embedded: where `.tzurot/`
lives) and TZUROT_MIGRATIONS_DIR (db.migrations: the SQL files, for the migrate function).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from tzurot.discord import cdn
from tzurot.errors import TzurotError


class ConfigError(TzurotError):
    """A configuration value is missing or malformed."""


# What a botocore NoRegionError needs. botocore reads AWS_DEFAULT_REGION (and the profile's
# `region`), not AWS_REGION: Lambda sets both, an operator's shell often only the latter.
NO_REGION_HINT = "set AWS_DEFAULT_REGION, or `region` in your AWS profile; boto3 ignores AWS_REGION"


def _ids(raw: str) -> frozenset[str]:
    return frozenset(part.strip() for part in raw.split(",") if part.strip())


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None


@dataclass(frozen=True)
class Settings:
    discord_public_key: str | None = None
    discord_application_id: str | None = None
    discord_bot_token: str | None = field(default=None, repr=False)
    discord_api_base_url: str = "https://discord.com/api/v10"
    database_url: str | None = field(default=None, repr=False)
    generate_queue_url: str | None = None
    image_queue_url: str | None = None
    kms_key_id: str | None = None
    openai_base_url: str = "https://api.openai.com/v1"
    anthropic_base_url: str = "https://api.anthropic.com"
    gemini_base_url: str = "https://generativelanguage.googleapis.com"
    openrouter_base_url: str = "https://openrouter.ai/api/v1"
    elevenlabs_base_url: str = "https://api.elevenlabs.io"
    bot_owner_ids: frozenset[str] = frozenset()
    # Usage limits (tokens per user per UTC day); 0 disables a limit.
    daily_token_limit: int = 2_000_000
    guest_daily_token_limit: int = 20_000
    # /imagine: images per user in any rolling hour (counted from usage_logs); 0 disables it.
    image_hourly_limit: int = 10
    # Voice: characters of a reply spoken at most (0 turns voice off), and per user per UTC day
    # (0 disables the daily limit).
    voice_max_chars: int = 1000
    voice_daily_char_limit: int = 20_000
    # Guest mode: only when the operator configures all three.
    guest_provider: str | None = None
    guest_model: str | None = None
    guest_api_key: str | None = field(default=None, repr=False)
    # Workers: the generate/image queues' maxReceiveCount (the template's redrive policy). On
    # that receive a job that keeps failing answers the user with an error instead of retrying.
    job_max_receives: int = 3
    # Where the operator publishes docs/user-guide.md; /help links it.
    user_guide_url: str | None = None
    # /character: how many characters one user may own (bot owners included).
    max_characters_per_user: int = 10
    # Attachments (a /character avatar) are fetched only under these base URLs (Discord's CDN;
    # tests point DISCORD_CDN_BASE_URL at a loopback fake).
    discord_cdn_base_urls: tuple[str, ...] = cdn.DEFAULT_BASE_URLS

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        if env is None:
            # In Lambda the secrets arrive as references (<NAME>_SECRET_ARN / <NAME>_PARAMETER);
            # resolve them into the environment first. A no-op when none is set.
            from tzurot.secrets import resolve_into

            resolve_into(os.environ)
            env = os.environ

        def opt(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        def url(name: str, default: str) -> str:
            return (opt(name) or default).rstrip("/")

        return cls(
            discord_public_key=opt("DISCORD_PUBLIC_KEY"),
            discord_application_id=opt("DISCORD_APPLICATION_ID"),
            discord_bot_token=opt("DISCORD_BOT_TOKEN"),
            discord_api_base_url=url("DISCORD_API_BASE_URL", cls.discord_api_base_url),
            database_url=opt("DATABASE_URL"),
            generate_queue_url=opt("GENERATE_QUEUE_URL"),
            image_queue_url=opt("IMAGE_QUEUE_URL"),
            kms_key_id=opt("KMS_KEY_ID"),
            openai_base_url=url("OPENAI_BASE_URL", cls.openai_base_url),
            anthropic_base_url=url("ANTHROPIC_BASE_URL", cls.anthropic_base_url),
            gemini_base_url=url("GEMINI_BASE_URL", cls.gemini_base_url),
            openrouter_base_url=url("OPENROUTER_BASE_URL", cls.openrouter_base_url),
            elevenlabs_base_url=url("ELEVENLABS_BASE_URL", cls.elevenlabs_base_url),
            bot_owner_ids=_ids(env.get("BOT_OWNER_IDS", "")),
            daily_token_limit=_int(env, "TZUROT_DAILY_TOKEN_LIMIT", cls.daily_token_limit),
            guest_daily_token_limit=_int(
                env, "TZUROT_GUEST_DAILY_TOKEN_LIMIT", cls.guest_daily_token_limit
            ),
            image_hourly_limit=_int(env, "TZUROT_IMAGE_HOURLY_LIMIT", cls.image_hourly_limit),
            voice_max_chars=_int(env, "TZUROT_VOICE_MAX_CHARS", cls.voice_max_chars),
            voice_daily_char_limit=_int(
                env, "TZUROT_VOICE_DAILY_CHAR_LIMIT", cls.voice_daily_char_limit
            ),
            guest_provider=opt("TZUROT_GUEST_PROVIDER"),
            guest_model=opt("TZUROT_GUEST_MODEL"),
            guest_api_key=opt("TZUROT_GUEST_API_KEY"),
            job_max_receives=max(_int(env, "TZUROT_JOB_MAX_RECEIVES", cls.job_max_receives), 1),
            user_guide_url=opt("TZUROT_USER_GUIDE_URL"),
            max_characters_per_user=max(
                _int(env, "TZUROT_MAX_CHARACTERS_PER_USER", cls.max_characters_per_user), 0
            ),
            discord_cdn_base_urls=cdn.base_urls(env.get("DISCORD_CDN_BASE_URL")),
        )

    @property
    def guest_mode_enabled(self) -> bool:
        return bool(self.guest_provider and self.guest_model and self.guest_api_key)
