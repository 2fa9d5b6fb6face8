"""The command set and the workers agree: every command, subcommand and option Discord shows has
code that handles it (a worker handler, or an inline answer of the endpoint), and no worker
reads an option Discord never sends.

Options are matched by reading the handler modules' source: the names passed to
`call.option("...")` and `options.get("...")` (constants resolved), so renaming an option on one
side only fails here instead of silently arriving as None.
"""

from __future__ import annotations

import ast
import inspect
from importlib import import_module
from types import ModuleType

import pytest

from tzurot.commands.registry import GENERATE_HANDLERS, IMAGE_HANDLERS, handler_for
from tzurot.discord import character_forms, definitions, modals
from tzurot.discord.definitions import COMMANDS, SUB_COMMAND, Command
from tzurot.usage import report

TABLES = {"generate": GENERATE_HANDLERS, "image": IMAGE_HANDLERS}
# Fields of a submitted modal that travel as job options (the /wallet set key travels sealed,
# never as an option).
# /character avatar's attachment arrives as image_* options the endpoint reads from `resolved`;
# a confirmation button's job carries its scope (tzurot.discord.components).
MODAL_OPTIONS = {
    ("config", "edit-advanced"): {modals.ADVANCED_FIELD},
    ("character", "create"): set(character_forms.FIELDS),
    ("character", "avatar"): {"image_url", "image_size", "image_type"},
    ("memory", "clear"): {"scope"},
    ("privacy", "delete"): {"scope"},
}


def _module(command: str) -> ModuleType:
    target = TABLES[COMMANDS[command].queue][command]
    return import_module(target.partition(":")[0])


def _subcommands(command: Command) -> set[str]:
    return {option.name for option in command.options if option.type == SUB_COMMAND}


def _defined_options(command: Command) -> set[str]:
    names = {option.name for option in command.options if option.type != SUB_COMMAND}
    for sub in command.options:
        names |= {option.name for option in sub.options}
    return names


def _option_reads(module: ModuleType) -> set[str]:
    """Option names `module` reads: x.option("name"), options.get("name"), x.options.get(NAME)."""
    names = set()
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args):
            continue
        owner, method = node.func.value, node.func.attr
        reads_options = method == "option" or (
            method == "get"
            and (
                (isinstance(owner, ast.Name) and owner.id == "options")
                or (isinstance(owner, ast.Attribute) and owner.attr == "options")
            )
        )
        if not reads_options:
            continue
        argument = node.args[0]
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            names.add(argument.value)
        elif isinstance(argument, ast.Name) and isinstance(getattr(module, argument.id, None), str):
            names.add(getattr(module, argument.id))
    return names


def _helpers(module: ModuleType) -> list[ModuleType]:
    """The tzurot.commands modules `module` imports names from (shared option readers such as
    usage.requested_window live there)."""
    found = []
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tzurot.commands."):
            found.append(import_module(node.module))
    return found


def test_every_command_has_a_handler_on_its_own_queue_and_no_handler_is_orphaned():
    for name, command in COMMANDS.items():
        assert name in TABLES[command.queue], f"/{name} has no {command.queue} handler"
        assert handler_for(name, TABLES[command.queue]) is not None
    assert set(GENERATE_HANDLERS) | set(IMAGE_HANDLERS) == set(COMMANDS)
    assert set(GENERATE_HANDLERS) & set(IMAGE_HANDLERS) == set()


@pytest.mark.parametrize("name", list(COMMANDS))
def test_subcommands_match_the_handlers_dispatch_table(name):
    command, module = COMMANDS[name], _module(name)
    table = getattr(module, "_SUBCOMMANDS", None)
    if _subcommands(command):
        assert table is not None, f"{module.__name__} does not dispatch /{name}'s subcommands"
        assert set(table) == _subcommands(command)
    else:
        assert table is None, f"/{name} has no subcommands but {module.__name__} dispatches some"


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_defined_option_is_read_and_every_read_option_is_defined(name):
    command, module = COMMANDS[name], _module(name)
    own = _option_reads(module)
    with_helpers = own.union(*(_option_reads(helper) for helper in _helpers(module)))
    modal_fields = set().union(
        *(fields for (cmd, _), fields in MODAL_OPTIONS.items() if cmd == name)
    )
    # Attachment options travel as the job's `images` (Job.from_interaction), read as job.images.
    carried = set(command.attachment_options())
    if carried:
        assert "job.images" in inspect.getsource(module)
    assert _defined_options(command) - with_helpers - carried == set(), "defined but never read"
    assert own - _defined_options(command) - modal_fields == set(), "read but never sent"


def test_the_reader_finds_what_it_should():
    """Guards the test above against passing vacuously."""
    from tzurot.commands import admin, chat, user_config

    assert _option_reads(chat) == {"personality", "message"}
    assert {"provider", "model", "name", "value", "personality", modals.ADVANCED_FIELD} <= (
        _option_reads(user_config)
    )
    assert _option_reads(admin) == set()  # its period is read by usage.requested_window
    assert "period" in set().union(*(_option_reads(m) for m in _helpers(admin)))


def test_choice_lists_match_what_the_workers_accept():
    from tzurot.commands import imagine
    from tzurot.providers import registry

    assert definitions.PERIODS == report.PERIODS
    assert definitions.TEXT_PROVIDERS == registry.TEXT_PROVIDERS
    assert tuple(definitions.PROVIDERS) == registry.KEY_PROVIDERS
    assert imagine.DEFAULT_SIZE in definitions.IMAGE_SIZES
