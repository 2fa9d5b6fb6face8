"""`tzurot personality edit NAME --field value ...`, `image set|show|disable`, `export`.

Registered by tzurot.cli.personality; the work is in tzurot.personalities.editor and exporter.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tzurot.errors import TzurotError


def register(verbs: argparse._SubParsersAction) -> None:
    from tzurot.personalities.editor import FIELDS

    edit = verbs.add_parser(
        "edit",
        help="change a personality's fields (all or nothing; an empty value clears one)",
    )
    edit.add_argument("name", metavar="NAME", help="name, slug or alias")
    for field in FIELDS:
        edit.add_argument(
            f"--{field.option}", dest=_dest(field.option), metavar="VALUE", help=field.help
        )
    edit.set_defaults(handler=run_edit)

    image = verbs.add_parser("image", help="a personality's image settings (/imagine)")
    image_verbs = image.add_subparsers(dest="image_verb", required=True)
    set_image = image_verbs.add_parser("set", help="create or change the image config")
    set_image.add_argument("name", metavar="NAME")
    set_image.add_argument("--provider", choices=("openai", "openrouter", "google"))
    set_image.add_argument("--model", metavar="MODEL")
    set_image.add_argument("--size", metavar="WxH", help="default size, e.g. 1024x1024")
    set_image.add_argument("--advanced", metavar="JSON", help="per-provider parameters")
    state = set_image.add_mutually_exclusive_group()
    state.add_argument("--enable", dest="enabled", action="store_const", const=True)
    state.add_argument("--disable", dest="enabled", action="store_const", const=False)
    set_image.set_defaults(handler=run_image_set)
    show_image = image_verbs.add_parser("show", help="show the image config")
    show_image.add_argument("name", metavar="NAME")
    show_image.set_defaults(handler=run_image_show)
    disable = image_verbs.add_parser("disable", help="switch images off (settings kept)")
    disable.add_argument("name", metavar="NAME")
    disable.set_defaults(handler=run_image_disable)

    export = verbs.add_parser(
        "export", help="write shapes.inc-compatible JSON that `import` reads back"
    )
    which = export.add_mutually_exclusive_group(required=True)
    which.add_argument("name", metavar="NAME", nargs="?", help="name, slug or alias")
    which.add_argument("--all", action="store_true", help="every personality, as one array")
    export.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")
    export.set_defaults(handler=run_export)


def _dest(option: str) -> str:
    """Where argparse keeps --OPTION (apart from the NAME positional: --name is a field)."""
    return "field_" + option.replace("-", "_")


def run_edit(args: argparse.Namespace) -> int:
    from tzurot.cli.personality import _database, describe
    from tzurot.personalities.editor import FIELDS, edit

    given = {f.option: getattr(args, _dest(f.option)) for f in FIELDS}
    raw = {option: value for option, value in given.items() if value is not None}
    if not raw:
        raise TzurotError("nothing to change: give at least one --field value")
    with _database() as conn:
        personality = edit(conn, args.name, raw)
    print("\n".join(describe(personality)))
    return 0


def image_lines(personality) -> list[str]:
    image = personality.image
    if image is None:
        return [f"{personality.slug}: no image config"]
    params = ", ".join(f"{k}={json.dumps(v)}" for k, v in sorted(image.advanced_parameters.items()))
    return [
        f"{personality.slug}: images {'on' if image.enabled else 'off'}",
        f"  provider: {image.provider}",
        f"  model: {image.model}",
        f"  default size: {image.default_size}",
        f"  advanced: {params or '-'}",
    ]


def run_image_set(args: argparse.Namespace) -> int:
    from tzurot.cli.personality import _database
    from tzurot.personalities.editor import set_image

    with _database() as conn:
        personality = set_image(
            conn,
            args.name,
            provider=args.provider,
            model=args.model,
            size=args.size,
            advanced=args.advanced,
            enabled=args.enabled,
        )
    print("\n".join(image_lines(personality)))
    return 0


def run_image_show(args: argparse.Namespace) -> int:
    from tzurot.cli.personality import _database
    from tzurot.personalities import repository

    with _database() as conn:
        personality = repository.resolve(conn, args.name)
    print("\n".join(image_lines(personality)))
    return 0


def run_image_disable(args: argparse.Namespace) -> int:
    from tzurot.cli.personality import _database
    from tzurot.personalities.editor import disable_image

    with _database() as conn:
        personality = disable_image(conn, args.name)
    print("\n".join(image_lines(personality)))
    return 0


def run_export(args: argparse.Namespace) -> int:
    from tzurot.cli.personality import _database
    from tzurot.personalities import repository
    from tzurot.personalities.exporter import export_personality

    with _database() as conn:
        if args.all:
            data = [export_personality(p) for p in repository.list_all(conn)]
        else:
            data = export_personality(repository.resolve(conn, args.name))
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        count = len(data) if isinstance(data, list) else 1
        print(
            f"exported {count} {'personality' if count == 1 else 'personalities'} to {args.output}"
        )
    else:
        sys.stdout.write(text)
    return 0
