"""/personality info and /help end to end, and the account commands' shared behaviour: a public
card for a public command, private replies otherwise, a database outage retried through SQS."""

from __future__ import annotations

from tests.e2e.chat_stack import AVATAR
from tests.e2e.conftest import private
from tzurot.commands.help import help_text
from tzurot.dev import simulator

NO_MENTIONS = {"parse": []}


def test_personality_info_card(account):
    pid = account.personality_ids["lilith"]
    account.db.execute(
        "UPDATE personalities SET display_name = 'Lilith, Queen of Night', birthday_month = 12, "
        "birthday_day = 24 WHERE id = %s",
        (pid,),
    )
    account.db.execute(
        "INSERT INTO voice_configs (personality_id, enabled, voice_id) VALUES (%s, true, 'v1')",
        (pid,),
    )
    account.db.execute(
        "INSERT INTO image_configs (personality_id, model, enabled) "
        "VALUES (%s, 'black-forest-labs/flux-schnell', false)",
        (pid,),
    )
    account.db.execute(
        "INSERT INTO personality_aliases (alias, personality_id, position) VALUES ('Lily', %s, 1)",
        (pid,),
    )

    exchange = account.command("personality", "info", "name=LIL")

    assert exchange.response == {"type": 5}  # deferred publicly: a profile is not private
    assert account.reply(exchange) == {
        "embeds": [
            {
                "title": "Lilith, Queen of Night",
                "fields": [
                    {"name": "Name", "value": "Lilith (`lilith`)", "inline": True},
                    {"name": "Aliases", "value": "lil, Lily", "inline": True},
                    {"name": "Birthday", "value": "24 December", "inline": True},
                    {
                        "name": "Voice",
                        "value": "on; add an ElevenLabs key with `/wallet set` to hear replies",
                        "inline": True,
                    },
                    {"name": "Images", "value": "off", "inline": True},
                    {
                        "name": "Model",
                        "value": "`anthropic/claude-3.5-sonnet` (OpenRouter)",
                        "inline": False,
                    },
                ],
                "thumbnail": {"url": AVATAR.format(slug="lilith")},
            }
        ],
        "allowed_mentions": NO_MENTIONS,
    }


def test_personality_info_with_a_birth_year_and_nothing_else(account):
    pid = account.personality_ids["gemma"]
    account.db.execute(
        "UPDATE personalities SET birthday = '1990-03-07', birthday_month = 3, birthday_day = 7, "
        "avatar_url = NULL WHERE id = %s",
        (pid,),
    )
    account.db.execute("DELETE FROM personality_default_configs WHERE personality_id = %s", (pid,))
    (embed,) = account.reply(account.command("personality", "info", "name=gemma"))["embeds"]
    assert "thumbnail" not in embed
    assert [(f["name"], f["value"]) for f in embed["fields"]] == [
        ("Name", "Gemma (`gemma`)"),
        ("Aliases", "none"),
        ("Birthday", "7 March 1990"),
        ("Voice", "off"),
        ("Images", "off"),
        ("Model", "not configured"),
    ]


def test_an_unknown_personality_is_answered_privately(account):
    exchange = account.command("personality", "info", "name=adda")
    lines = [line for line, _ in account.replies(exchange)]
    app = simulator.DEV_APPLICATION_ID
    assert lines == [
        f"DELETE /webhooks/{app}/TOKEN/messages/@original",  # the public "thinking..." goes
        f"POST /webhooks/{app}/TOKEN",  # and an ephemeral followup says it
    ]
    body = account.replies(exchange)[1][1]
    assert body["flags"] == 64 and body["allowed_mentions"] == NO_MENTIONS
    text, reference = body["content"].split("\n")
    assert text == "I don't know a personality called “adda”. Did you mean “Ada”?"
    assert reference.startswith("||ref: ") and reference.endswith("||")


def test_help_lists_every_command_and_links_the_guide(account, monkeypatch):
    exchange = account.command("help")
    assert exchange.response == {"type": 5, "data": {"flags": 64}}
    assert account.reply(exchange) == private(help_text(None))
    assert help_text(None).split("\n")[:11] == [
        "**What I can do**",
        "`/chat`: Talk to a personality",
        "`/imagine`: Create an image from a prompt",
        "`/wallet set|list|remove|test`: Manage your own provider API keys (private)",
        "`/config show|set-model|set-param|edit-advanced|reset|voice`: Your own model, "
        "parameter and voice settings (private)",
        "`/timezone set|get`: Your timezone, used for dates and times in replies (private)",
        "`/usage`: Your token usage (private)",
        "`/personality info`: About the personalities",
        "`/admin usage`: Operator tools (bot owners only)",
        "`/character create|edit|delete|list|info|visibility|avatar`: Create and manage your "
        "own characters (private)",
        "`/help`: How to use this app",
    ]
    monkeypatch.setenv("TZUROT_USER_GUIDE_URL", "https://docs.example.com/tzurot/user-guide")
    linked = account.reply(account.command("help"))["content"]
    assert linked.endswith(
        "User guide (getting a key from each provider, every command with an example): "
        "<https://docs.example.com/tzurot/user-guide>"
    )


def test_a_database_outage_is_retried_then_answered(account, monkeypatch):
    """The database is gone: SQS gets the job back while receives remain; the last receive
    answers with an error, so the user is never left with "thinking..." forever."""
    account.command("wallet", "list")  # a first job: the worker's connection is open
    monkeypatch.setenv("DATABASE_URL", "postgresql://tzurot@127.0.0.1:1/none?connect_timeout=1")
    payload = simulator.interaction(
        simulator.APPLICATION_COMMAND,
        simulator.Identity(guild_id="200000000000000001"),
        simulator.command_data("timezone", ["get"]),
    )
    first = account.send(payload)
    assert len(first.result["batchItemFailures"]) == 1
    assert account.replies(first) == []
    message = {
        "MessageId": "again",
        "ReceiptHandle": "r",
        "Body": first.queued[0],
        "Attributes": {"ApproximateReceiveCount": "3"},  # the last receive
    }
    last = account.deliver([message])
    assert last == {"batchItemFailures": []}
    body = account.reply(first)
    text, reference = body["content"].split("\n")
    assert text == (
        "I can't answer right now: a service I depend on is having trouble. Please try again "
        "in a little while."
    )
    assert reference.startswith("||ref: ")
