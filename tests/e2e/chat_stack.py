"""The /chat end-to-end rig: the real Lambda handlers wired through moto SQS and KMS, a real
PostgreSQL, loopback fakes of the four text providers and of Discord.

    interactions handler (signed /chat) -> moto SQS -> generate handler (SQS event)
        -> fake provider (its real wire format) -> fake Discord (PATCH/POST recorded)

The fake servers start once per test module (`chat_servers`); every test gets a fresh database,
fresh moto state, reset fakes, and the environment a Lambda function would have.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import psycopg
import pytest
from moto import mock_aws

from tests.fakes.cdn import FakeCDN
from tests.fakes.discord import BOT_TOKEN, FakeDiscord, fake_discord
from tests.fakes.interactions import GUILD, PUBLIC_KEY, command, signed
from tests.fakes.providers import FakeAnthropic, FakeGemini, FakeOpenAI, FakeOpenRouter
from tests.fakes.sqs import serve_sqs
from tzurot.commands import streamed_answer
from tzurot.crypto import transit_keys
from tzurot.crypto.key_store import store_user_key
from tzurot.crypto.master_key import MasterKeyring, init_master_key
from tzurot.dev import simulator
from tzurot.dev.workers import sqs_event
from tzurot.discord import endpoint
from tzurot.jobs import queue, worker

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


interactions_app = _load("interactions_app_e2e", ROOT / "functions/interactions/app.py")
generate_app = _load("generate_app_e2e", ROOT / "functions/generate/app.py")

# Keys shaped like the real ones (the redaction tests look for them in logs).
KEYS = {
    "openai": "sk-proj-e2eOpenAIkey0123456789abcdefghij",
    "anthropic": "sk-ant-api03-e2eAnthropicKey0123456789abcdef",
    "google": "AIzaSyE2eGeminiKey0123456789abcdefghijk",
    "openrouter": "sk-or-v1-e2eOpenRouterKey0123456789abcdef",
}
GUEST_KEY = "sk-or-v1-guestOperatorKey0123456789abcdef"
ENV_BASE_URLS = {
    "openai": "OPENAI_BASE_URL",
    "anthropic": "ANTHROPIC_BASE_URL",
    "google": "GEMINI_BASE_URL",
    "openrouter": "OPENROUTER_BASE_URL",
}

# One personality per provider; the same prompt text and character sheet for all.
SYSTEM_TEXT = "You are a character in a long-running story. Never break character."
PERSONALITIES = {
    "lilith": ("Lilith", "openrouter", "anthropic/claude-3.5-sonnet"),
    "ada": ("Ada", "openai", "gpt-4o-mini"),
    "sonnet": ("Sonnet", "anthropic", "claude-sonnet-4-5"),
    "gemma": ("Gemma", "google", "gemini-2.5-flash"),
}
AVATAR = "https://files.example.com/avatars/{slug}.png"
ERROR_MESSAGE = "*{name} rubs her temples* My thoughts are scattered right now..."


def system_prompt(name: str) -> str:
    aliases = "Also called: lil\n\n" if name == PERSONALITIES["lilith"][0] else ""
    return (
        f"{SYSTEM_TEXT}\n\n## Character\nYou are {name}.\n\n{aliases}"
        "Personality traits:\nwitty, patient"
    )


@dataclass
class ChatServers:
    """The fakes, served once per module."""

    discord: FakeDiscord
    providers: dict[str, Any]
    urls: dict[str, str]

    def reset(self) -> None:
        self.discord.reset()
        for fake in self.providers.values():
            fake.reset()


@pytest.fixture(scope="module")
def chat_servers() -> Iterator[ChatServers]:
    providers = {
        "openai": FakeOpenAI(valid_keys=[KEYS["openai"]]),
        "anthropic": FakeAnthropic(valid_keys=[KEYS["anthropic"]]),
        "google": FakeGemini(valid_keys=[KEYS["google"]]),
        "openrouter": FakeOpenRouter(valid_keys=[KEYS["openrouter"], GUEST_KEY]),
    }
    with ExitStack() as stack:
        urls = {name: stack.enter_context(fake.serve()) for name, fake in providers.items()}
        discord = stack.enter_context(
            fake_discord(application_id=simulator.DEV_APPLICATION_ID, bot_token=BOT_TOKEN)
        )
        yield ChatServers(discord, providers, urls)
        close_keepalive_clients()


def close_keepalive_clients() -> None:
    """Close the process-wide HTTP clients before the fakes stop: their idle keep-alive
    connections would otherwise hold each uvicorn server's shutdown for seconds."""
    from tzurot.discord import rest
    from tzurot.providers.http import close_shared_client

    close_shared_client()
    with rest._client_lock:
        if rest._client is not None:
            rest._client.close()
            rest._client = None


