"""`tzurot personality import|list|show|alias add|alias remove|delete`; `edit`, `image` and
`export` live in tzurot.cli.personality_edit, `voice set|show|disable` in
tzurot.cli.personality_voice."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from tzurot.cli.personality_voice import register_voice
from tzurot.db.connection import connect
from tzurot.db.errors import DatabaseError, DatabaseUnavailable
from tzurot.personalities import repository
from tzurot.personalities.model import Personality


def register(subparsers: argparse._SubParsersAction) -> None:
    personality = subparsers.add_parser("personality", help="import and manage personalities")
    verbs = personality.add_subparsers(dest="personality_verb", required=True)

    imports = verbs.add_parser(
        "import", help="import shapes.inc exports (all or nothing; re-importing updates)"
    )
    imports.add_argument(
        "paths", nargs="+", metavar="PATH", help="a JSON file (object or array) or a folder"
    )
    imports.set_defaults(handler=run_import)

    verbs.add_parser("list", help="list personalities").set_defaults(handler=run_list)

    show = verbs.add_parser("show", help="show one personality")
    show.add_argument("name", metavar="NAME", help="name, slug or alias")
    show.set_defaults(handler=run_show)

    alias = verbs.add_parser("alias", help="add or remove an alias")
    alias_verbs = alias.add_subparsers(dest="alias_verb", required=True)
    add = alias_verbs.add_parser("add", help="give a personality an extra name")
    add.add_argument("name", metavar="NAME", help="name, slug or alias of the personality")
    add.add_argument("alias", metavar="ALIAS")
    add.set_defaults(handler=run_alias_add)
    remove = alias_verbs.add_parser("remove", help="remove an alias")
    remove.add_argument("alias", metavar="ALIAS")
    remove.set_defaults(handler=run_alias_remove)

    delete = verbs.add_parser(
        "delete", help="delete a personality (aliases, voice/image configs and unshared configs)"
    )
    delete.add_argument("name", metavar="NAME", help="name, slug or alias")
    delete.set_defaults(handler=run_delete)

    from tzurot.cli import personality_edit

    personality_edit.register(verbs)
    register_voice(verbs, _database)


@contextmanager
def _database() -> Iterator[psycopg.Connection]:
    """A connection whose driver errors become one-line TzurotErrors."""
    with connect(autocommit=True) as conn:
        try:
            yield conn
        except (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedColumn):
            raise DatabaseError(
                "the database schema is not up to date: run `tzurot db migrate`"
            ) from None
        except psycopg.OperationalError as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "connection lost"
            raise DatabaseUnavailable(f"database unreachable: {reason}") from None


def run_import(args: argparse.Namespace) -> int:
    # Imported here: pydantic is only needed by this verb.
    from tzurot.personalities.importer import import_files

    with _database() as conn:
        result = import_files(conn, args.paths)
    for item in result.personalities:
        verb = "created" if item.created else "updated"
        print(f"{verb} {item.slug} ({item.name}) from {item.source}")
    total = len(result.personalities)
    noun = "personality" if total == 1 else "personalities"
    print(f"imported {total} {noun}: {result.created} created, {result.updated} updated")
    return 0


def run_list(args: argparse.Namespace) -> int:
    with _database() as conn:
        personalities = repository.list_all(conn)
    if not personalities:
        print("no personalities (import some with `tzurot personality import PATH`)")
        return 0
    rows = [("SLUG", "NAME", "MODEL", "ALIASES")]
    for p in personalities:
        model = p.llm.model if p.llm else "-"
        rows.append((p.slug, p.name, model, ", ".join(p.aliases) or "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        padded = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*padded, row[3]]))
    return 0


def describe(p: Personality) -> list[str]:
    """The lines `show` prints."""
    lines = [f"{p.name} ({p.slug})", f"  id: {p.id}"]

    def add(label: str, value: object) -> None:
        if value not in (None, "", ()):
            lines.append(f"  {label}: {value}")

    add("display name", p.display_name)
    if p.owner_id is not None:
        add("owner", f"{p.owner_name or p.owner_discord_id} ({p.visibility})")
    add("aliases", ", ".join(p.aliases))
    add("avatar", p.avatar_url)
    add("birthday", p.birthday)
    add("error message", p.error_message)
    if p.system_prompt is not None:
        add("system prompt", f'"{p.system_prompt_name}", {len(p.system_prompt)} characters')
    sheet = p.character
    for label, value in (
        ("character info", sheet.character_info),
        ("history", _history(p)),
        ("traits", sheet.traits),
        ("tone", sheet.tone),
        ("age", sheet.age),
        ("appearance", sheet.appearance),
        ("likes", sheet.likes),
        ("dislikes", sheet.dislikes),
        ("conversational goals", sheet.conversational_goals),
        ("conversational examples", sheet.conversational_examples),
    ):
        add(label, _excerpt(value))
    if p.llm is None:
        lines.append("  llm: none")
    else:
        llm = p.llm
        lines.append(f'  llm: {llm.provider} {llm.model} (config "{llm.name}")')
        add("  temperature", llm.temperature)
        add("  top_p", llm.top_p)
        add("  max tokens", llm.max_tokens)
        add("  memory threshold", llm.memory_score_threshold)
        add("  memory limit", llm.memory_limit)
        add("  conversation history", llm.max_conversation_history)
        add("  referenced messages", llm.max_referenced_messages)
        if llm.advanced_parameters:
            params = ", ".join(f"{k}={v}" for k, v in sorted(llm.advanced_parameters.items()))
            add("  advanced", params)
    if p.voice is None:
        lines.append("  voice: none")
    else:
        v = p.voice
        state = "on" if v.enabled else "off"
        lines.append(
            f"  voice: {state}, {v.voice_id or 'no voice chosen'} ({v.model}), "
            f"stability {v.stability}, similarity {v.similarity}, style {v.style}, "
            f"frequency {v.frequency}"
        )
    if p.image is None:
        lines.append("  image: none")
    else:
        i = p.image
        state = "on" if i.enabled else "off"
        lines.append(f"  image: {state}, {i.provider} {i.model}, {i.default_size}")
    add("long-term memory", _memory(p))
    add("custom fields", ", ".join(sorted(p.custom_fields)))
    return lines


def _history(p: Personality) -> str | None:
    value = p.custom_fields.get("personality_history")
    return value if isinstance(value, str) else None


def _memory(p) -> str:
    """The ltm settings in effect (tzurot.memory.settings): on/off, threshold, limit."""
    from tzurot.memory.settings import MemoryPolicy

    policy = MemoryPolicy.of(p)
    state = "on" if policy.enabled else "off"
    return f"{state}, similarity >= {policy.threshold:g}, up to {policy.limit} recalled"


def _excerpt(text: str | None, limit: int = 60) -> str | None:
    if not text:
        return None
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def run_show(args: argparse.Namespace) -> int:
    with _database() as conn:
        personality = repository.resolve(conn, args.name)
    print("\n".join(describe(personality)))
    return 0


def run_alias_add(args: argparse.Namespace) -> int:
    with _database() as conn:
        personality = repository.add_alias(conn, args.name, args.alias)
    print(f'added alias "{args.alias.strip()}" to {personality.name} ({personality.slug})')
    return 0


def run_alias_remove(args: argparse.Namespace) -> int:
    with _database() as conn:
        personality = repository.remove_alias(conn, args.alias)
    print(f'removed alias "{args.alias.strip()}" from {personality.name} ({personality.slug})')
    return 0


def run_delete(args: argparse.Namespace) -> int:
    with _database() as conn:
        personality = repository.delete(conn, args.name)
    print(f"deleted {personality.name} ({personality.slug})")
    return 0
