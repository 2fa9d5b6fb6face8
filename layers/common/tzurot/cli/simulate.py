"""`tzurot simulate`: act as Discord against a running endpoint (by default `tzurot dev`'s).

Builds an interaction as Discord would send it, signs it with the dev key from .tzurot/, POSTs
it, and prints the HTTP status and the JSON answer. Exit code 0 for a 2xx answer, 1 otherwise.
After a deferred answer it waits for the worker's reply on the Discord sink of
`tzurot dev --discord-sink` and prints it (`--wait 0` skips that). Without `--url` and
`--sink-url` it uses the URLs the running `tzurot dev` wrote to `.tzurot/` (whatever ports it
was given), else the default ports.

    tzurot simulate ping
    tzurot simulate chat lilith "hi"
    tzurot simulate command config set-param name=temperature value=0.7
    tzurot simulate autocomplete chat personality=lil
    tzurot simulate modal wallet-set:openai api_key=sk-...
"""

from __future__ import annotations

import argparse
import json
import sys

from tzurot.dev import simulator
from tzurot.dev.workers import SINK_PORT

DEFAULT_SINK_URL = f"http://127.0.0.1:{SINK_PORT}/api/v10"


def register(subparsers: argparse._SubParsersAction) -> None:
    simulate = subparsers.add_parser("simulate", help="send signed test interactions to `dev`")
    simulate.add_argument(
        "--url",
        default=None,
        help="interactions endpoint URL (default: the running `tzurot dev`'s, else "
        f"{simulator.DEFAULT_URL})",
    )
    simulate.add_argument("--user-id", default=simulator.Identity.user_id)
    simulate.add_argument("--username", default=simulator.Identity.username)
    simulate.add_argument("--channel-id", default=simulator.Identity.channel_id)
    simulate.add_argument("--guild-id", default=None, help="send from a server (default: DM)")
    simulate.add_argument("--locale", default=simulator.Identity.locale)
    simulate.add_argument(
        "--wait",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="after a deferred answer, wait this long for the worker's reply (0: don't wait)",
    )
    simulate.add_argument(
        "--sink-url",
        type=sink_api_url,
        default=None,
        help="the Discord sink of `tzurot dev --discord-sink` (where replies are read from; "
        "the /api/v10 suffix may be left out; default: the running `tzurot dev`'s, else "
        f"{DEFAULT_SINK_URL})",
    )
    actions = simulate.add_subparsers(dest="action", required=True)
    actions.add_parser("ping", help="a PING (expects PONG)")
    chat = actions.add_parser("chat", help="/chat PERSONALITY MESSAGE")
    chat.add_argument("personality")
    chat.add_argument("message")
    command = actions.add_parser("command", help="any command: NAME [SUBCOMMAND] [opt=value...]")
    command.add_argument("name")
    command.add_argument("args", nargs="*")
    complete = actions.add_parser(
        "autocomplete", help="NAME [SUBCOMMAND] [opt=value...] opt=typed (the last is focused)"
    )
    complete.add_argument("name")
    complete.add_argument("args", nargs="+")
    modal = actions.add_parser("modal", help="a modal submit: CUSTOM_ID [field=value...]")
    modal.add_argument("custom_id")
    modal.add_argument("fields", nargs="*")
    simulate.set_defaults(handler=run)


def build_payload(args: argparse.Namespace) -> dict:
    who = simulator.Identity(
        user_id=args.user_id,
        username=args.username,
        channel_id=args.channel_id,
        guild_id=args.guild_id,
        locale=args.locale,
    )
    if args.action == "ping":
        return simulator.interaction(simulator.PING, who)
    if args.action == "chat":
        data = simulator.command_data(
            "chat", [f"personality={args.personality}", f"message={args.message}"]
        )
        return simulator.interaction(simulator.APPLICATION_COMMAND, who, data)
    if args.action == "command":
        data = simulator.command_data(args.name, args.args)
        return simulator.interaction(simulator.APPLICATION_COMMAND, who, data)
    if args.action == "autocomplete":
        focused = args.args[-1].partition("=")[0]
        data = simulator.command_data(args.name, args.args, focused=focused)
        return simulator.interaction(simulator.AUTOCOMPLETE, who, data)
    fields = {}
    for word in args.fields:
        key, sep, value = word.partition("=")
        if not sep:
            raise simulator.SimulateError(f"modal fields are field=value, got {word!r}")
        fields[key] = value
    data = simulator.modal_data(args.custom_id, fields)
    return simulator.interaction(simulator.MODAL_SUBMIT, who, data)


