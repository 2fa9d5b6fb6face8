"""Migration 0002 with data: the legacy dataset of tests/legacy_data.py migrated, checked value by
value against DATA.md, rolled back to an identical database, migrated again; the data that 0002
must refuse; the triggers it leaves behind; and 0003's usage_daily aggregate.

The dataset is loaded once per module into a template database; each test gets a copy.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import fields
from datetime import date
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from psycopg import errors, sql
from psycopg.conninfo import conninfo_to_dict
from psycopg.types.json import Jsonb

from tests.legacy_data import (
    ALL_SHAPES,
    PERSONALITY_COUNT,
    WIDE_LLM_COLUMNS,
    Json,
    LegacyDataset,
    PersonalityExpectation,
    VoiceExpectation,
    generate,
)
from tzurot.db.errors import MigrationError
from tzurot.db.migrations import Migrator

FAILED = "migration 0002_proposal_schema failed: "


# -- snapshot ------------------------------------------------------------------------------------


def snapshot(conn: psycopg.Connection) -> dict[str, Any]:
    """Every table of the public schema as rows and columns, plus its constraints, indexes,
    triggers and functions: two databases with equal snapshots hold the same data in the same
    shape. Column order does not matter; jsonb is compared as parsed JSON (a JSON null is
    `Json(None)`, SQL NULL is None)."""
    columns: dict[str, dict[str, tuple[str, bool, str | None]]] = {}
    for table, column, type_, not_null, default in conn.execute(
        """SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                  pg_get_expr(d.adbin, d.adrelid)
           FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
           JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
           LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
           WHERE n.nspname = 'public' AND c.relkind = 'r'"""
    ):
        columns.setdefault(table, {})[column] = (type_, not_null, default)
    keys = dict(
        conn.execute(
            """SELECT c.relname, array_agg(a.attname::text ORDER BY k.ord)
               FROM pg_index i
               JOIN pg_class c ON c.oid = i.indrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace
               CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
               WHERE i.indisprimary AND n.nspname = 'public'
               GROUP BY c.relname"""
        ).fetchall()
    )
    tables = {}
    for table, cols in columns.items():
        select = sql.SQL(", ").join(
            sql.SQL("{}::text AS {}").format(sql.Identifier(c), sql.Identifier(c))
            if type_ == "jsonb"
            else sql.Identifier(c)
            for c, (type_, _, _) in cols.items()
        )
        query = sql.SQL("SELECT {} FROM {} ORDER BY {}").format(
            select, sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, keys[table]))
        )
        with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
            rows = [
                {c: _parse_jsonb(v) if cols[c][0] == "jsonb" else v for c, v in row.items()}
                for row in cur.execute(query)
            ]
        tables[table] = {"columns": cols, "rows": rows}
    return {
        "tables": tables,
        "constraints": set(
            conn.execute(
                """SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
                   FROM pg_constraint WHERE connamespace = 'public'::regnamespace"""
            ).fetchall()
        ),
        "indexes": set(
            conn.execute(
                "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
            ).fetchall()
        ),
        "triggers": set(
            conn.execute(
                "SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE NOT tgisinternal"
            ).fetchall()
        ),
        "functions": set(
            conn.execute(
                "SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace"
            ).fetchall()
        ),
    }


def assert_same(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    """Snapshot equality, asserted piece by piece so that a failure shows a readable diff."""
    assert set(actual["tables"]) == set(expected["tables"])
    for table, dump in expected["tables"].items():
        assert actual["tables"][table]["columns"] == dump["columns"], table
        assert actual["tables"][table]["rows"] == dump["rows"], table
    for part in ("constraints", "indexes", "triggers", "functions"):
        assert actual[part] == expected[part], part


def _parse_jsonb(text: str | None) -> Json | None:
    return None if text is None else Json(json.loads(text, parse_float=Decimal))


def _rows_by_id(snap: dict[str, Any], table: str, key: str = "id") -> dict[Any, dict[str, Any]]:
    return {row[key]: row for row in snap["tables"][table]["rows"]}


# -- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dataset() -> LegacyDataset:
    return generate()


@pytest.fixture(scope="module")
def legacy_template(db_factory, dataset: LegacyDataset) -> str:
    """A database at 0001 holding the legacy dataset (a template: copies are cheap)."""
    url = db_factory.create()
    with psycopg.connect(url) as conn:
        Migrator(conn).migrate(target=1)
        dataset.load(conn)
        conn.commit()
    return conninfo_to_dict(url)["dbname"]


@pytest.fixture
def legacy_url(db_factory, legacy_template: str) -> str:
    return db_factory.create(template=legacy_template)


@pytest.fixture
def inspect(legacy_url: str):
    """An autocommit connection for reading and changing data beside the migrator's."""
    with psycopg.connect(legacy_url, autocommit=True) as conn:
        yield conn


