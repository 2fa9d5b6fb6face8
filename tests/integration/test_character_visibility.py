"""Who sees a user's character, at the repository level: resolve, suggestions and autocomplete
per viewer; the owner's /config defaults as a character's config; an import never replacing a
character; the cap and name rules of tzurot.personalities.characters."""

from __future__ import annotations

import json

import pytest

from tzurot.personalities import characters, repository
from tzurot.personalities.characters import CharacterError, CharacterText
from tzurot.personalities.errors import ImportConflict, PersonalityNotFound
from tzurot.personalities.importer import import_files

ANN, BOB = "100000000000000001", "100000000000000002"


@pytest.fixture
def world(db):
    ids = {}
    for discord_id, name in ((ANN, "ann"), (BOB, "bob")):
        ids[discord_id] = str(
            db.execute(
                "INSERT INTO users (discord_id, username) VALUES (%s, %s) RETURNING id",
                (discord_id, name),
            ).fetchone()[0]
        )
    db.execute("INSERT INTO personalities (name, slug) VALUES ('Lilith', 'lilith')")
    characters.create(db, ids[ANN], CharacterText("Secret Sal", "You are Sal."), cap=10)
    shown = characters.create(db, ids[ANN], CharacterText("Shown Sam", "You are Sam."), cap=10)
    characters.set_visibility(db, shown, "public")
    return ids


def test_private_characters_are_their_owners_alone(db, world):
    assert repository.find(db, "secret-sal", ANN).name == "Secret Sal"
    assert repository.find(db, "Secret Sal", BOB) is None
    assert repository.find(db, "secret sal", None).name == "Secret Sal"  # the operator
    with pytest.raises(PersonalityNotFound) as caught:
        repository.resolve(db, "secret sa", BOB)
    assert caught.value.suggestions == []
    assert repository.suggestions(db, "secret sa", viewer=ANN) == ["Secret Sal"]

    assert repository.autocomplete_names(db, "s", viewer=BOB) == [
        ("Shown Sam · by ann", "shown-sam")
    ]
    assert repository.autocomplete_names(db, "s", viewer=ANN) == [
        ("Secret Sal", "secret-sal"),
        ("Shown Sam · by ann", "shown-sam"),
    ]
    assert [c[1] for c in repository.autocomplete_names(db, "", viewer=BOB)] == [
        "lilith",
        "shown-sam",
    ]


def test_a_character_uses_its_owners_config_defaults_until_it_has_its_own(db, world):
    assert repository.find(db, "shown-sam", BOB).llm is None
    db.execute(
        "INSERT INTO user_config_overrides (user_id, provider, model, temperature, "
        "advanced_parameters) VALUES (%s, 'anthropic', 'claude-x', 0.4, '{\"topK\": 5}')",
        (world[ANN],),
    )
    llm = repository.find(db, "shown-sam", BOB).llm
    assert (llm.provider, llm.model, str(llm.temperature), llm.advanced_parameters) == (
        "anthropic",
        "claude-x",
        "0.40",
        {"topK": 5},
    )
    assert llm.inherited
    # deleting the character leaves its owner's defaults alone
    repository.delete(db, "shown-sam")
    assert db.execute("SELECT count(*) FROM user_config_overrides").fetchone()[0] == 1


def test_cap_names_and_lengths(db, world):
    with pytest.raises(CharacterError, match="already have 2 characters"):
        characters.create(db, world[ANN], CharacterText("Third", "x"), cap=2)
    for taken in ("lilith", "SHOWN SAM", "Secret-Sal"):
        with pytest.raises(CharacterError, match="already taken"):
            characters.create(db, world[BOB], CharacterText(taken, "x"), cap=10)
    with pytest.raises(CharacterError, match="at most 80 characters"):
        characters.create(db, world[BOB], CharacterText("n" * 81, "x"), cap=10)
    with pytest.raises(CharacterError, match="needs a description"):
        characters.create(db, world[BOB], CharacterText("Fine", "  "), cap=10)
    assert characters.slugify("Nyx the Wise!") == "nyx-the-wise"
    assert characters.slugify("Ñandú 2") == "ñandú-2"
    assert characters.slugify("***") == "character"


def test_an_import_never_replaces_a_users_character(db, world, tmp_path):
    path = tmp_path / "sam.json"
    path.write_text(
        json.dumps({"name": "Sam", "username": "shown-sam", "jailbreak": "x", "engine_model": "m"})
    )
    with pytest.raises(ImportConflict) as caught:
        import_files(db, [path])
    assert str(caught.value) == (
        f'{path}: username: "shown-sam" is the slug of a user\'s own character'
    )


def test_an_import_may_not_take_a_characters_name(db, world, tmp_path):
    path = tmp_path / "sal.json"
    path.write_text(
        json.dumps({"name": "SECRET SAL", "username": "sal", "jailbreak": "x", "engine_model": "m"})
    )
    with pytest.raises(ImportConflict) as caught:
        import_files(db, [path])
    assert str(caught.value) == (
        f'{path}: name: "SECRET SAL" is the name of a user\'s own character ("Secret Sal")'
    )
