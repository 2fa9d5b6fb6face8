"""`tzurot personality voice set|show|disable` through `tzurot.cli.main.main` against a real
database: what is stored, what is printed, and bad values refused in one line with nothing
changed."""

from __future__ import annotations

import psycopg
import pytest

from tzurot.cli.main import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["personality", "voice", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def db(db_url):
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("INSERT INTO personalities (name, slug) VALUES ('Lilith', 'lilith')")
        yield conn


def stored(db) -> tuple | None:
    return db.execute(
        "SELECT enabled, voice_id, voice_model, stability::text, similarity::text, style::text, "
        "frequency::text FROM voice_configs"
    ).fetchone()


def test_set_show_disable(db, capsys):
    assert run(capsys, "show", "lilith") == (0, "Lilith (lilith): no voice\n", "")

    assert run(capsys, "set", "LILITH", "--voice-id", "JBFqnCBsd6RMkjVDRZzb", "--stability", "0.4")
    assert stored(db) == (
        True,
        "JBFqnCBsd6RMkjVDRZzb",
        "eleven_flash_v2_5",
        "0.40",
        "0.75",
        "0.00",
        "0.00",
    )

    code, out, err = run(
        capsys,
        "set",
        "lilith",
        "--model",
        "eleven_multilingual_v2",
        "--frequency",
        "1",
        "--style",
        ".25",
    )
    assert (code, err) == (0, "")
    assert out == (
        "Lilith (lilith): voice on, JBFqnCBsd6RMkjVDRZzb (eleven_multilingual_v2), stability 0.40, "
        "similarity 0.75, style 0.25, frequency 1.00 (speaker boost on)\n"
    )
    assert run(capsys, "show", "lilith")[1] == out

    assert run(capsys, "disable", "lilith") == (
        0,
        "voice off for Lilith (lilith); its settings are kept\n",
        "",
    )
    assert stored(db)[:2] == (False, "JBFqnCBsd6RMkjVDRZzb")
    assert run(capsys, "disable", "lilith")[1] == (
        "Lilith (lilith) has no voice switched on; nothing changed\n"
    )
    assert run(capsys, "set", "lilith")[0] == 0  # switched on again, settings as they were
    assert stored(db) == (
        True,
        "JBFqnCBsd6RMkjVDRZzb",
        "eleven_multilingual_v2",
        "0.40",
        "0.75",
        "0.25",
        "1.00",
    )


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--stability", "1.5"),
        ("--similarity", "-0.1"),
        ("--style", "0.333"),
        ("--frequency", "loud"),
        ("--stability", "nan"),
    ],
)
def test_a_bad_ratio_is_one_line_and_changes_nothing(db, capsys, option, value):
    run(capsys, "set", "lilith", "--voice-id", "v1")
    before = stored(db)
    with pytest.raises(SystemExit) as exited:
        main(["personality", "voice", "set", "lilith", option, value])
    _, err = capsys.readouterr()
    assert exited.value.code == 2
    assert err == (
        f"tzurot personality voice set: error: argument {option}: must be a number from 0.00 to "
        f"1.00 with at most two decimals, got {value!r} (see --help)\n"
    )
    assert stored(db) == before


def test_a_bad_voice_id_or_model_is_refused(db, capsys):
    with pytest.raises(SystemExit):
        main(["personality", "voice", "set", "lilith", "--voice-id", "has space"])
    assert (
        "argument --voice-id: must be 1 to 100 characters without spaces" in capsys.readouterr().err
    )
    with pytest.raises(SystemExit):
        main(["personality", "voice", "set", "lilith", "--voice-id", "v", "--model", "m" * 51])
    assert "argument --model: must be 1 to 50 characters" in capsys.readouterr().err
    assert stored(db) is None


def test_a_new_voice_needs_an_id_and_an_unknown_personality_is_one_line(db, capsys):
    assert run(capsys, "set", "lilith", "--stability", "0.3") == (
        1,
        "",
        "tzurot: error: lilith has no voice yet: give --voice-id (ElevenLabs voice id)\n",
    )
    assert stored(db) is None
    code, out, err = run(capsys, "show", "lilth")
    assert (code, out) == (1, "")
    assert err.startswith("tzurot: error: ") and err.count("\n") == 1 and "Lilith" in err
