"""shapes.inc import against a real PostgreSQL: every field lands where DATA.md says, a re-import
updates, and a bad run (any failure kind) names the file and field and writes nothing."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.data.shapes import generator
from tzurot.personalities import repository
from tzurot.personalities.errors import ExportInvalid, ImportConflict, ImportFailed
from tzurot.personalities.importer import import_files

CHARACTER = {
    "user_prompt": "character_info",
    "personality_traits": "personality_traits",
    "personality_tone": "personality_tone",
    "personality_age": "personality_age",
    "personality_appearance": "personality_appearance",
    "personality_likes": "personality_likes",
    "personality_dislikes": "personality_dislikes",
    "personality_conversational_goals": "conversational_goals",
    "personality_conversational_examples": "conversational_examples",
    "error_message": "error_message",
}
ADVANCED = {
    "engine_top_k": "topK",
    "engine_frequency_penalty": "frequencyPenalty",
    "engine_presence_penalty": "presencePenalty",
    "engine_repetition_penalty": "repetitionPenalty",
    "engine_min_p": "minP",
    "engine_top_a": "topA",
}
KNOWN = {
    "id", "name", "username", "avatar", "jailbreak", "engine_model", "engine_temperature",
    "engine_top_p", "stm_window", "ltm_enabled", "ltm_threshold", "ltm_max_retrieved_summaries",
    "birthday", "aliases", "personality_history", *CHARACTER, *ADVANCED,
    "voice_enabled", "voice_id", "voice_model", "voice_stability", "voice_similarity",
    "voice_style", "voice_frequency",
}  # fmt: skip
TABLES = (
    "personalities",
    "personality_aliases",
    "system_prompts",
    "llm_configs",
    "personality_default_configs",
    "voice_configs",
)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def expected(item: dict[str, Any]) -> dict[str, Any]:
    """Where DATA.md says each field of one export lands, written out independently."""
    birthday = item.get("birthday")
    full = birthday if birthday and len(birthday) == 10 else None
    month_day = birthday[-5:] if birthday else None
    custom = {k: v for k, v in item.items() if k not in KNOWN}
    custom["shapes_id"] = item["id"]
    for key in ("personality_history",):
        if item.get(key) not in (None, ""):
            custom[key] = item[key]
    voice_keys = [k for k in item if k.startswith("voice_") and k != "voice_transcription_enabled"]
    voice = None
    if voice_keys:
        voice = {
            "enabled": item.get("voice_enabled", False),
            "voice_id": item.get("voice_id"),
            "voice_model": item.get("voice_model", "eleven_flash_v2_5"),
            "stability": _dec(item.get("voice_stability", 0.5)),
            "similarity": _dec(item.get("voice_similarity", 0.75)),
            "style": _dec(item.get("voice_style", 0)),
            "frequency": _dec(item.get("voice_frequency", 0)),
        }
    return {
        "personality": {
            "name": item["name"],
            "display_name": item["name"],
            "slug": item["username"],
            "avatar_url": _text(item.get("avatar")),
            "birthday": date.fromisoformat(full) if full else None,
            "birthday_month": int(month_day[:2]) if month_day else None,
            "birthday_day": int(month_day[3:]) if month_day else None,
            "custom_fields": custom,
            "ltm_enabled": item.get("ltm_enabled"),
            "ltm_threshold": _dec(item.get("ltm_threshold")),
            "ltm_max_retrieved_summaries": item.get("ltm_max_retrieved_summaries"),
            **{column: _text(item.get(field)) for field, column in CHARACTER.items()},
        },
        "prompt": {"name": item["username"], "content": item["jailbreak"]},
        "llm": {
            "name": item["username"],
            "provider": "openrouter",
            "model": item["engine_model"],
            "temperature": _dec(item.get("engine_temperature")),
            "top_p": _dec(item.get("engine_top_p")),
            "memory_score_threshold": _dec(item.get("ltm_threshold")),
            "memory_limit": item.get("ltm_max_retrieved_summaries"),
            "max_conversation_history": item.get("stm_window") or 50,
            "max_referenced_messages": 10,
            "advanced_parameters": {
                key: item[field] for field, key in ADVANCED.items() if item.get(field) is not None
            },
        },
        "voice": voice,
        "aliases": list(item.get("aliases") or []),
    }


def stored(conn: psycopg.Connection, slug: str) -> dict[str, Any]:
    """The same shape, read back with plain SQL (not through the code under test)."""
    cur = conn.cursor(row_factory=dict_row)
    p = cur.execute("SELECT * FROM personalities WHERE slug = %s", (slug,)).fetchone()
    prompt = cur.execute(
        "SELECT name, content FROM system_prompts WHERE id = %s", (p["system_prompt_id"],)
    ).fetchone()
    llm = cur.execute(
        """SELECT c.name, c.provider, c.model, c.temperature, c.top_p, c.memory_score_threshold,
                  c.memory_limit, c.max_conversation_history, c.max_referenced_messages,
                  c.advanced_parameters
           FROM personality_default_configs d JOIN llm_configs c ON c.id = d.llm_config_id
           WHERE d.personality_id = %s""",
        (p["id"],),
    ).fetchone()
    voice = cur.execute(
        """SELECT enabled, voice_id, voice_model, stability, similarity, style, frequency
           FROM voice_configs WHERE personality_id = %s""",
        (p["id"],),
    ).fetchone()
    aliases = [
        r["alias"]
        for r in cur.execute(
            "SELECT alias FROM personality_aliases WHERE personality_id = %s ORDER BY position",
            (p["id"],),
        )
    ]
    columns = [
        *("name", "display_name", "slug", "avatar_url", "custom_fields"),
        *("birthday", "birthday_month", "birthday_day"),
        *("ltm_enabled", "ltm_threshold", "ltm_max_retrieved_summaries"),
        *CHARACTER.values(),
    ]
    return {
        "personality": {c: p[c] for c in columns},
        "prompt": prompt,
        "llm": llm,
        "voice": voice,
        "aliases": aliases,
    }


def counts(conn: psycopg.Connection) -> dict[str, int]:
    return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def snapshot(conn: psycopg.Connection) -> dict[str, list]:
    """Every row of every table an import touches, as text, for before/after comparisons."""
    return {
        t: sorted(r[0] for r in conn.execute(f"SELECT to_jsonb(x)::text FROM {t} x"))
        for t in TABLES
    }


def test_66_exports_land_where_data_md_says(db, tmp_path):
    items = generator.exports(66)
    paths = generator.write(tmp_path, items)
    assert len(paths) == 51  # 50 single files and one array file of 16

    result = import_files(db, paths)

    assert (result.created, result.updated) == (66, 0)
    assert [p.slug for p in result.personalities] == [i["username"] for i in items]
    assert result.personalities[50].source == f"{tmp_path / 'batch.json'}[0]"
    assert counts(db) == {
        "personalities": 66,
        "personality_aliases": sum(len(i.get("aliases") or []) for i in items),
        "system_prompts": 66,
        "llm_configs": 66,
        "personality_default_configs": 66,
        "voice_configs": sum(1 for i in items if "voice_id" in i),
    }
    for item in items:
        assert stored(db, item["username"]) == expected(item), item["username"]


def test_the_model_carries_what_was_imported(db, tmp_path):
    item = generator.export(12)  # full birthday, voice, no aliases
    item.update(aliases=["Twelve", "dozen"], engine_temperature=0.85, stm_window=30)
    import_files(db, generator.write(tmp_path, [item]))

    p = repository.resolve(db, "DOZEN")

    assert (p.name, p.slug, p.display_name) == ("Shape 012", "shape-012", "Shape 012")
    assert p.avatar_url == "https://files.shapes.inc/api/avatars/shape-012.png"
    assert p.system_prompt == item["jailbreak"] and p.system_prompt_name == "shape-012"
    assert str(p.birthday) == item["birthday"] and p.birthday.date.isoformat() == item["birthday"]
    assert p.aliases == ("Twelve", "dozen")
    assert p.llm.provider == "openrouter" and p.llm.model == item["engine_model"]
    assert (p.llm.temperature, p.llm.max_conversation_history) == (Decimal("0.85"), 30)
    assert p.voice.voice_id == "voice012" and p.voice.model == "eleven_multilingual_v2"
    assert p.voice.stability == Decimal(str(item["voice_stability"]))
    assert p.image is None
    assert p.custom_fields["shapes_id"] == item["id"]
    assert p.custom_fields["shape_settings"] == item["shape_settings"]


def test_yearless_birthday_keeps_month_and_day(db, tmp_path):
    item = generator.export(2)
    assert item["birthday"] == "02-29"
    import_files(db, generator.write(tmp_path, [item]))
    row = db.execute(
        "SELECT birthday, birthday_month, birthday_day FROM personalities WHERE slug = 'shape-002'"
    ).fetchone()
    assert row == (None, 2, 29)
    assert str(repository.resolve(db, "shape-002").birthday) == "02-29"


def test_reimport_updates_instead_of_duplicating(db, tmp_path):
    first = generator.exports(66)
    import_files(db, generator.write(tmp_path / "v1", first))
    before_ids = dict(db.execute("SELECT slug, id FROM personalities").fetchall())
    config_ids = dict(
        db.execute(
            "SELECT p.slug, d.llm_config_id FROM personality_default_configs d "
            "JOIN personalities p ON p.id = d.personality_id"
        ).fetchall()
    )
    # An operator's own advanced parameter survives a re-import; the import's keys are replaced.
    db.execute(
        "UPDATE llm_configs SET advanced_parameters = advanced_parameters || "
        """'{"reasoningEffort": "high", "topK": 999}' WHERE name = 'shape-001'"""
    )

    second = generator.exports(66, seed=2)  # every text and number differs
    assert len(first[2]["aliases"]) == 2
    second[2]["aliases"] = ["fresh-alias"]  # aliases replaced by the file's list
    second[1]["name"] = "Renamed One"
    second[3].pop("aliases")  # no aliases in the file: none left
    for key in [k for k in second[6] if k.startswith("voice_") and "transcription" not in k]:
        second[6].pop(key)  # no voice fields: the voice config goes
    assert not any(k.startswith("voice_id") for k in first[8])
    second[8].update(voice_id="newvoice", voice_stability=0.9)  # voice config created
    result = import_files(db, generator.write(tmp_path / "v2", second))

    assert (result.created, result.updated) == (0, 66)
    assert dict(db.execute("SELECT slug, id FROM personalities").fetchall()) == before_ids
    after_configs = dict(
        db.execute(
            "SELECT p.slug, d.llm_config_id FROM personality_default_configs d "
            "JOIN personalities p ON p.id = d.personality_id"
        ).fetchall()
    )
    assert after_configs == config_ids  # private configs are updated in place
    assert counts(db)["llm_configs"] == 66 and counts(db)["system_prompts"] == 66
    for item in second:
        want = expected(item)
        if item["username"] == "shape-001":
            want["llm"]["advanced_parameters"]["reasoningEffort"] = "high"
        assert stored(db, item["username"]) == want, item["username"]


def test_reimport_never_changes_a_shared_llm_config(db, tmp_path):
    items = generator.exports(2)
    import_files(db, generator.write(tmp_path / "v1", items))
    shared = db.execute(
        "SELECT llm_config_id FROM personality_default_configs d JOIN personalities p "
        "ON p.id = d.personality_id WHERE p.slug = 'shape-000'"
    ).fetchone()[0]
    db.execute(
        "UPDATE personality_default_configs SET llm_config_id = %s WHERE personality_id = "
        "(SELECT id FROM personalities WHERE slug = 'shape-001')",
        (shared,),
    )
    before = db.execute("SELECT to_jsonb(c) FROM llm_configs c WHERE id = %s", (shared,)).fetchone()

    changed = dict(items[0], engine_model="openai/gpt-4o", engine_temperature=1.5)
    import_files(db, generator.write(tmp_path / "v2", [changed]))

    after = db.execute("SELECT to_jsonb(c) FROM llm_configs c WHERE id = %s", (shared,)).fetchone()
    assert after == before
    p0 = repository.resolve(db, "shape-000")
    assert p0.llm.id != shared and p0.llm.model == "openai/gpt-4o"
    assert p0.llm.temperature == Decimal("1.50")
    assert repository.resolve(db, "shape-001").llm.id == shared


def _write_json(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


def _bad(item: dict, **changes: Any) -> dict:
    bad = dict(item, **changes)
    return {k: v for k, v in bad.items() if v is not _DROP}


_DROP = object()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"name": "X", ', "not valid JSON (Expecting property name enclosed in double quotes "
         "at line 1, column 15)"),
        ("42", "must be a JSON object (a shapes.inc personality)"),
        ("[]", "the array holds no personalities"),
        (b"\xff\xfe{}", "not UTF-8 text"),
    ],
)  # fmt: skip
def test_unreadable_files_fail_naming_the_file(db, tmp_path, content, message):
    good = generator.write(tmp_path, generator.exports(3))
    bad = tmp_path / "zz-bad.json"
    bad.write_bytes(content if isinstance(content, bytes) else content.encode())

    with pytest.raises(ExportInvalid) as caught:
        import_files(db, [*good, bad])

    assert str(caught.value) == f"{bad}: {message}"
    assert counts(db) == dict.fromkeys(TABLES, 0)


@pytest.mark.parametrize(
    ("changes", "field", "problem"),
    [
        ({"username": _DROP}, "username", "is required"),
        ({"engine_model": _DROP}, "engine_model", "is required"),
        ({"jailbreak": None}, "jailbreak", "is required"),
        ({"name": ""}, "name", "must not be empty"),
        ({"engine_temperature": 2.5}, "engine_temperature", "must be a number between 0 and 2"),
        ({"engine_temperature": "hot"}, "engine_temperature", "must be a number between 0 and 2"),
        ({"engine_top_p": True}, "engine_top_p", "must be a number between 0 and 1"),
        ({"engine_top_k": 4.5}, "engine_top_k", "must be a whole number between 0 and 2147483647"),
        ({"engine_frequency_penalty": -3}, "engine_frequency_penalty",
         "must be a number between -2 and 2"),
        ({"engine_repetition_penalty": 0}, "engine_repetition_penalty",
         "must be a number above 0 and at most 2"),
        ({"stm_window": 501}, "stm_window", "must be a whole number between 0 and 500"),
        ({"ltm_enabled": "yes"}, "ltm_enabled", "must be true or false"),
        ({"ltm_threshold": 1.5}, "ltm_threshold", "must be a number between 0 and 1"),
        ({"birthday": "1990-02-30"}, "birthday",
         'must be a date as YYYY-MM-DD or MM-DD, got "1990-02-30"'),
        ({"birthday": "24/12"}, "birthday", 'must be a date as YYYY-MM-DD or MM-DD, got "24/12"'),
        ({"birthday": 1224}, "birthday", "must be a date as YYYY-MM-DD or MM-DD, got 1224"),
        ({"aliases": "lil"}, "aliases", "must be an array of strings"),
        ({"aliases": ["ok", ""]}, "aliases",
         "item 1 must be a non-empty string of at most 50 characters"),
        ({"aliases": ["x" * 51]}, "aliases",
         "item 0 must be a non-empty string of at most 50 characters"),
        ({"aliases": ["Lil", "lil"]}, "aliases", 'lists "lil" more than once'),
        ({"avatar": "not a url"}, "avatar", "must be an http(s) URL"),
        ({"username": "has space"}, "username",
         "must be a slug without spaces, at most 80 characters"),
        ({"voice_stability": 1.2}, "voice_stability", "must be a number between 0 and 1"),
        ({"voice_enabled": True, "voice_id": None}, "voice_id",
         "is required when voice_enabled is true"),
        ({"voice_model": 7}, "voice_model", "must be a string of at most 50 characters"),
    ],
)  # fmt: skip
def test_invalid_fields_fail_naming_file_and_field_and_write_nothing(
    db, tmp_path, changes, field, problem
):
    import_files(db, generator.write(tmp_path / "before", generator.exports(2)))
    before = snapshot(db)
    items = generator.exports(4, seed=3)
    items[3] = _bad(items[3], **changes)
    paths = generator.write(tmp_path / "run", items)

    with pytest.raises(ExportInvalid) as caught:
        import_files(db, paths)

    assert str(caught.value) == f"{paths[3]}: {field}: {problem}"
    assert (caught.value.source, caught.value.field) == (str(paths[3]), field)
    assert snapshot(db) == before


def test_a_bad_entry_of_an_array_file_is_named_by_index(db, tmp_path):
    items = generator.exports(5)
    items[4] = _bad(items[4], engine_temperature=-1)
    paths = generator.write(tmp_path, items, array_from=2)

    with pytest.raises(ExportInvalid) as caught:
        import_files(db, paths)

    assert str(caught.value) == (
        f"{tmp_path / 'batch.json'}[2]: engine_temperature: must be a number between 0 and 2"
    )
    assert counts(db) == dict.fromkeys(TABLES, 0)


def test_missing_file_and_empty_folder(db, tmp_path):
    with pytest.raises(ExportInvalid) as caught:
        import_files(db, [tmp_path / "nope.json"])
    assert str(caught.value) == f"{tmp_path / 'nope.json'}: file not found"
    (tmp_path / "empty").mkdir()
    with pytest.raises(ExportInvalid) as caught:
        import_files(db, [tmp_path / "empty"])
    assert str(caught.value) == f"{tmp_path / 'empty'}: folder holds no .json files"


def test_a_folder_imports_its_json_files(db, tmp_path):
    generator.write(tmp_path, generator.exports(4), array_from=3)
    (tmp_path / "notes.txt").write_text("not an export")
    result = import_files(db, [tmp_path])
    # sorted by file name: batch.json (holding shape-003) comes first
    assert [p.slug for p in result.personalities] == [f"shape-00{i}" for i in (3, 0, 1, 2)]
    assert result.personalities[0].source == f"{tmp_path / 'batch.json'}[0]"


def test_conflicts_fail_naming_file_and_field_and_write_nothing(db, tmp_path):
    import_files(db, generator.write(tmp_path / "base", generator.exports(2)))
    repository.add_alias(db, "shape-000", "Queenie")
    before = snapshot(db)
    items = generator.exports(5, seed=4)[2:]  # shape-002..004, new
    cases = [
        # the same slug twice in one run
        (
            [items[0], dict(items[1], username="SHAPE-002")],
            1,
            "username",
            '"SHAPE-002" is also imported by {p0}',
        ),
        # an alias twice in one run
        (
            [dict(items[0], aliases=["twin"]), dict(items[1], aliases=["Twin"])],
            1,
            "aliases",
            'alias "Twin" already exists on personality "Shape 002" (from {p0})',
        ),
        # an alias another personality already has
        (
            [dict(items[0], aliases=["queenie"])],
            0,
            "aliases",
            'alias "queenie" already exists on personality "Shape 000"',
        ),
        # an alias equal to another personality's slug or name
        (
            [dict(items[0], aliases=["shape-001"])],
            0,
            "aliases",
            'alias "shape-001" is the name or slug of personality "Shape 001"',
        ),
        (
            [dict(items[0], aliases=["SHAPE-003"]), items[1]],
            0,
            "aliases",
            'alias "SHAPE-003" is the name or slug of personality "Shape 003" (from {p1})',
        ),
        # the same clash seen from the other side: the first file's name is the second's alias
        (
            [items[0], dict(items[1], aliases=["SHAPE 002"])],
            0,
            "name",
            '"Shape 002" is already an alias of personality "Shape 003" (from {p1})',
        ),
        # a name or slug that is another personality's alias
        (
            [dict(items[0], name="QUEENIE")],
            0,
            "name",
            '"QUEENIE" is already an alias of personality "Shape 000"',
        ),
        (
            [dict(items[0], username="queenie")],
            0,
            "username",
            '"queenie" is already an alias of personality "Shape 000"',
        ),
    ]
    for number, (run, bad_index, field, problem) in enumerate(cases):
        paths = [
            _write_json(tmp_path / f"case{number}-{i}.json", item) for i, item in enumerate(run)
        ]
        with pytest.raises(ImportFailed) as caught:
            import_files(db, paths)
        named = {f"p{i}": path for i, path in enumerate(paths)}
        want = f"{paths[bad_index]}: {field}: {problem.format(**named)}"
        # A clash between two files of the run is reported from both sides.
        reported = getattr(caught.value, "problems", [caught.value])
        assert all(isinstance(p, ImportConflict) for p in reported)
        assert want in [str(p) for p in reported]
        assert snapshot(db) == before


def test_aliases_may_move_between_personalities_in_one_run(db, tmp_path):
    items = generator.exports(2)
    items[0]["aliases"] = ["wanderer"]
    items[1].pop("aliases", None)
    import_files(db, generator.write(tmp_path / "v1", items))

    items[0]["aliases"] = []
    items[1]["aliases"] = ["wanderer"]
    import_files(db, generator.write(tmp_path / "v2", items))

    assert repository.resolve(db, "wanderer").slug == "shape-001"
    assert repository.resolve(db, "shape-000").aliases == ()


def test_a_database_failure_midway_rolls_back_the_whole_run(db, tmp_path):
    import_files(db, generator.write(tmp_path / "before", generator.exports(3)))
    before = snapshot(db)
    # A rule only the database knows about, tripped by the 41st personality of the run.
    db.execute(
        """CREATE FUNCTION reject_shape_040() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN
               IF NEW.slug = 'shape-040' THEN
                   RAISE EXCEPTION 'no shape-040 here' USING ERRCODE = 'check_violation';
               END IF;
               RETURN NEW;
           END $$;
           CREATE TRIGGER reject_shape_040 BEFORE INSERT ON personalities
           FOR EACH ROW EXECUTE FUNCTION reject_shape_040();"""
    )
    paths = generator.write(tmp_path / "run", generator.exports(66, seed=5))

    with pytest.raises(ImportConflict) as caught:
        import_files(db, paths)

    assert str(caught.value) == f"{paths[40]}: rejected by the database: no shape-040 here"
    assert snapshot(db) == before


def test_migration_0004_adds_and_removes_avatar_url(empty_db_url):
    from tzurot.db.migrations import Migrator

    def has_column(conn: psycopg.Connection) -> bool:
        return bool(
            conn.execute(
                "SELECT 1 FROM information_schema.columns "
                "WHERE table_name = 'personalities' AND column_name = 'avatar_url'"
            ).fetchone()
        )

    with psycopg.connect(empty_db_url) as conn:
        migrator = Migrator(conn)
        migrator.migrate(target=4)
        assert has_column(conn)
        with pytest.raises(psycopg.errors.CheckViolation), conn.transaction():
            conn.execute(
                "INSERT INTO personalities (name, slug, avatar_url) VALUES ('a', 'a', 'ftp://x')"
            )
        migrator.rollback(to=3)
        assert not has_column(conn)
        migrator.migrate(target=4)
        assert has_column(conn)


def test_every_problem_of_every_file_is_reported_and_nothing_written(db, tmp_path):
    items = generator.exports(4)
    import_files(db, [_write_json(tmp_path / "ok.json", items[0])])
    before = snapshot(db)

    bad_types = _write_json(
        tmp_path / "a.json",
        dict(items[1], engine_temperature=7, stm_window="ten", avatar="ftp://x"),
    )
    not_json = tmp_path / "b.json"
    not_json.write_text("{", encoding="utf-8")
    array = _write_json(
        tmp_path / "c.json",
        [items[2], {"name": "No slug", "jailbreak": "x", "engine_model": "m"}],
    )
    clash = _write_json(tmp_path / "d.json", dict(items[3], aliases=[items[0]["username"]]))
    missing = tmp_path / "e.json"

    with pytest.raises(ImportFailed) as caught:
        import_files(db, [bad_types, not_json, array, clash, missing])
    lines = str(caught.value).splitlines()
    assert lines[0] == "7 problems, nothing imported:"
    assert lines[1:] == [
        f"{bad_types}: avatar: must be an http(s) URL",
        f"{bad_types}: engine_temperature: must be a number between 0 and 2",
        f"{bad_types}: stm_window: must be a whole number between 0 and 500",
        f"{not_json}: not valid JSON (Expecting property name enclosed in double quotes at "
        "line 1, column 2)",
        f"{array}[1]: username: is required",
        f"{missing}: file not found",
        f'{clash}: aliases: alias "{items[0]["username"]}" is the name or slug of personality '
        f'"{items[0]["name"]}"',
    ]
    assert snapshot(db) == before
