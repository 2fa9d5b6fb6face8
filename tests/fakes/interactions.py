"""Test support for the interactions endpoint: a signing Discord stand-in and recording doubles.

Bodies are built by tzurot.dev.simulator (the same builder `tzurot simulate` uses).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from nacl.signing import SigningKey

from tests.fakes.transit import KEYS
from tests.fakes.transit import PUBLIC_KEY as TRANSIT_KEY
from tzurot.crypto.transit import open_modal_secret, open_token
from tzurot.dev import simulator
from tzurot.dev.keys import public_key_hex, sign
from tzurot.discord.endpoint import InteractionEndpoint
from tzurot.discord.prefill import NONE, Prefill
from tzurot.discord.sealing import SealingFailed, TransitSealer
from tzurot.jobs.queue import QueueUnavailable

SIGNING_KEY = SigningKey(bytes(range(32)))  # fixed: tests are reproducible
PUBLIC_KEY = public_key_hex(SIGNING_KEY)
GUILD = simulator.Identity(guild_id="200000000000000001", channel_id="200000000000000002")
DM = simulator.Identity()


def signed(payload: dict | bytes, *, key: SigningKey = SIGNING_KEY, at: float | None = None):
    """(headers, raw body) as Discord would send them."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    timestamp = str(int(time.time() if at is None else at))
    headers = {
        "X-Signature-Ed25519": sign(key, timestamp, body),
        "X-Signature-Timestamp": timestamp,
        "Content-Type": "application/json",
    }
    return headers, body


# Unchecked: endpoint tests also send what Discord's client would refuse.
def command(name: str, *args: str, who: simulator.Identity = GUILD) -> dict:
    data = simulator.command_data(name, list(args), check=False)
    return simulator.interaction(simulator.APPLICATION_COMMAND, who, data)


def autocomplete(name: str, *args: str, who: simulator.Identity = GUILD) -> dict:
    focused = args[-1].partition("=")[0]
    data = simulator.command_data(name, list(args), focused=focused, check=False)
    return simulator.interaction(simulator.AUTOCOMPLETE, who, data)


def message_command(name: str, message: dict, who: simulator.Identity = GUILD) -> dict:
    """A message command (data.type 3) on `message`, carried in `resolved.messages`."""
    data = simulator.message_command_data(name, message)
    return simulator.interaction(simulator.APPLICATION_COMMAND, who, data)


def modal_submit(custom_id: str, who: simulator.Identity = GUILD, **fields: str) -> dict:
    data = simulator.modal_data(custom_id, fields, check=False)
    return simulator.interaction(simulator.MODAL_SUBMIT, who, data)


@dataclass
class Recorder:
    """Stands in for the queue, the sealers, the personality lookup and the edit-advanced
    prefill; records every call. Secrets are really sealed, to the fixed test transit key
    (tests.fakes.transit; `opened` reads a job's token, `opened_key` its wallet key)."""

    jobs: list = field(default_factory=list)
    sealed: list[dict[str, Any]] = field(default_factory=list)
    sealed_tokens: list[str] = field(default_factory=list)  # interaction ids
    lookups: list[str] = field(default_factory=list)
    queue_down: bool = False
    sealing_down: bool = False
    names: list[tuple[str, str]] = field(default_factory=list)
    prefill: Prefill = field(default_factory=lambda: Prefill(NONE))  # the prefill's answer
    prefills: list[tuple[str, str | None]] = field(default_factory=list)

    def send_job(self, job) -> str:
        if self.queue_down:
            raise QueueUnavailable("could not enqueue generate job: connection refused")
        self.jobs.append(job)
        return f"msg-{len(self.jobs)}"

    def seal(self, secret: str, *, user_id: str, provider: str, interaction_id: str):
        if self.sealing_down:
            raise SealingFailed("TRANSIT_PUBLIC_KEY is not set")
        self.sealed.append(
            {"secret": secret, "user_id": user_id, "provider": provider, "id": interaction_id}
        )
        return TransitSealer(TRANSIT_KEY).seal_secret(
            secret, user_id=user_id, provider=provider, interaction_id=interaction_id
        )

    def seal_token(self, token: str, *, interaction_id: str, user_id: str):
        if self.sealing_down:
            raise SealingFailed("TRANSIT_PUBLIC_KEY is not set")
        self.sealed_tokens.append(interaction_id)
        return TransitSealer(TRANSIT_KEY).seal_token(
            token, interaction_id=interaction_id, user_id=user_id
        )

    @staticmethod
    def opened(job) -> str:
        """The interaction token a recorded job carries."""
        return open_token(
            KEYS, job.token_sealed, interaction_id=job.interaction_id, user_id=job.user_id
        )

    @staticmethod
    def opened_key(job) -> str:
        """The /wallet set key a recorded job carries."""
        return open_modal_secret(
            KEYS,
            job.sealed_key,
            user_id=job.user_id,
            provider=job.options["provider"],
            interaction_id=job.interaction_id,
        )

    def personalities(self, query: str, viewer: str | None = None) -> list[tuple[str, str]]:
        self.lookups.append(query)
        return [n for n in self.names if query.casefold() in n[0].casefold()]

    def advanced_prefill(self, discord_id: str, personality: str | None) -> Prefill:
        self.prefills.append((discord_id, personality))
        return self.prefill

    def endpoint(self, public_key: str | None = PUBLIC_KEY, **kwargs) -> InteractionEndpoint:
        kwargs.setdefault("advanced_prefill", self.advanced_prefill)
        return InteractionEndpoint(
            public_key=public_key,
            send_job=self.send_job,
            seal=self.seal,
            seal_token=self.seal_token,
            personalities=self.personalities,
            **kwargs,
        )

    @property
    def touched(self) -> bool:
        """Whether anything was enqueued, sealed or queried."""
        return bool(self.jobs or self.sealed or self.sealed_tokens or self.lookups or self.prefills)


def mutate_json(data, value, replacements):
    """A hypothesis helper: `value` (a JSON document) with parts replaced (drawn from the
    `replacements` strategy), deleted or kept, recursively. `data` is st.data()'s object."""
    from hypothesis import strategies as st

    action = data.draw(st.sampled_from(["keep", "replace", "descend", "descend", "delete"]))
    if action == "replace":
        return data.draw(replacements)
    if isinstance(value, dict) and value and action in ("descend", "delete"):
        key = data.draw(st.sampled_from(sorted(value)))
        if action == "delete":
            return {k: v for k, v in value.items() if k != key}
        return {**value, key: mutate_json(data, value[key], replacements)}
    if isinstance(value, list) and value and action == "descend":
        index = data.draw(st.integers(0, len(value) - 1))
        return [*value[:index], mutate_json(data, value[index], replacements), *value[index + 1 :]]
    return value