@pytest.fixture
def migrator(legacy_url: str):
    with psycopg.connect(legacy_url) as conn:
        yield Migrator(conn)


def _applied(conn: psycopg.Connection) -> list[int]:
    return [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]


# -- the dataset itself --------------------------------------------------------------------------


def test_dataset_is_deterministic_and_covers_every_legacy_shape(dataset: LegacyDataset):
    assert generate() == dataset
    assert len(dataset.personalities) == len(dataset.rows["personalities"]) == PERSONALITY_COUNT
    covered = set().union(*(p.shapes for p in dataset.personalities))
    assert covered == ALL_SHAPES
    # every null/non-null combination of the four wide LLM columns
    combos = {
        tuple(c[col] is None for col in WIDE_LLM_COLUMNS) for c in dataset.rows["llm_configs"]
    }
    assert len(combos) == 16
    # configs are shared between personalities, and users have their own links
    linked = [d["llm_config_id"] for d in dataset.rows["personality_default_configs"]]
    assert max(linked.count(c) for c in set(linked)) >= 3
    assert len(dataset.rows["user_personality_configs"]) == 30
    all_aliases = [a.lower() for p in dataset.personalities for a in p.aliases]
    assert len(all_aliases) == len(set(all_aliases)) > 60


# -- migrate, compare, roll back, compare, migrate again -----------------------------------------


def assert_migrated(conn: psycopg.Connection, dataset: LegacyDataset, before: dict) -> None:
    """Every value of the legacy dataset is where DATA.md says, nothing else changed."""
    after = snapshot(conn)
    tables = after["tables"]

    for table in ("system_prompts", "personality_default_configs", "user_personality_configs"):
        assert tables[table]["rows"] == before["tables"][table]["rows"], table

    users = _rows_by_id(after, "users")
    for user_id, old in _rows_by_id(before, "users").items():
        assert _project(users[user_id], old) == old
        assert users[user_id]["timezone"] == "UTC"
    assert len(users) == len(dataset.rows["users"])

    personalities = _rows_by_id(after, "personalities")
    assert len(personalities) == PERSONALITY_COUNT
    legacy_personalities = _rows_by_id(before, "personalities")
    for p in dataset.personalities:
        row = personalities[p.id]
        assert "voice_enabled" not in row and "voice_settings" not in row
        unchanged = {
            k: v
            for k, v in legacy_personalities[p.id].items()
            if k not in ("custom_fields", "voice_enabled", "voice_settings")
        }
        assert _project(row, unchanged) == unchanged, p.name
        assert (
            row["custom_fields"],
            row["error_message"],
            row["birthday"],
            row["birthday_month"],
            row["birthday_day"],
        ) == (p.custom_fields, p.error_message, p.birthday, p.birthday_month, p.birthday_day), (
            p.name
        )

    aliases = {
        (r["personality_id"], r["position"], r["alias"])
        for r in tables["personality_aliases"]["rows"]
    }
    expected_aliases = {
        (p.id, position, alias)
        for p in dataset.personalities
        for position, alias in enumerate(p.aliases)
    }
    assert aliases == expected_aliases
    assert len(tables["personality_aliases"]["rows"]) == len(expected_aliases)

    voices = {
        r["personality_id"]: VoiceExpectation(
            **{f.name: r[f.name] for f in fields(VoiceExpectation)}
        )
        for r in tables["voice_configs"]["rows"]
    }
    assert voices == {p.id: p.voice for p in dataset.personalities if p.voice is not None}

    configs = _rows_by_id(after, "llm_configs")
    for config_id, old in _rows_by_id(before, "llm_configs").items():
        row = configs[config_id]
        kept = {k: v for k, v in old.items() if k not in WIDE_LLM_COLUMNS}
        assert _project(row, kept) == kept
        assert not set(WIDE_LLM_COLUMNS) & set(row)
        assert row["advanced_parameters"] == Json(dataset.advanced_parameters[config_id])
        defaults = ("openrouter", 50, 10)
        assert (
            row["provider"],
            row["max_conversation_history"],
            row["max_referenced_messages"],
        ) == defaults

    for table in ("image_configs", "user_api_keys", "usage_logs"):
        assert tables[table]["rows"] == [], table


