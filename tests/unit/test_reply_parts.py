"""A long answer is sent in parts (the edit of the deferred message, then followups); progress is
reported after each part but the last, and a retry skips the parts that already arrived."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest

from tests.fakes.transit import PUBLIC_KEY as TRANSIT_KEY
from tzurot.commands.replies import DeferredAnswer, answer_payloads, send_answer
from tzurot.crypto.transit import Binding, seal
from tzurot.discord.rest import DiscordUnavailable
from tzurot.jobs.model import Job
from tzurot.personalities.model import Personality

LONG = "\n\n".join(f"Paragraph {n}. " + "word " * 300 for n in range(3))  # ~4.6k characters


class Discord:
    """Records edit/followup calls; fails the followup number `fail_at` (1-based) once."""

    def __init__(self, fail_at: int | None = None):
        self.sent: list[tuple[str, str]] = []
        self.fail_at = fail_at
        self.followups = 0

    def edit_original(self, token: str, payload: dict, files=None) -> None:
        self.sent.append(("edit", payload["embeds"][0]["description"][:12]))

    def create_followup(self, token: str, payload: dict) -> None:
        self.followups += 1
        if self.followups == self.fail_at:
            raise DiscordUnavailable("Discord POST /webhooks/...: 503", status=503)
        self.sent.append(("followup", payload["embeds"][0]["description"][:12]))


@pytest.fixture
def job() -> Job:
    sealed = seal(TRANSIT_KEY, "tok", Binding.token(interaction_id="1", user_id="3"))
    return Job(
        queue="generate",
        interaction_id="1",
        token_sealed=sealed,
        application_id="2",
        user_id="3",
        username="u",
        command="chat",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    ).with_token("tok")


PERSONALITY = Personality(id=UUID(int=1), name="Lilith", slug="lilith")


def test_parts_progress_and_resume(job):
    parts = [p["embeds"][0]["description"][:12] for p in answer_payloads(PERSONALITY, LONG)]
    assert len(parts) == 3
    progress: list[int] = []
    failing = Discord(fail_at=2)
    with pytest.raises(DiscordUnavailable):
        send_answer(DeferredAnswer(failing, job), PERSONALITY, LONG, progress=progress.append)
    assert failing.sent == [("edit", parts[0]), ("followup", parts[1])]
    assert progress == [1, 2]

    retry, more = Discord(), []
    surface = DeferredAnswer(retry, job)
    send_answer(surface, PERSONALITY, LONG, already_sent=progress[-1], progress=more.append)
    assert retry.sent == [("followup", parts[2])]
    assert more == []  # the last part needs no record: the answer is complete


def test_a_one_message_answer_reports_no_progress(job):
    progress: list[int] = []
    discord = Discord()
    send_answer(DeferredAnswer(discord, job), PERSONALITY, "Short.", progress=progress.append)
    assert discord.sent == [("edit", "Short.")]
    assert progress == []  # no extra database round trip