@dataclass
class ChatStack:
    """One test's world. `db` is an autocommit connection to its fresh database."""

    db: psycopg.Connection
    servers: ChatServers
    monkeypatch: pytest.MonkeyPatch
    sqs: Any
    queue_url: str
    queue_arn: str
    kms: Any
    keyring: MasterKeyring
    user_id: str  # users.id of the default Discord user (GUILD identity)
    personality_ids: dict[str, str] = field(default_factory=dict)
    now: datetime | None = None  # the worker's clock; None: real time
    # Interaction tokens of everything posted so far: no SQS body may contain one.
    sent_tokens: list[str] = field(default_factory=list)

    @property
    def discord(self) -> FakeDiscord:
        return self.servers.discord

    def provider(self, name: str):
        return self.servers.providers[name]

    # --- setting the world up ---------------------------------------------------------------

    def store_key(self, provider: str, key: str | None = None, user_id: str | None = None) -> None:
        key = key or KEYS[provider]
        store_user_key(self.db, self.keyring, user_id or self.user_id, provider, key)

    def guest_mode(self, provider="openrouter", model="meta-llama/llama-3.1-8b-instruct"):
        self.monkeypatch.setenv("TZUROT_GUEST_PROVIDER", provider)
        self.monkeypatch.setenv("TZUROT_GUEST_MODEL", model)
        self.monkeypatch.setenv("TZUROT_GUEST_API_KEY", GUEST_KEY)

    def set_clock(self, now: datetime) -> None:
        self.now = now
        self.monkeypatch.setattr(worker, "utc_now", lambda: self.now)

    # --- the flow ---------------------------------------------------------------------------

    def interact(self, personality: str, message: str, who=GUILD) -> dict:
        """POST a signed /chat to the interactions handler; returns the interaction sent."""
        payload = command("chat", f"personality={personality}", f"message={message}", who=who)
        return self.post(payload)

    def post(self, payload: dict) -> dict:
        """POST a signed interaction that defers (a command) to the interactions handler."""
        assert self.respond(payload) == {"type": 5}
        return payload

    def respond(self, payload: dict) -> dict:
        """POST a signed interaction to the interactions handler; returns its answer."""
        self.sent_tokens.append(payload["token"])
        headers, body = signed(payload)
        event = {
            "version": "2.0",
            "headers": {k.lower(): v for k, v in headers.items()},
            "requestContext": {"http": {"method": "POST"}},
            "body": body.decode(),
            "isBase64Encoded": False,
        }
        response = interactions_app.handler(event, None)
        assert response["statusCode"] == 200, response
        return json.loads(response["body"])

    def receive(self) -> list[dict]:
        """Receive what is queued, visible again at once (so a test can redeliver it)."""
        reply = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=10,
            AttributeNames=["All"],
            VisibilityTimeout=0,
        )
        return reply.get("Messages") or []

    def deliver(self, messages: list[dict] | None = None, *, skip_backoff: bool = True) -> dict:
        """Run the generate handler on a batch as Lambda would; returns its response.

        `skip_backoff`: the test's clock jumps past the short backoff the worker gives a record
        it reports as failed (tzurot.jobs.backoff), so the test can redeliver it at once.
        """
        messages = self.receive() if messages is None else messages
        assert messages, "nothing was queued"
        self.assert_tokens_sealed(messages)
        result = generate_app.handler(sqs_event(messages, self.queue_arn, REGION), None)
        if skip_backoff:
            self.end_backoff(self.queue_url, messages, result)
        return result

    def end_backoff(self, queue_url: str, messages: list[dict], result: dict) -> None:
        """Make the records the handler reported as failed visible again now."""
        failed = {item["itemIdentifier"] for item in result.get("batchItemFailures") or []}
        for message in messages:
            if message["MessageId"] in failed:
                self.sqs.change_message_visibility(
                    QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )

    def assert_tokens_sealed(self, messages: list[dict]) -> None:
        """No interaction token, whole or its last 12 characters, in any SQS body."""
        for message in messages:
            for token in self.sent_tokens:
                assert token not in message["Body"] and token[-12:] not in message["Body"]

    def chat(self, personality: str, message: str, who=GUILD) -> tuple[dict, dict]:
        payload = self.interact(personality, message, who=who)
        return payload, self.deliver()

    # --- looking at the results -------------------------------------------------------------

    def calls(self, token: str) -> list:
        """Discord calls made for one interaction (by its token), in order."""
        return [call for call in self.discord.calls if f"/{token}" in call.path]

    def usage_rows(self) -> list[tuple]:
        return self.db.execute(
            "SELECT u.discord_id, p.slug, l.provider, l.model, l.tokens_in, l.tokens_out, "
            "l.tokens_total, l.request_type, l.key_source FROM usage_logs l "
            "JOIN users u ON u.id = l.user_id LEFT JOIN personalities p ON p.id = l.personality_id "
            "ORDER BY l.id"
        ).fetchall()

    def history_rows(self) -> list[tuple]:
        return self.db.execute(
            "SELECT m.channel_id, p.slug, m.role, m.content, m.interaction_id "
            "FROM conversation_messages m JOIN personalities p ON p.id = m.personality_id "
            "ORDER BY m.id"
        ).fetchall()

    def status(self, interaction_id: str) -> tuple | None:
        return self.db.execute(
            "SELECT status, attempts FROM processed_interactions WHERE interaction_id = %s",
            (interaction_id,),
        ).fetchone()

    def key_active(self, provider: str) -> bool:
        return self.db.execute(
            "SELECT is_active FROM user_api_keys WHERE user_id = %s AND provider = %s",
            (self.user_id, provider),
        ).fetchone()[0]