def run(args: argparse.Namespace) -> int:
    from tzurot.dev import endpoints_file
    from tzurot.dev.keys import load_signing_key

    payload = build_payload(args)
    running = endpoints_file.running_endpoints()
    url = args.url or running.get(endpoints_file.INTERACTIONS) or simulator.DEFAULT_URL
    sink_url = args.sink_url or running.get(endpoints_file.DISCORD_SINK) or DEFAULT_SINK_URL
    reply = simulator.post(url, payload, load_signing_key())
    print(f"HTTP {reply.status}")
    answer = reply.json()
    print(json.dumps(answer, indent=2) if answer is not None else reply.body)
    if reply.status == 401:
        # The endpoint answers 401 without saying why; the usual cause is a key mismatch.
        print(
            "the endpoint rejected the signature: is it running with the dev key "
            "(DISCORD_PUBLIC_KEY unset), and is this the same .tzurot/ folder?",
            file=sys.stderr,
        )
    if isinstance(answer, dict) and answer.get("type") == DEFERRED and args.wait > 0:
        print_followups(sink_url, payload["token"], args.wait)
    return 0 if 200 <= reply.status < 300 else 1


DEFERRED = 5


def sink_api_url(url: str) -> str:
    """The sink's API base: `tzurot dev` prints it with /api/v10, people type it without."""
    url = url.rstrip("/")
    return url if url.endswith("/api/v10") else f"{url}/api/v10"


def print_followups(sink_url: str, token: str, wait: float) -> None:
    """Print what the worker answers through the sink: the edited original and followups
    (after the first answer, more that follow within a couple of seconds)."""
    import httpx

    from tzurot.dev.discord_sink import fetch_interaction_messages

    # Progress notes go to stderr: stdout stays the HTTP answer and then the replies.
    print(f"waiting up to {wait:g}s for the answer (Discord sink at {sink_url})", file=sys.stderr)
    seen = 0
    timeout = wait
    while True:
        try:
            answers = fetch_interaction_messages(sink_url, token, after=seen, timeout=timeout)
        except httpx.HTTPError:
            print("no Discord sink there; run `tzurot dev --discord-sink`", file=sys.stderr)
            return
        if not answers:
            if seen == 0:
                print(f"no answer within {wait:g}s", file=sys.stderr)
            return
        for answer in answers:
            if not still_arriving(answer["message"]):  # a streamed answer's progressive edits
                print(render_answer(answer["kind"], answer["message"]))
        seen += len(answers)
        timeout = 2.0


def still_arriving(message: dict) -> bool:
    """An edit made while the answer streamed (its text ends with the streaming cursor)."""
    from tzurot.commands.streamed_answer import CURSOR

    return any(
        str(embed.get("description") or "").endswith(CURSOR)
        for embed in message.get("embeds") or []
    )


def render_answer(kind: str, message: dict) -> str:
    private = " (only you can see this)" if message.get("flags", 0) & 64 else ""
    lines = [f"--- {kind}{private}"]
    if message.get("content"):
        lines.append(message["content"])
    for embed in message.get("embeds") or []:
        lines.extend(render_embed(embed))
    for attachment in message.get("attachments") or []:
        if attachment.get("filename"):
            lines.append(f"(file: {attachment['filename']})")
    return "\n".join(lines)


def render_embed(embed: dict) -> list[str]:
    """An embed as text lines, in the order Discord shows its parts."""
    author = (embed.get("author") or {}).get("name")
    lines = [f"[{author}]"] if author else []
    if embed.get("title"):
        lines.append(f"**{embed['title']}**")
    if embed.get("description"):
        lines.append(embed["description"])
    lines.extend(
        f"{field.get('name')}: {field.get('value')}" for field in embed.get("fields") or []
    )
    image = (embed.get("image") or {}).get("url")
    if image:
        lines.append(f"(image: {image})")
    footer = (embed.get("footer") or {}).get("text")
    if footer:
        lines.append(footer)
    return lines
