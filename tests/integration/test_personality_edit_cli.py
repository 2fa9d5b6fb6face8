"""`tzurot personality edit|image|export` end to end through `tzurot.cli.main.main` against a
real database: edit -> show, all-or-nothing refusals naming each field, image configs, and
export -> import into an empty database -> identical rows (with the sample exports)."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from tzurot.cli.main import main
from tzurot.db import connection

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "personalities"
NYX = EXAMPLES / "nyx.json"
# What the importer and editor write, minus ids and timestamps: compared across databases.
ROWS = {
    "personalities": """SELECT to_jsonb(p) - 'id' - 'created_at' - 'updated_at'
                               - 'system_prompt_id' FROM personalities p""",
    "system_prompts": """SELECT to_jsonb(s) - 'id' - 'created_at' - 'updated_at'
                                FROM system_prompts s""",
    "llm_configs": "SELECT to_jsonb(c) - 'id' - 'created_at' - 'updated_at' FROM llm_configs c",
    "links": """SELECT jsonb_build_object('personality', p.slug, 'config', c.name)
                FROM personality_default_configs d JOIN personalities p ON p.id = d.personality_id
                JOIN llm_configs c ON c.id = d.llm_config_id""",
    "aliases": """SELECT jsonb_build_object('alias', a.alias, 'of', p.slug, 'at', a.position)
                  FROM personality_aliases a JOIN personalities p ON p.id = a.personality_id""",
    "voice": """SELECT to_jsonb(v) - 'id' - 'created_at' - 'updated_at' - 'personality_id'
                       || jsonb_build_object('of', p.slug)
                FROM voice_configs v JOIN personalities p ON p.id = v.personality_id""",
    "image": """SELECT to_jsonb(i) - 'id' - 'created_at' - 'updated_at' - 'personality_id'
                       || jsonb_build_object('of', p.slug)
                FROM image_configs i JOIN personalities p ON p.id = i.personality_id""",
}


def rows(url: str) -> dict[str, list[str]]:
    with psycopg.connect(url) as conn:
        return {
            name: sorted(json.dumps(r[0], sort_keys=True) for r in conn.execute(query))
            for name, query in ROWS.items()
        }


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["personality", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def samples() -> list[Path]:
    """Both sample exports (lilith.json comes with the offline demo, when present)."""
    return sorted(EXAMPLES.glob("*.json"))


def test_the_sample_exports_import_and_are_realistic(db_url, capsys):
    found = samples()
    assert NYX in found
    code, out, err = run(capsys, "import", *map(str, found))
    assert (code, err) == (0, "")
    noun = "personality" if len(found) == 1 else "personalities"
    assert out.endswith(f"imported {len(found)} {noun}: {len(found)} created, 0 updated\n")
    for path in found:
        data = json.loads(path.read_text(encoding="utf-8"))
        # realistic: every character field and the LLM, memory and voice settings are filled in
        for field in ("jailbreak", "user_prompt", "personality_traits", "engine_model",
                      "birthday", "aliases", "error_message"):  # fmt: skip
            assert data.get(field), (path.name, field)
        code, out, _ = run(capsys, "show", data["username"])
        assert code == 0 and out.startswith(f"{data['name']} ({data['username']})\n")


def test_edit_then_show(db_url, capsys):
    assert run(capsys, "import", str(NYX))[0] == 0
    code, out, err = run(
        capsys, "edit", "nox",
        "--display-name", "Nyx of the Night",
        "--likes", "",
        "--history", "Older than Chaos, some say.",
        "--birthday", "1990-12-21",
        "--error-message", "*silence*",
        "--provider", "anthropic",
        "--model", "claude-sonnet-4-5",
        "--temperature", "0.7",
        "--max-tokens", "2000",
        "--advanced", '{"thinking": {"type": "enabled", "budgetTokens": 1024}}',
        "--max-referenced-messages", "3",
        "--max-conversation-history", "40",
        "--memory-threshold", "0.5",
        "--system-prompt", "You are Nyx. Speak softly.",
    )  # fmt: skip
    assert (code, err) == (0, "")
    assert run(capsys, "show", "nyx-night")[1] == out
    lines = out.splitlines()
    assert lines[0] == "Nyx (nyx-night)"
    assert "  display name: Nyx of the Night" in lines
    assert "  birthday: 1990-12-21" in lines
    assert "  error message: *silence*" in lines
    assert "  history: Older than Chaos, some say." in lines
    assert not any(line.startswith("  likes:") for line in lines)
    assert '  system prompt: "nyx-night", 26 characters' in lines
    assert '  llm: anthropic claude-sonnet-4-5 (config "nyx-night")' in lines
    assert "    temperature: 0.70" in lines
    assert "    max tokens: 2000" in lines
    assert "    referenced messages: 3" in lines
    assert "    conversation history: 40" in lines
    # switching provider dropped OpenRouter's parameters; Anthropic's are stored camelCase
    assert "    advanced: thinking={'type': 'enabled', 'budgetTokens': 1024}" in lines
    with psycopg.connect(db_url) as conn:
        assert conn.execute(
            "SELECT personality_likes, birthday::text, birthday_month, birthday_day, "
            "custom_fields ->> 'personality_history' FROM personalities"
        ).fetchone() == (None, "1990-12-21", 12, 21, "Older than Chaos, some say.")


def test_every_bad_value_is_one_line_and_nothing_changes(db_url, capsys):
    assert run(capsys, "import", str(NYX))[0] == 0
    before = rows(db_url)
    code, out, err = run(
        capsys, "edit", "nyx",
        "--name", " ",
        "--temperature", "2.5",
        "--birthday", "02-30",
        "--avatar", "ftp://example.com/a.png",
        "--max-referenced-messages", "101",
        "--advanced", '{"topK": "many"}',
    )  # fmt: skip
    assert (code, out) == (1, "")
    assert err == (
        "tzurot: error: name: must not be empty\n"
        "avatar: must be an http(s) URL\n"
        "birthday: must be YYYY-MM-DD or MM-DD (a real calendar day)\n"
        "temperature: must be a number between 0 and 2\n"
        "max-referenced-messages: must be a whole number between 0 and 100\n"
        "advanced.topK: must be a whole number\n"
    )
    # per provider, as /config checks: Anthropic's temperature stops at 1
    code, _, err = run(capsys, "edit", "nyx", "--provider", "anthropic", "--model", "claude-x",
                       "--temperature", "1.5")  # fmt: skip
    assert (code, err) == (1, "tzurot: error: temperature: must be at most 1\n")
    code, _, err = run(capsys, "edit", "nyx", "--visibility", "private")
    assert err == "tzurot: error: visibility: only a user's own character can be private\n"
    code, _, err = run(capsys, "edit", "nyx")
    assert (code, err) == (1, "tzurot: error: nothing to change: give at least one --field value\n")
    assert rows(db_url) == before


def test_slug_clash_is_one_line(db_url, capsys, tmp_path):
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"name": "Other", "username": "other", "jailbreak": "x",
                                 "engine_model": "openai/gpt-4o-mini"}))  # fmt: skip
    assert run(capsys, "import", str(NYX), str(other))[0] == 0
    code, _, err = run(capsys, "edit", "other", "--slug", "nyx-night")
    assert (code, err) == (1, "tzurot: error: slug: another personality already has this slug\n")


def test_image_set_show_disable(db_url, capsys):
    assert run(capsys, "import", str(NYX))[0] == 0
    assert run(capsys, "image", "show", "nyx") == (0, "nyx-night: no image config\n", "")
    code, _, err = run(capsys, "image", "set", "nyx", "--provider", "openai")
    assert (code, err) == (
        1,
        "tzurot: error: model: is required (the personality has no image config yet)\n",
    )
    bad = ("--size", "10x10", "--advanced", '{"quality": "ultra"}')
    code, _, err = run(capsys, "image", "set", "nyx", "--provider", "openai", "--model",
                       "dall-e-3", *bad)  # fmt: skip
    assert code == 1
    assert err.splitlines()[1:] == ["size: must be WIDTHxHEIGHT in pixels, e.g. 1024x1024"]
    assert err.startswith("tzurot: error: advanced.quality: must be one of ")
    want = (
        "nyx-night: images on\n  provider: openai\n  model: dall-e-3\n"
        '  default size: 1792x1024\n  advanced: quality="hd", style="vivid"\n'
    )
    assert run(capsys, "image", "set", "nyx", "--provider", "openai", "--model", "dall-e-3",
               "--size", "1792x1024",
               "--advanced", '{"quality": "hd", "style": "vivid"}') == (0, want, "")  # fmt: skip
    assert run(capsys, "image", "show", "nox") == (0, want, "")
    assert run(capsys, "image", "disable", "nyx")[1] == want.replace("images on", "images off")
    assert "  image: off, openai dall-e-3, 1792x1024" in run(capsys, "show", "nyx")[1]


def test_export_then_import_into_an_empty_database_gives_the_same_rows(
    db_url, capsys, tmp_path, db_factory, migrated_template, monkeypatch
):
    assert run(capsys, "import", *map(str, samples()))[0] == 0
    # values the shapes.inc fields cannot carry, so the export's `tzurot` object must
    assert run(capsys, "edit", "nyx", "--display-name", "Nyx of the Night", "--max-tokens",
               "900", "--vision-model", "openai/gpt-4o", "--max-referenced-messages", "4",
               "--advanced", '{"topK": 40, "seed": 7}')[0] == 0  # fmt: skip
    assert run(capsys, "image", "set", "nyx", "--provider", "google", "--model", "imagen-3",
               "--advanced", '{"aspectRatio": "16:9"}')[0] == 0  # fmt: skip
    one = tmp_path / "nyx-export.json"
    assert run(capsys, "export", "nyx", "-o", str(one)) == (
        0,
        f"exported 1 personality to {one}\n",
        "",
    )
    code, everything, err = run(capsys, "export", "--all")
    assert (code, err) == (0, "")
    exported = json.loads(everything)
    assert sorted(p["username"] for p in exported) == sorted(
        json.loads(p.read_text())["username"] for p in samples()
    )
    assert json.loads(one.read_text()) == next(p for p in exported if p["username"] == "nyx-night")
    nyx = json.loads(one.read_text())
    assert nyx["tzurot"] == {
        "provider": "openrouter",
        "display_name": "Nyx of the Night",
        "vision_model": "openai/gpt-4o",
        "max_tokens": 900,
        "max_referenced_messages": 4,
        "context_window_tokens": 131072,
        "advanced_parameters": {"seed": 7},
        "image": {
            "provider": "google",
            "model": "imagen-3",
            "enabled": True,
            "default_size": "1024x1024",
            "advanced_parameters": {"aspectRatio": "16:9"},
        },
    }
    assert nyx["engine_top_k"] == 40 and nyx["keywords"] == ["night", "sleep", "myth"]
    assert nyx["id"] == "4b1c9d3e-7a52-4f0e-9c61-2d8e5f7a9b10" and nyx["ltm_enabled"] is True

    all_file = tmp_path / "all.json"
    all_file.write_text(everything, encoding="utf-8")
    empty = db_factory.create(template=migrated_template)
    monkeypatch.setenv("DATABASE_URL", empty)
    connection.reset_shared_connection()
    assert run(capsys, "import", str(all_file))[0] == 0
    assert rows(empty) == rows(db_url)
    assert rows(empty)["image"] != []


def test_export_of_an_unknown_name_is_one_line(db_url, capsys):
    code, out, err = run(capsys, "export", "nobody")
    assert (code, out, err) == (1, "", 'tzurot: error: no personality named "nobody"\n')


@pytest.fixture(autouse=True)
def _fresh_connection():
    connection.reset_shared_connection()
    yield
    connection.reset_shared_connection()