def seed_personalities(db: psycopg.Connection) -> dict[str, str]:
    prompt_id = db.execute(
        "INSERT INTO system_prompts (name, content) VALUES ('story', %s) RETURNING id",
        (SYSTEM_TEXT,),
    ).fetchone()[0]
    ids = {}
    for slug, (name, provider, model) in PERSONALITIES.items():
        config_id = db.execute(
            "INSERT INTO llm_configs (name, provider, model, temperature, max_tokens, "
            "max_conversation_history, max_referenced_messages) "
            "VALUES (%s, %s, %s, 0.70, 500, 6, 2) RETURNING id",
            (f"{slug}-config", provider, model),
        ).fetchone()[0]
        pid = db.execute(
            "INSERT INTO personalities (name, slug, system_prompt_id, personality_traits, "
            "avatar_url, error_message) VALUES (%s, %s, %s, 'witty, patient', %s, %s) "
            "RETURNING id",
            (
                name,
                slug,
                prompt_id,
                AVATAR.format(slug=slug),
                ERROR_MESSAGE.format(name=name) if slug == "lilith" else None,
            ),
        ).fetchone()[0]
        db.execute(
            "INSERT INTO personality_default_configs (personality_id, llm_config_id) "
            "VALUES (%s, %s)",
            (pid, config_id),
        )
        ids[slug] = str(pid)
    db.execute(
        "INSERT INTO personality_aliases (alias, personality_id) VALUES ('lil', %s)",
        (ids["lilith"],),
    )
    return ids


