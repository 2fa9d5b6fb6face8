"""`tzurot db ...` end to end through `tzurot.cli.main.main` against a real database: what each
verb prints, and every failure as one line on stderr with a non-zero exit code."""

from __future__ import annotations

import psycopg
import pytest

from tzurot.cli.main import main
from tzurot.db.migrations import discover

LABELS = [m.label for m in discover()]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["db", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _status(out: str) -> list[tuple[str, str]]:
    """(label, "applied" | "pending") per line of `db status`."""
    return [(line.split()[0], line.split()[1]) for line in out.splitlines()]


def test_migrate_status_rollback(empty_db_url, capsys):
    assert run(capsys, "status") == (
        0,
        "".join(f"{label:40} pending\n" for label in LABELS),
        "",
    )
    assert run(capsys, "migrate", "--to", "1") == (0, f"applied {LABELS[0]}\n", "")
    assert run(capsys, "migrate") == (
        0,
        "".join(f"applied {label}\n" for label in LABELS[1:]),
        "",
    )
    assert run(capsys, "migrate") == (0, "database is up to date\n", "")
    code, out, err = run(capsys, "status")
    assert (code, err) == (0, "")
    assert _status(out) == [(label, "applied") for label in LABELS]

    assert run(capsys, "rollback") == (0, f"rolled back {LABELS[-1]}\n", "")
    assert run(capsys, "rollback", "--to", "1") == (
        0,
        "".join(f"rolled back {label}\n" for label in reversed(LABELS[1:-1])),
        "",
    )
    out = run(capsys, "status")[1]
    assert _status(out) == [(LABELS[0], "applied")] + [(label, "pending") for label in LABELS[1:]]
    assert run(capsys, "rollback", "--to", "0") == (0, f"rolled back {LABELS[0]}\n", "")
    assert run(capsys, "rollback") == (0, "nothing to roll back\n", "")
    with psycopg.connect(empty_db_url) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchall()
    assert tables == [("schema_migrations",)]


def test_adopt_an_existing_legacy_database(empty_db_url, capsys):
    assert run(capsys, "adopt") == (
        1,
        "",
        "tzurot: error: cannot adopt: this database lacks the legacy tables users, "
        "system_prompts, personalities, llm_configs, personality_default_configs, "
        "user_personality_configs\n",
    )
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        conn.execute(discover()[0].up_sql)  # tables made by the old application, not the runner
    assert run(capsys, "adopt") == (
        0,
        f"marked {LABELS[0]} as applied (adopted existing legacy tables)\n",
        "",
    )
    assert run(capsys, "adopt") == (
        1,
        "",
        f"tzurot: error: {LABELS[0]} is already recorded as applied\n",
    )
    assert run(capsys, "migrate") == (
        0,
        "".join(f"applied {label}\n" for label in LABELS[1:]),
        "",
    )
    with psycopg.connect(empty_db_url) as conn:
        assert conn.execute(
            "SELECT version, adopted FROM schema_migrations ORDER BY version"
        ).fetchall() == [(1, True)] + [(m.version, False) for m in discover()[1:]]


def test_a_refused_data_migration_is_one_line_naming_both_personalities(empty_db_url, capsys):
    assert run(capsys, "migrate", "--to", "1")[0] == 0
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        conn.execute(
            """INSERT INTO personalities (id, name, slug, custom_fields) VALUES
               ('00000000-0000-4000-8000-000000000001', 'Lilith', 'lilith', '{"aliases": ["Lil"]}'),
               ('00000000-0000-4000-8000-000000000002', 'Lila', 'lila', '{"aliases": ["lil"]}')"""
        )
    assert run(capsys, "migrate") == (
        1,
        "",
        "tzurot: error: migration 0002_proposal_schema failed: "
        'duplicate alias "Lil": listed by personalities "Lilith" and "Lila"\n',
    )
    out = run(capsys, "status")[1]
    assert _status(out) == [(LABELS[0], "applied")] + [(label, "pending") for label in LABELS[1:]]


@pytest.mark.parametrize("verb", ["status", "migrate", "rollback", "adopt"])
def test_unreachable_database_is_one_line_without_the_password(verb, capsys, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:secretpw@127.0.0.1:1/x")
    code, out, err = run(capsys, verb)
    assert (code, out) == (1, "")
    assert err == (
        "tzurot: error: database unreachable: connection failed: connection to server at "
        '"127.0.0.1", port 1 failed: Connection refused\n'
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "postgresql://u:secretpw@[::1:5432/x",
            'end of string reached when looking for matching "]" in IPv6 host address in URI: '
            '"postgresql://u:[REDACTED]@[::1:5432/x"',
        ),
        (
            "mysql://u:secretpw@db.example/x",
            'missing "=" after "mysql://u:[REDACTED]@db.example/x" in connection info string',
        ),
        ("host=h password=secretpw bogus=1", 'invalid connection option "bogus"'),
    ],
)
def test_an_unparsable_url_is_one_line_without_the_password(url, message, capsys, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", url)
    code, out, err = run(capsys, "status")
    assert (code, out) == (1, "")
    assert err == f"tzurot: error: database URL is not valid: {message}\n"
    assert "secretpw" not in err


def test_a_driver_failure_while_reading_status_is_one_line(db_url, capsys):
    # e.g. a read-only replica: the runner's bookkeeping table cannot be ensured there
    with psycopg.connect(db_url, autocommit=True) as conn:
        name = conn.info.dbname
        conn.execute(f"ALTER DATABASE {name} SET default_transaction_read_only = on")
    for verb, what in (
        ("status", "reading the migration status"),
        ("rollback", "reading the migration status"),
        ("adopt", "adopting 0001_legacy_schema"),
    ):
        assert run(capsys, verb) == (
            1,
            "",
            f"tzurot: error: {what} failed: "
            "cannot execute CREATE TABLE in a read-only transaction\n",
        )


@pytest.mark.parametrize("value", ["-1", "x", "1.5", "²"])
def test_to_takes_a_migration_number(value, capsys):
    for verb in ("migrate", "rollback"):
        assert main_exit(["db", verb, "--to", value]) == 2
        assert capsys.readouterr() == (
            "",
            f"tzurot db {verb}: error: argument --to: must be a migration number (0 or more), "
            f"not {value!r} (see --help)\n",
        )


def main_exit(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    return exited.value.code


def test_a_reader_that_went_away_is_not_an_error(db_url):
    """`tzurot db status | head -1`: the closed pipe ends the command quietly (exit 141)."""
    import os
    import subprocess
    import sys

    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "tzurot.cli.main", "db", "status"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (141, "")
