"""`tzurot personality ...` end to end through `tzurot.cli.main.main` against a real database:
exit codes, stdout, and one-line errors on stderr."""

from __future__ import annotations

import json

import pytest

from tzurot.cli.main import main

LILITH = {
    "id": "9b6f2a6e-0000-4000-8000-000000000001",
    "name": "Lilith",
    "username": "lilith",
    "avatar": "https://files.shapes.inc/lilith.png",
    "jailbreak": "You are Lilith, queen of the night.",
    "user_prompt": "First of her kind.",
    "personality_traits": "Proud, sly",
    "engine_model": "anthropic/claude-3.5-sonnet",
    "engine_temperature": 0.9,
    "engine_top_p": 0.95,
    "engine_top_k": 40,
    "engine_min_p": 0.05,
    "stm_window": 25,
    "ltm_enabled": True,
    "ltm_threshold": 0.35,
    "ltm_max_retrieved_summaries": 5,
    "error_message": "*the night flickers*",
    "birthday": "12-24",
    "aliases": ["lil", "Lily"],
    "voice_enabled": True,
    "voice_id": "voice-lilith",
    "voice_stability": 0.4,
    "keywords": ["night"],
}
BAPHOMET = {
    "id": "9b6f2a6e-0000-4000-8000-000000000002",
    "name": "Baphomet",
    "username": "baphomet",
    "jailbreak": "You are Baphomet.",
    "engine_model": "openai/gpt-4o-mini",
}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["personality", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def files(tmp_path):
    lilith = tmp_path / "lilith.json"
    lilith.write_text(json.dumps(LILITH))
    others = tmp_path / "others.json"
    others.write_text(json.dumps([BAPHOMET]))
    return lilith, others


def test_import_list_show_alias_delete(db_url, capsys, files):
    lilith, others = files

    assert run(capsys, "import", str(lilith), str(others)) == (
        0,
        f"created lilith (Lilith) from {lilith}\n"
        f"created baphomet (Baphomet) from {others}[0]\n"
        "imported 2 personalities: 2 created, 0 updated\n",
        "",
    )
    assert run(capsys, "import", str(lilith)) == (
        0,
        f"updated lilith (Lilith) from {lilith}\nimported 1 personality: 0 created, 1 updated\n",
        "",
    )

    assert run(capsys, "list") == (
        0,
        "SLUG      NAME      MODEL                        ALIASES\n"
        "baphomet  Baphomet  openai/gpt-4o-mini           -\n"
        "lilith    Lilith    anthropic/claude-3.5-sonnet  lil, Lily\n",
        "",
    )

    code, out, err = run(capsys, "show", "LIL")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "Lilith (lilith)"
    assert lines[1].startswith("  id: ") and len(lines[1]) == len("  id: ") + 36
    assert lines[2:] == [
        "  display name: Lilith",
        "  aliases: lil, Lily",
        "  avatar: https://files.shapes.inc/lilith.png",
        "  birthday: 12-24",
        "  error message: *the night flickers*",
        '  system prompt: "lilith", 35 characters',
        "  character info: First of her kind.",
        "  traits: Proud, sly",
        '  llm: openrouter anthropic/claude-3.5-sonnet (config "lilith")',
        "    temperature: 0.90",
        "    top_p: 0.950",
        "    memory threshold: 0.350",
        "    memory limit: 5",
        "    conversation history: 25",
        "    referenced messages: 10",
        "    advanced: minP=0.05, topK=40",
        "  voice: on, voice-lilith (eleven_flash_v2_5), stability 0.40, similarity 0.75, "
        "style 0.00, frequency 0.00",
        "  image: none",
        "  long-term memory: on, similarity >= 0.35, up to 5 recalled",
        "  custom fields: keywords, shapes_id",
    ]

    assert run(capsys, "alias", "add", "lilith", "Queenie") == (
        0,
        'added alias "Queenie" to Lilith (lilith)\n',
        "",
    )
    assert run(capsys, "alias", "add", "baphomet", "queenie") == (
        1,
        "",
        'tzurot: error: alias "queenie" already exists on personality "Lilith"\n',
    )
    assert run(capsys, "alias", "add", "baphomet", "LILITH") == (
        1,
        "",
        'tzurot: error: alias "LILITH" is the name or slug of personality "Lilith"\n',
    )
    assert run(capsys, "alias", "remove", "QUEENIE") == (
        0,
        'removed alias "QUEENIE" from Lilith (lilith)\n',
        "",
    )
    assert run(capsys, "alias", "remove", "queenie") == (
        1,
        "",
        'tzurot: error: no personality has the alias "queenie"\n',
    )

    assert run(capsys, "delete", "lily") == (0, "deleted Lilith (lilith)\n", "")
    assert run(capsys, "show", "lilith") == (
        1,
        "",
        'tzurot: error: no personality named "lilith"\n',
    )
    assert run(capsys, "delete", "bafomet") == (
        1,
        "",
        'tzurot: error: no personality named "bafomet" (did you mean "Baphomet"?)\n',
    )
    assert run(capsys, "list")[1].splitlines()[1:] == [
        "baphomet  Baphomet  openai/gpt-4o-mini  -",
    ]


def test_list_when_empty(db_url, capsys):
    assert run(capsys, "list") == (
        0,
        "no personalities (import some with `tzurot personality import PATH`)\n",
        "",
    )


def test_import_errors_are_one_line(db_url, capsys, tmp_path, files):
    lilith, _ = files
    missing = tmp_path / "missing.json"
    assert run(capsys, "import", str(lilith), str(missing)) == (
        1,
        "",
        f"tzurot: error: {missing}: file not found\n",
    )
    broken = tmp_path / "broken.json"
    broken.write_text('{"name": "Broken",\n "username": }')
    assert run(capsys, "import", str(broken)) == (
        1,
        "",
        f"tzurot: error: {broken}: not valid JSON (Expecting value at line 2, column 14)\n",
    )
    hot = tmp_path / "hot.json"
    hot.write_text(json.dumps(dict(LILITH, engine_temperature=7)))
    assert run(capsys, "import", str(hot)) == (
        1,
        "",
        f"tzurot: error: {hot}: engine_temperature: must be a number between 0 and 2\n",
    )
    assert run(capsys, "list")[1].startswith("no personalities")  # nothing was written


def test_unreachable_database_is_one_line_without_the_password(capsys, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://tzurot:s3cret-pw@127.0.0.1:1/tzurot")
    code, out, err = run(capsys, "list")
    assert (code, out) == (1, "")
    assert err.startswith("tzurot: error: database unreachable: ")
    assert err.count("\n") == 1 and "s3cret-pw" not in err


def test_unmigrated_database_says_to_migrate(empty_db_url, capsys):
    assert run(capsys, "show", "anyone") == (
        1,
        "",
        "tzurot: error: the database schema is not up to date: run `tzurot db migrate`\n",
    )


def test_usage_errors_are_one_line(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["personality", "alias"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("tzurot personality alias: error: the following arguments are required")