def _project(row: dict[str, Any], like: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in like if k in row}


def test_migrate_roll_back_and_migrate_again(
    dataset: LegacyDataset, inspect: psycopg.Connection, migrator: Migrator
):
    before = snapshot(inspect)
    assert _applied(inspect) == [1]

    migrator.migrate(target=2)
    assert_migrated(inspect, dataset, before)
    # exactly the columns DATA.md gives the three reshaped tables
    columns = snapshot(inspect)["tables"]
    legacy_columns = before["tables"]
    assert set(columns["personalities"]["columns"]) == (
        set(legacy_columns["personalities"]["columns"]) - {"voice_enabled", "voice_settings"}
    ) | {"error_message", "birthday", "birthday_month", "birthday_day"}
    assert set(columns["llm_configs"]["columns"]) == (
        set(legacy_columns["llm_configs"]["columns"]) - set(WIDE_LLM_COLUMNS)
    ) | {"provider", "advanced_parameters", "max_conversation_history", "max_referenced_messages"}
    assert set(columns["users"]["columns"]) == set(legacy_columns["users"]["columns"]) | {
        "timezone"
    }

    migrator.migrate()  # the later migrations keep every value
    assert_migrated(inspect, dataset, before)

    migrator.rollback(to=1)
    assert _applied(inspect) == [1]
    assert_same(snapshot(inspect), before)

    migrator.migrate()
    assert_migrated(inspect, dataset, before)


# -- data 0002 refuses ---------------------------------------------------------------------------


def assert_refused(migrator: Migrator, inspect: psycopg.Connection, message: str) -> None:
    before = snapshot(inspect)
    with pytest.raises(MigrationError) as failure:
        migrator.migrate()
    assert str(failure.value) == FAILED + message
    assert _applied(inspect) == [1]
    assert_same(snapshot(inspect), before)


def _with_aliases(dataset: LegacyDataset, count: int) -> list[PersonalityExpectation]:
    return [p for p in dataset.personalities if len(p.aliases) >= 1][:count]


def test_duplicate_alias_across_personalities_names_both(
    dataset: LegacyDataset, inspect: psycopg.Connection, migrator: Migrator
):
    first, second = _with_aliases(dataset, 2)
    taken = first.aliases[-1]
    copied = taken.swapcase()
    assert copied != taken
    inspect.execute(
        """UPDATE personalities
           SET custom_fields = jsonb_set(custom_fields, '{aliases}',
                                         (custom_fields -> 'aliases') || to_jsonb(%s::text))
           WHERE id = %s""",
        (copied, second.id),
    )
    # the message lists the pair in id order, with the alias as the first of them spells it
    low, high = sorted([(first.id, taken, first.name), (second.id, copied, second.name)])
    assert_refused(
        migrator,
        inspect,
        f'duplicate alias "{low[1]}": listed by personalities "{low[2]}" and "{high[2]}"',
    )


def _set(column: str, key: str, value: Any) -> Callable[[psycopg.Connection, Any], None]:
    """A change to one personality: its jsonb `column`[key] = value (None: a JSON null)."""

    def change(conn: psycopg.Connection, p: PersonalityExpectation) -> None:
        conn.execute(
            sql.SQL(
                "UPDATE personalities SET {column} = coalesce({column}, '{{}}') "
                "|| jsonb_build_object(%s::text, %s) WHERE id = %s"
            ).format(column=sql.Identifier(column)),
            (key, Jsonb(value), p.id),
        )

    return change


