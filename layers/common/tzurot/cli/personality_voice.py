"""`tzurot personality voice set|show|disable NAME`: a personality's ElevenLabs voice.

    tzurot personality voice set lilith --voice-id JBFqnCBsd6RMkjVDRZzb --stability 0.4
    tzurot personality voice show lilith
    tzurot personality voice disable lilith

`set` creates the voice (needs --voice-id) or changes the options given, and switches it on.
Ratios are the proposal's 0.00-1.00 with at most two decimals; a bad value is one line on
stderr and nothing is changed (it is refused while parsing, before the database is opened).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from contextlib import AbstractContextManager
from decimal import Decimal, InvalidOperation

from tzurot.personalities.model import Personality, VoiceConfig

Database = Callable[[], AbstractContextManager]

RATIO_HELP = {
    "stability": "0.00-1.00 (default 0.50): higher is steadier, lower more expressive",
    "similarity": "0.00-1.00 (default 0.75): sent as similarity_boost",
    "style": "0.00-1.00 (default 0.00): style exaggeration",
    "frequency": "0.00-1.00 (default 0.00): the frequency boost, sent as use_speaker_boost "
    "(on above 0)",
}


def register_voice(verbs: argparse._SubParsersAction, database: Database) -> None:
    """Add `voice` under `tzurot personality`; `database` opens the connection its verbs use
    (tzurot.cli.personality's, which turns driver errors into one line)."""
    voice = verbs.add_parser("voice", help="a personality's ElevenLabs voice")
    voice.set_defaults(database=database)
    actions = voice.add_subparsers(dest="voice_verb", required=True)

    change = actions.add_parser("set", help="create or change the voice, and switch it on")
    change.add_argument("name", metavar="NAME", help="name, slug or alias")
    change.add_argument("--voice-id", type=_text(100), help="ElevenLabs voice id")
    change.add_argument("--model", type=_text(50), help="model id (default eleven_flash_v2_5)")
    for ratio, text in RATIO_HELP.items():
        change.add_argument(f"--{ratio}", type=ratio_value, metavar="0.00-1.00", help=text)
    change.set_defaults(handler=run_set)

    show = actions.add_parser("show", help="show the voice")
    show.add_argument("name", metavar="NAME", help="name, slug or alias")
    show.set_defaults(handler=run_show)

    disable = actions.add_parser("disable", help="switch the voice off (its settings are kept)")
    disable.add_argument("name", metavar="NAME", help="name, slug or alias")
    disable.set_defaults(handler=run_disable)


def ratio_value(text: str) -> Decimal:
    """A voice ratio: a number from 0.00 to 1.00 with at most two decimals."""
    problem = f"must be a number from 0.00 to 1.00 with at most two decimals, got {text!r}"
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise argparse.ArgumentTypeError(problem) from None
    if not value.is_finite() or not 0 <= value <= 1 or value != value.quantize(Decimal("0.01")):
        raise argparse.ArgumentTypeError(problem)
    return value.quantize(Decimal("0.01"))


def _text(limit: int):
    def parse(text: str) -> str:
        value = text.strip()
        if not value or len(value) > limit or any(c.isspace() for c in value):
            raise argparse.ArgumentTypeError(
                f"must be 1 to {limit} characters without spaces, got {text!r}"
            )
        return value

    return parse


def who(personality: Personality) -> str:
    return f"{personality.name} ({personality.slug})"


def describe_voice(personality: Personality) -> str:
    """One line about the voice, as `show` and `set` print it."""
    voice: VoiceConfig | None = personality.voice
    if voice is None:
        return f"{who(personality)}: no voice"
    state = "on" if voice.enabled and voice.voice_id else "off"
    boost = "on" if voice.frequency > 0 else "off"
    chosen = voice.voice_id or "no voice chosen"
    return (
        f"{who(personality)}: voice {state}, {chosen} ({voice.model}), "
        f"stability {voice.stability}, similarity {voice.similarity}, style {voice.style}, "
        f"frequency {voice.frequency} (speaker boost {boost})"
    )


def run_set(args: argparse.Namespace) -> int:
    from tzurot.personalities.repository import resolve
    from tzurot.personalities.voice import VoiceChange, set_voice

    change = VoiceChange(
        voice_id=args.voice_id,
        model=args.model,
        stability=args.stability,
        similarity=args.similarity,
        style=args.style,
        frequency=args.frequency,
    )
    with args.database() as conn:
        personality = resolve(conn, args.name)
        set_voice(conn, personality, change)
        print(describe_voice(resolve(conn, personality.slug)))
    return 0


def run_show(args: argparse.Namespace) -> int:
    from tzurot.personalities.repository import resolve

    with args.database() as conn:
        print(describe_voice(resolve(conn, args.name)))
    return 0


def run_disable(args: argparse.Namespace) -> int:
    from tzurot.personalities.repository import resolve
    from tzurot.personalities.voice import disable_voice

    with args.database() as conn:
        personality = resolve(conn, args.name)
        if disable_voice(conn, personality):
            print(f"voice off for {who(personality)}; its settings are kept")
        else:
            print(f"{who(personality)} has no voice switched on; nothing changed")
    return 0