@pytest.fixture
def chat(db_url, chat_servers, monkeypatch) -> Iterator[ChatStack]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "DISCORD_PUBLIC_KEY": PUBLIC_KEY,
        "DISCORD_APPLICATION_ID": simulator.DEV_APPLICATION_ID,
        "DISCORD_BOT_TOKEN": BOT_TOKEN,
        "DISCORD_API_BASE_URL": chat_servers.discord.base_url,
        "TZUROT_JOB_MAX_RECEIVES": "3",
    }.items():
        monkeypatch.setenv(name, value)
    for name in (
        "AWS_ENDPOINT_URL",
        "AWS_PROFILE",
        *(f"TZUROT_GUEST_{n}" for n in ("PROVIDER", "MODEL", "API_KEY")),
    ):
        monkeypatch.delenv(name, raising=False)
    for provider, variable in ENV_BASE_URLS.items():
        monkeypatch.setenv(variable, chat_servers.urls[provider])
    # The rig's tests assert exact provider bodies and one edit per answer; streamed answers
    # have their own tests (test_chat_streaming.py), which turn streaming back on.
    monkeypatch.setattr(streamed_answer, "STREAM_BY_DEFAULT", False)
    chat_servers.reset()
    with mock_aws(), psycopg.connect(db_url, autocommit=True) as db:
        sqs = boto3.client("sqs", region_name=REGION)
        queue_url = sqs.create_queue(QueueName="tzurot-generate")["QueueUrl"]
        image_url = sqs.create_queue(QueueName="tzurot-image")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        kms = boto3.client("kms", region_name=REGION)
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        monkeypatch.setenv("GENERATE_QUEUE_URL", queue_url)
        monkeypatch.setenv("IMAGE_QUEUE_URL", image_url)
        monkeypatch.setenv("KMS_KEY_ID", key_id)
        serve_sqs(monkeypatch)  # the endpoint's signed SendMessage reaches these queues
        for reset in (queue.reset_client, endpoint.reset_default_endpoint):
            reset()
        init_master_key(db, kms, key_id)
        monkeypatch.setenv(
            "TRANSIT_PUBLIC_KEY", str(transit_keys.rotate(db, kms, key_id).public_key)
        )
        user_id = str(
            db.execute(
                "INSERT INTO users (discord_id, username) VALUES (%s, %s) RETURNING id",
                (GUILD.user_id, GUILD.username),
            ).fetchone()[0]
        )
        stack = ChatStack(
            db=db,
            servers=chat_servers,
            monkeypatch=monkeypatch,
            sqs=sqs,
            queue_url=queue_url,
            queue_arn=queue_arn,
            kms=kms,
            keyring=MasterKeyring(db, kms),
            user_id=user_id,
            personality_ids=seed_personalities(db),
        )
        stack.set_clock(datetime.now(UTC).replace(second=0, microsecond=0))
        yield stack
        for reset in (queue.reset_client, endpoint.reset_default_endpoint):
            reset()


@pytest.fixture(scope="module")
def cdn_server() -> Iterator[FakeCDN]:
    cdn = FakeCDN()
    with cdn.serve():
        yield cdn


@pytest.fixture
def cdn(cdn_server, chat, monkeypatch) -> FakeCDN:
    """The loopback CDN, the only place the worker may fetch attachments from."""
    cdn_server.reset()
    monkeypatch.setenv("DISCORD_CDN_BASE_URL", cdn_server.base_url)
    return cdn_server


def context_text(message: str, now: datetime, speaker: str = GUILD.username, tz="UTC") -> str:
    from tzurot.commands.prompt import context_block

    return context_block(now=now, timezone=tz, speaker=speaker) + "\n\n" + message
