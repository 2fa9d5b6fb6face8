"""Personality queries against a real PostgreSQL: lookup, suggestions, aliases, delete cascades,
autocomplete. Rows are made with plain SQL so the code under test only reads what it is given."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

import psycopg
import pytest

from tzurot.personalities import repository
from tzurot.personalities.errors import (
    AliasCollision,
    AliasError,
    AliasNotFound,
    AliasTaken,
    InvalidAlias,
    PersonalityNotFound,
)


def make(
    db: psycopg.Connection,
    name: str,
    slug: str,
    *aliases: str,
    display_name: str | None = None,
) -> UUID:
    pid = db.execute(
        "INSERT INTO personalities (name, slug, display_name) VALUES (%s, %s, %s) RETURNING id",
        (name, slug, display_name),
    ).fetchone()[0]
    for position, alias in enumerate(aliases):
        db.execute(
            "INSERT INTO personality_aliases (alias, personality_id, position) VALUES (%s, %s, %s)",
            (alias, pid, position),
        )
    return pid


def config(db: psycopg.Connection, name: str, *personality_ids: UUID) -> UUID:
    cid = db.execute(
        "INSERT INTO llm_configs (name, model, temperature, advanced_parameters) "
        """VALUES (%s, 'openai/gpt-4o-mini', 0.7, '{"topK": 40}') RETURNING id""",
        (name,),
    ).fetchone()[0]
    for pid in personality_ids:
        db.execute(
            "INSERT INTO personality_default_configs (personality_id, llm_config_id) "
            "VALUES (%s, %s)",
            (pid, cid),
        )
    return cid


@pytest.fixture
def cast(db):
    """A small cast: Lilith (lil, Lily), Baphomet (goat), Bartholomew, and Nyx."""
    return {
        "lilith": make(db, "Lilith", "lilith", "lil", "Lily"),
        "baphomet": make(db, "Baphomet", "baphomet", "goat"),
        "bart": make(db, "Bartholomew", "bartholomew-the-bold"),
        "nyx": make(db, "Nyx", "nyx-night"),
    }


def test_find_by_name_slug_or_alias_case_insensitively(db, cast):
    for text in ("Lilith", "LILITH", "  lilith ", "lil", "LILY"):
        assert repository.find(db, text).id == cast["lilith"], text
    assert repository.find(db, "BARTHOLOMEW-THE-BOLD").id == cast["bart"]
    assert repository.find(db, "bartholomew").id == cast["bart"]
    assert repository.find(db, "unknown") is None
    assert repository.find(db, "   ") is None


def test_find_prefers_slug_then_name_then_display_name(db, cast):
    # "nyx" is nobody's slug; a newer personality whose slug is "nyx" wins over Nyx's name.
    night = make(db, "Night", "nyx")
    assert repository.find(db, "nyx").id == night
    shown = make(db, "Internal", "internal", display_name="Shown")
    assert repository.find(db, "shown").id == shown


def test_get_by_id_and_the_full_model(db, cast):
    cid = config(db, "shared", cast["lilith"])
    db.execute(
        """UPDATE personalities SET error_message = 'oops', birthday = '1990-12-24',
               birthday_month = 12, birthday_day = 24, avatar_url = 'https://x.test/l.png',
               personality_traits = 'sly', custom_fields = '{"k": [1, 2]}'
           WHERE id = %s""",
        (cast["lilith"],),
    )
    db.execute(
        "INSERT INTO voice_configs (personality_id, enabled, voice_id, stability) "
        "VALUES (%s, true, 'v1', 0.4)",
        (cast["lilith"],),
    )
    db.execute(
        "INSERT INTO image_configs (personality_id, model, enabled, advanced_parameters) "
        """VALUES (%s, 'dall-e-3', true, '{"quality": "hd"}')""",
        (cast["lilith"],),
    )

    p = repository.get_by_id(db, cast["lilith"])

    assert (p.name, p.slug, p.aliases, p.label) == ("Lilith", "lilith", ("lil", "Lily"), "Lilith")
    assert (p.error_message, str(p.birthday), p.avatar_url) == (
        "oops",
        "1990-12-24",
        "https://x.test/l.png",
    )
    assert p.character.traits == "sly" and p.custom_fields == {"k": [1, 2]}
    assert p.voice.voice_id == "v1" and p.voice.stability == Decimal("0.40")
    assert (p.voice.similarity, p.voice.model) == (Decimal("0.75"), "eleven_flash_v2_5")
    assert p.voice_enabled and p.image_enabled
    assert (p.image.provider, p.image.model, p.image.default_size) == (
        "openrouter",
        "dall-e-3",
        "1024x1024",
    )
    assert p.image.advanced_parameters == {"quality": "hd"}
    assert p.llm.id == cid and p.llm.temperature == Decimal("0.70")
    assert p.llm.advanced_parameters == {"topK": 40} and p.llm.max_referenced_messages == 10
    assert repository.get_by_id(db, "00000000-0000-0000-0000-000000000000") is None


def test_resolve_unknown_suggests_the_closest(db, cast):
    with pytest.raises(PersonalityNotFound) as caught:
        repository.resolve(db, "lilth")
    assert caught.value.suggestions == ["Lilith"]  # one per personality: its best term
    assert str(caught.value) == 'no personality named "lilth" (did you mean "Lilith"?)'

    make(db, "Lilah", "lilah")
    with pytest.raises(PersonalityNotFound) as caught:
        repository.resolve(db, "lila")
    assert caught.value.suggestions == ["Lilah", "lil"]  # Lilith's best term is its alias

    with pytest.raises(PersonalityNotFound) as caught:
        repository.resolve(db, "bart")  # a substring of a name (and of the slug)
    assert caught.value.suggestions == ["Bartholomew"]

    with pytest.raises(PersonalityNotFound) as caught:
        repository.resolve(db, "zzzzzz")
    assert caught.value.suggestions == []
    assert str(caught.value) == 'no personality named "zzzzzz"'


def test_list_all_is_ordered_by_name(db, cast):
    assert [p.name for p in repository.list_all(db)] == ["Baphomet", "Bartholomew", "Lilith", "Nyx"]


def test_add_alias_appends_in_order(db, cast):
    p = repository.add_alias(db, "lil", "  Queen of Night ")
    assert p.id == cast["lilith"]
    assert p.aliases == ("lil", "Lily", "Queen of Night")
    assert repository.find(db, "queen of night").id == cast["lilith"]


@pytest.mark.parametrize(
    ("target", "alias", "error", "message"),
    [
        ("nyx", "LIL", AliasTaken, 'alias "LIL" already exists on personality "Lilith"'),
        ("lilith", "lily", AliasTaken, 'alias "lily" already exists on personality "Lilith"'),
        ("nyx", "Baphomet", AliasCollision,
         'alias "Baphomet" is the name or slug of personality "Baphomet"'),
        ("nyx", "BARTHOLOMEW-THE-BOLD", AliasCollision,
         'alias "BARTHOLOMEW-THE-BOLD" is the name or slug of personality "Bartholomew"'),
        ("nyx", "   ", InvalidAlias, "an alias cannot be empty"),
        ("nyx", "x" * 51, InvalidAlias, "an alias is at most 50 characters"),
        ("nobody", "fine", PersonalityNotFound, 'no personality named "nobody"'),
    ],
)  # fmt: skip
def test_add_alias_refusals(db, cast, target, alias, error, message):
    before = db.execute("SELECT count(*) FROM personality_aliases").fetchone()[0]
    with pytest.raises(error) as caught:
        repository.add_alias(db, target, alias)
    assert str(caught.value) == message
    assert db.execute("SELECT count(*) FROM personality_aliases").fetchone()[0] == before


def test_add_alias_reports_the_database_rule_when_it_loses_a_race(db, cast, monkeypatch):
    # As if another writer added the alias between the check and the insert.
    monkeypatch.setattr(repository, "check_alias_free", lambda conn, alias: None)
    with pytest.raises(AliasError) as caught:
        repository.add_alias(db, "nyx", "Baphomet")
    assert str(caught.value) == 'alias "Baphomet" is the name or slug of personality "Baphomet"'
    assert repository.find(db, "nyx").aliases == ()


def test_remove_alias(db, cast):
    p = repository.remove_alias(db, " LIL ")
    assert p.id == cast["lilith"] and p.aliases == ("Lily",)
    assert repository.find(db, "lil") is None
    with pytest.raises(AliasNotFound) as caught:
        repository.remove_alias(db, "lil")
    assert str(caught.value) == 'no personality has the alias "lil"'


def test_delete_cascades_and_keeps_shared_configs(db, cast):
    user = db.execute(
        "INSERT INTO users (discord_id) VALUES ('123456789012345678') RETURNING id"
    ).fetchone()[0]
    prompt = db.execute(
        "INSERT INTO system_prompts (name, content) VALUES ('lilith', 'be lilith') RETURNING id"
    ).fetchone()[0]
    shared_prompt = db.execute(
        "INSERT INTO system_prompts (name, content) VALUES ('shared', 'be') RETURNING id"
    ).fetchone()[0]
    db.execute(
        "UPDATE personalities SET system_prompt_id = %s WHERE id = %s", (prompt, cast["lilith"])
    )
    db.execute(
        "UPDATE personalities SET system_prompt_id = %s WHERE id = ANY(%s)",
        (shared_prompt, [cast["baphomet"], cast["nyx"]]),
    )
    private = config(db, "lilith", cast["lilith"])
    shared = config(db, "shared", cast["baphomet"], cast["nyx"])
    users_config = config(db, "users-own")
    db.execute(
        "INSERT INTO user_personality_configs (user_id, personality_id, llm_config_id) "
        "VALUES (%s, %s, %s)",
        (user, cast["lilith"], users_config),
    )
    db.execute(
        "INSERT INTO voice_configs (personality_id, voice_id) VALUES (%s, 'v'), (%s, 'w')",
        (cast["lilith"], cast["nyx"]),
    )
    db.execute(
        "INSERT INTO image_configs (personality_id, model) VALUES (%s, 'm')", (cast["lilith"],)
    )
    db.execute(
        "INSERT INTO user_config_overrides (user_id, personality_id, model) VALUES (%s, %s, 'x')",
        (user, cast["lilith"]),
    )

    gone = repository.delete(db, "LILY")
    assert gone.id == cast["lilith"] and gone.name == "Lilith"

    def ids(query: str) -> set:
        return {r[0] for r in db.execute(query)}

    assert repository.find(db, "lilith") is None and repository.find(db, "lil") is None
    assert ids("SELECT personality_id FROM personality_aliases") == {cast["baphomet"]}
    assert ids("SELECT personality_id FROM voice_configs") == {cast["nyx"]}
    assert ids("SELECT personality_id FROM image_configs") == set()
    assert ids("SELECT personality_id FROM personality_default_configs") == {
        cast["baphomet"],
        cast["nyx"],
    }
    assert ids("SELECT personality_id FROM user_personality_configs") == set()
    assert ids("SELECT personality_id FROM user_config_overrides") == set()
    # the private config and prompt went with it; shared and user-owned rows stay
    assert ids("SELECT id FROM llm_configs") == {shared, users_config}
    assert private not in ids("SELECT id FROM llm_configs")
    assert ids("SELECT id FROM system_prompts") == {shared_prompt}

    # Deleting one of two sharers keeps the shared config; the last one takes it along.
    repository.delete(db, "baphomet")
    assert ids("SELECT id FROM llm_configs") == {shared, users_config}
    assert ids("SELECT id FROM system_prompts") == {shared_prompt}
    repository.delete(db, "nyx")
    assert ids("SELECT id FROM llm_configs") == {users_config}
    assert ids("SELECT id FROM system_prompts") == set()

    with pytest.raises(PersonalityNotFound):
        repository.delete(db, "nyx")


def test_autocomplete_prefix_first_then_substring(db, cast):
    make(db, "Abaddon", "abaddon", "Bael")
    choices = repository.autocomplete_names(db, "ba")
    assert choices == [
        # prefix hits, alphabetically by what is shown
        ("Bael (Abaddon)", "abaddon"),
        ("Baphomet", "baphomet"),
        ("Bartholomew", "bartholomew-the-bold"),
    ]
    assert repository.autocomplete_names(db, "LI") == [("Lilith", "lilith")]
    assert repository.autocomplete_names(db, "oat") == [("goat (Baphomet)", "baphomet")]
    assert repository.autocomplete_names(db, "night") == [("Nyx", "nyx-night")]
    assert repository.autocomplete_names(db, "om") == [
        ("Baphomet", "baphomet"),
        ("Bartholomew", "bartholomew-the-bold"),
    ]
    assert repository.autocomplete_names(db, "a")[:3] == [
        ("Abaddon", "abaddon"),
        ("Baphomet", "baphomet"),  # substring hits after every prefix hit
        ("Bartholomew", "bartholomew-the-bold"),
    ]
    assert repository.autocomplete_names(db, "nothing-like-it") == []


def test_autocomplete_caps_at_25_and_honours_limit(db):
    for i in range(30):
        make(db, f"Echo {i:02d}", f"echo-{i:02d}", f"reverb-{i:02d}")
    everyone = repository.autocomplete_names(db, "")
    assert len(everyone) == 25
    assert everyone[:2] == [("Echo 00", "echo-00"), ("Echo 01", "echo-01")]
    assert repository.autocomplete_names(db, "e", limit=100) == everyone
    assert repository.autocomplete_names(db, "reverb-1", limit=3) == [
        ("reverb-10 (Echo 10)", "echo-10"),
        ("reverb-11 (Echo 11)", "echo-11"),
        ("reverb-12 (Echo 12)", "echo-12"),
    ]
    assert repository.autocomplete_names(db, "echo", limit=0) == []


def test_autocomplete_clips_long_labels_to_discord_limits(db):
    make(db, "N" * 150, "long-one")
    [(label, value)] = repository.autocomplete_names(db, "nnn")
    assert len(label) == 100 and label.endswith("…") and value == "long-one"