def _hot_config(conn: psycopg.Connection, p: PersonalityExpectation) -> None:
    conn.execute("UPDATE llm_configs SET temperature = 2.5 WHERE name = 'config-01'")


def _other(dataset: LegacyDataset, p: PersonalityExpectation) -> PersonalityExpectation:
    return next(o for o in dataset.personalities if o.id != p.id and o.name > p.name)


# (change to the legacy data, message after "migration 0002_proposal_schema failed: ")
# `{name}` is the changed personality, `{other}` / `{other_slug}` another one.
REFUSALS = {
    "birthday-month-13": (
        _set("custom_fields", "birthday", "1990-13-01"),
        'personality "{name}" has birthday "1990-13-01", which is neither YYYY-MM-DD nor MM-DD',
    ),
    "birthday-02-30": (
        _set("custom_fields", "birthday", "02-30"),
        'personality "{name}" has birthday "02-30", which is neither YYYY-MM-DD nor MM-DD',
    ),
    "birthday-not-leap": (
        _set("custom_fields", "birthday", "1990-02-29"),
        'personality "{name}" has birthday "1990-02-29", which is neither YYYY-MM-DD nor MM-DD',
    ),
    "birthday-slashes": (
        _set("custom_fields", "birthday", "24/12/1990"),
        'personality "{name}" has birthday "24/12/1990", which is neither YYYY-MM-DD nor MM-DD',
    ),
    "birthday-number": (
        _set("custom_fields", "birthday", 19901224),
        'personality "{name}" has birthday 19901224, which is neither YYYY-MM-DD nor MM-DD',
    ),
    "error-message-number": (
        _set("custom_fields", "errorMessage", 42),
        'personality "{name}" has errorMessage 42, which is not a string',
    ),
    "aliases-not-a-list": (
        _set("custom_fields", "aliases", "lil"),
        'personality "{name}" has aliases "lil", which is not a list',
    ),
    "alias-not-a-string": (
        _set("custom_fields", "aliases", ["ok-alias", 7]),
        'personality "{name}" has alias 7, which is not a non-empty string of at most 50 '
        "characters",
    ),
    "alias-blank": (
        _set("custom_fields", "aliases", ["  "]),
        'personality "{name}" has alias "  ", which is not a non-empty string of at most 50 '
        "characters",
    ),
    "alias-too-long": (
        _set("custom_fields", "aliases", ["x" * 51]),
        f'personality "{{name}}" has alias "{"x" * 51}", which is not a non-empty string of at '
        "most 50 characters",
    ),
    "alias-twice-in-one-list": (
        _set("custom_fields", "aliases", ["Twin", "twin"]),
        'personality "{name}" lists alias "twin" more than once',
    ),
    "alias-is-another-name": (
        None,  # built in the test: needs the other personality's name
        'alias "{other_upper}" of personality "{name}" is the name or slug of personality '
        '"{other}"',
    ),
    "alias-is-another-slug": (
        None,
        'alias "{other_slug}" of personality "{name}" is the name or slug of personality "{other}"',
    ),
    "llm-temperature-above-2": (
        _hot_config,
        'check constraint "llm_configs_temperature_range" of relation "llm_configs" is violated '
        "by some row",
    ),
    "voice-stability-above-1": (
        _set("voice_settings", "stability", 1.5),
        'personality "{name}" has voice stability = 1.5, outside [0, 1]',
    ),
    "voice-frequency-below-0": (
        _set("voice_settings", "frequency", -0.01),
        'personality "{name}" has voice frequency = -0.01, outside [0, 1]',
    ),
    "voice-similarity-text": (
        _set("voice_settings", "similarity", "high"),
        'personality "{name}" has voice similarity = "high", which is not a number',
    ),
    "voice-id-number": (
        _set("voice_settings", "voiceId", 12345),
        'personality "{name}" has voice voiceId = 12345, which is not a string of at most 100 '
        "characters",
    ),
    "voice-unknown-key": (
        _set("voice_settings", "speed", 1.1),
        'personality "{name}" has voice setting "speed", which voice_configs has no place for',
    ),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refused_legacy_data_leaves_the_database_unchanged(
    case: str, dataset: LegacyDataset, inspect: psycopg.Connection, migrator: Migrator
):
    change, message = REFUSALS[case]
    target = _with_aliases(dataset, 1)[0]
    other = _other(dataset, target)
    if case == "alias-is-another-name":
        change = _set("custom_fields", "aliases", [other.name.upper()])
    elif case == "alias-is-another-slug":
        change = _set("custom_fields", "aliases", [other.slug])
    change(inspect, target)
    assert_refused(
        migrator,
        inspect,
        message.format(
            name=target.name,
            other=other.name,
            other_upper=other.name.upper(),
            other_slug=other.slug,
        ),
    )


def test_json_null_custom_fields_and_array_custom_fields_survive(
    dataset: LegacyDataset, inspect: psycopg.Connection, migrator: Migrator
):
    # (the round trip covers these too; this names the two shapes that once broke 0002)
    json_null = next(p for p in dataset.personalities if "custom:json-null" in p.shapes)
    array = next(p for p in dataset.personalities if "custom:array" in p.shapes)
    migrator.migrate(target=2)
    rows = dict(
        inspect.execute(
            "SELECT id, custom_fields::text FROM personalities WHERE id = ANY(%s)",
            ([json_null.id, array.id],),
        ).fetchall()
    )
    assert rows == {json_null.id: "null", array.id: '["", "aliases", {"birthday": "12-24"}]'}
    assert (json_null.custom_fields, array.custom_fields) == (
        Json(None),
        Json(["", "aliases", {"birthday": "12-24"}]),
    )


def test_documented_voice_limits(
    dataset: LegacyDataset, inspect: psycopg.Connection, migrator: Migrator
):
    """docs/schema.md: voice numbers keep two decimals, missing or null settings take the
    defaults, and a rollback writes the full shape back."""
    target = next(p for p in dataset.personalities if p.voice is not None and p.voice.voice_id)
    inspect.execute(
        "UPDATE personalities SET voice_settings = %s WHERE id = %s",
        (Jsonb({"voiceId": "abc", "stability": 0.333, "style": None}), target.id),
    )
    migrator.migrate(target=2)
    assert inspect.execute(
        "SELECT voice_id, voice_model, stability, similarity, style, frequency "
        "FROM voice_configs WHERE personality_id = %s",
        (target.id,),
    ).fetchone() == ("abc", "eleven_flash_v2_5", Decimal("0.33"), Decimal("0.75"), 0, 0)
    migrator.rollback(to=1)
    restored = inspect.execute(
        "SELECT voice_settings::text FROM personalities WHERE id = %s", (target.id,)
    ).fetchone()[0]
    assert json.loads(restored, parse_float=Decimal) == {
        "voiceId": "abc",
        "model": "eleven_flash_v2_5",
        "stability": Decimal("0.33"),
        "similarity": Decimal("0.75"),
        "style": 0,
        "frequency": 0,
    }


# -- the schema 0002 leaves behind ---------------------------------------------------------------


def _personality(db: psycopg.Connection, name: str, slug: str) -> uuid.UUID:
    return db.execute(
        "INSERT INTO personalities (name, slug) VALUES (%s, %s) RETURNING id", (name, slug)
    ).fetchone()[0]


def _alias(db: psycopg.Connection, personality_id: uuid.UUID, alias: str) -> None:
    db.execute(
        "INSERT INTO personality_aliases (personality_id, alias) VALUES (%s, %s)",
        (personality_id, alias),
    )


def _refused(db: psycopg.Connection, statement: str, params: tuple) -> errors.Error:
    with pytest.raises(errors.Error) as failure:
        db.execute(statement, params)
    return failure.value


def test_alias_may_not_be_another_personalitys_name_or_slug(db: psycopg.Connection):
    lilith = _personality(db, "Lilith", "lilith")
    bambi = _personality(db, "Bambi", "bambi-bot")

    insert = "INSERT INTO personality_aliases (personality_id, alias) VALUES (%s, %s)"
    refused = _refused(db, insert, (bambi, "LILITH"))
    assert isinstance(refused, errors.UniqueViolation)
    assert (
        refused.diag.message_primary == 'alias "LILITH" is the name or slug of personality "Lilith"'
    )
    refused = _refused(db, insert, (lilith, "Bambi-Bot"))
    assert refused.diag.message_primary == (
        'alias "Bambi-Bot" is the name or slug of personality "Bambi"'
    )

    _alias(db, lilith, "LILITH")  # its own name, in another case, is fine
    _alias(db, bambi, "bam")
    refused = _refused(
        db, "UPDATE personality_aliases SET alias = %s WHERE alias = %s", ("lilith", "bam")
    )
    assert refused.diag.message_primary == (
        'alias "lilith" is the name or slug of personality "Lilith"'
    )
    refused = _refused(
        db, "UPDATE personality_aliases SET personality_id = %s WHERE alias = %s", (bambi, "LILITH")
    )
    assert refused.diag.message_primary == (
        'alias "LILITH" is the name or slug of personality "Lilith"'
    )
    assert db.execute(
        "SELECT personality_id, alias FROM personality_aliases ORDER BY lower(alias)"
    ).fetchall() == [(bambi, "bam"), (lilith, "LILITH")]


def test_personality_may_not_take_another_personalitys_alias(db: psycopg.Connection):
    lilith = _personality(db, "Lilith", "lilith")
    bambi = _personality(db, "Bambi", "bambi")
    _alias(db, bambi, "Lil")

    for statement, params in (
        ("UPDATE personalities SET name = %s WHERE id = %s", ("LIL", lilith)),
        ("UPDATE personalities SET slug = %s WHERE id = %s", ("lil", lilith)),
        ("INSERT INTO personalities (name, slug) VALUES (%s, %s)", ("Newcomer", "LiL")),
    ):
        refused = _refused(db, statement, params)
        assert isinstance(refused, errors.UniqueViolation)
        assert refused.diag.message_primary == (
            'name or slug "Lil" is already an alias of personality "Bambi"'
        )
    # a personality may be renamed to its own alias
    db.execute("UPDATE personalities SET name = %s WHERE id = %s", ("lil", bambi))
    assert db.execute("SELECT name, slug FROM personalities ORDER BY slug").fetchall() == [
        ("lil", "bambi"),
        ("Lilith", "lilith"),
    ]


def test_alias_uniqueness_ignores_case(db: psycopg.Connection):
    lilith = _personality(db, "Lilith", "lilith")
    bambi = _personality(db, "Bambi", "bambi")
    _alias(db, lilith, "Star")
    insert = "INSERT INTO personality_aliases (personality_id, alias) VALUES (%s, %s)"
    for owner in (bambi, lilith):
        refused = _refused(db, insert, (owner, "sTAR"))
        assert isinstance(refused, errors.UniqueViolation)
        assert refused.diag.constraint_name == "personality_aliases_alias_lower_key"
    assert db.execute("SELECT alias FROM personality_aliases").fetchall() == [("Star",)]


def test_birthday_parts_are_checked(db: psycopg.Connection):
    lilith = _personality(db, "Lilith", "lilith")
    update = (
        "UPDATE personalities SET birthday = %s, birthday_month = %s, birthday_day = %s "
        "WHERE id = %s"
    )
    for birthday, month, day in (
        (None, 2, 30),
        (None, 4, 31),
        (None, 13, 1),
        (None, 2, None),
        (date(1990, 12, 24), 12, 25),
        (date(1990, 12, 24), None, None),
    ):
        refused = _refused(db, update, (birthday, month, day, lilith))
        assert isinstance(refused, errors.CheckViolation), (birthday, month, day)
        assert refused.diag.constraint_name == "personalities_birthday_parts"
    for birthday, month, day in ((None, 2, 29), (date(1992, 2, 29), 2, 29), (None, None, None)):
        db.execute(update, (birthday, month, day, lilith))
        assert db.execute(
            "SELECT birthday, birthday_month, birthday_day FROM personalities WHERE id = %s",
            (lilith,),
        ).fetchone() == (birthday, month, day)


def test_deleting_a_personality_cascades(db: psycopg.Connection):
    user = db.execute(
        "INSERT INTO users (discord_id) VALUES ('111111111111111111') RETURNING id"
    ).fetchone()[0]
    config = db.execute(
        "INSERT INTO llm_configs (name, model) VALUES ('shared', 'openai/gpt-4o-mini') RETURNING id"
    ).fetchone()[0]
    doomed, kept = _personality(db, "Doomed", "doomed"), _personality(db, "Kept", "kept")
    for n, personality in enumerate((doomed, kept)):
        _alias(db, personality, f"alias-{n}")
        db.execute(
            "INSERT INTO voice_configs (personality_id, voice_id) VALUES (%s, 'v')", (personality,)
        )
        db.execute(
            "INSERT INTO image_configs (personality_id, model) VALUES (%s, 'm')", (personality,)
        )
        db.execute(
            "INSERT INTO personality_default_configs (personality_id, llm_config_id) "
            "VALUES (%s, %s)",
            (personality, config),
        )
        db.execute(
            "INSERT INTO user_personality_configs (user_id, personality_id, llm_config_id) "
            "VALUES (%s, %s, %s)",
            (user, personality, config),
        )
        db.execute(
            "INSERT INTO usage_logs (user_id, personality_id, provider, model, tokens_in, "
            "tokens_out, tokens_total, request_type) "
            "VALUES (%s, %s, 'openai', 'm', 1, 2, 3, 'text')",
            (user, personality),
        )

    db.execute("DELETE FROM personalities WHERE id = %s", (doomed,))

    for table in (
        "personality_aliases",
        "voice_configs",
        "image_configs",
        "personality_default_configs",
        "user_personality_configs",
    ):
        owners = db.execute(
            sql.SQL("SELECT personality_id FROM {}").format(sql.Identifier(table))
        ).fetchall()
        assert owners == [(kept,)], table
    # the shared config and the usage history stay; usage loses only its personality
    assert db.execute("SELECT id FROM llm_configs").fetchall() == [(config,)]
    assert db.execute(
        "SELECT personality_id, tokens_total FROM usage_logs ORDER BY id"
    ).fetchall() == [(None, 3), (kept, 3)]


# -- 0003: usage_daily ---------------------------------------------------------------------------


def test_usage_daily_aggregates_per_user_utc_day_and_key_source(db: psycopg.Connection):
    # the session's zone must not matter: days are UTC days
    db.execute("SET TIME ZONE 'America/New_York'")
    alice, bob = (
        db.execute("INSERT INTO users (discord_id) VALUES (%s) RETURNING id", (d,)).fetchone()[0]
        for d in ("100000000000000001", "100000000000000002")
    )
    rows = [
        (alice, "2026-03-01 00:00:00+00", "user", 3),
        (alice, "2026-03-01 23:59:59+00", "user", 100),
        (alice, "2026-03-01 19:30:00-05", "user", 50),  # 00:30 UTC on 03-02
        (alice, "2026-03-02 10:00:00+00", "user", 25),
        (alice, "2026-03-02 11:00:00+00", "guest", 7),
        (bob, "2026-03-01 12:00:00+00", "user", 1000),
    ]
    with db.cursor() as cur:
        # one multi-row statement: the trigger runs per row, not per statement
        cur.execute(
            "INSERT INTO usage_logs (user_id, provider, model, tokens_in, tokens_out, "
            'tokens_total, request_type, key_source, "timestamp") VALUES '
            + ", ".join(["(%s, 'openrouter', 'm', 0, %s, %s, 'text', %s, %s)"] * len(rows)),
            [v for user, at, source, tokens in rows for v in (user, tokens, tokens, source, at)],
        )
    daily = db.execute(
        "SELECT user_id, day, key_source, tokens, requests FROM usage_daily "
        "ORDER BY user_id = %s DESC, day, key_source",
        (alice,),
    ).fetchall()
    assert daily == [
        (alice, date(2026, 3, 1), "user", 103, 2),
        (alice, date(2026, 3, 2), "guest", 7, 1),
        (alice, date(2026, 3, 2), "user", 75, 2),
        (bob, date(2026, 3, 1), "user", 1000, 1),
    ]
