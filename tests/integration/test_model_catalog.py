"""The model catalog: migration 0007 up and down, `tzurot models refresh|list` against loopback
fakes of the four list endpoints, and the scheduled function's entry point."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import psycopg
import pytest

from tests.deploy.handlers import load_app
from tests.fakes.catalog import (
    FakeCatalogs,
    anthropic_model,
    gemini_model,
    openai_model,
    openrouter_model,
)
from tests.fakes.server import serve
from tzurot.catalog import store
from tzurot.catalog.refresh import operator_keys
from tzurot.cli.main import main
from tzurot.config import ConfigError
from tzurot.db.migrations import Migrator


def full_fakes() -> FakeCatalogs:
    return FakeCatalogs(
        openrouter=[
            openrouter_model("openai/gpt-4o", prompt="0.0000025", completion="0.00001"),
            openrouter_model(
                "google/gemini-2.5-flash-image",
                outputs=("image", "text"),
                inputs=("image", "text"),
                prompt="0.0000003",
                completion="0.0000025",
            ),
            openrouter_model("openrouter/auto", prompt="-1", completion="-1", context=2000000),
            openrouter_model("old/model", expiration_date="2026-01-31"),
        ],
        openai=[
            openai_model("gpt-4o-mini", created=1_721_172_741),
            openai_model("gpt-image-1", created=1_745_000_000, shutdown="2026-10-23"),
            openai_model("gpt-image-2", created=1_776_000_000),
            openai_model("text-embedding-3-small"),
            openai_model("whatever-new"),
        ],
        anthropic=[
            anthropic_model("claude-sonnet-4-5", created_at="2025-09-29T00:00:00Z"),
            anthropic_model(
                "claude-3-opus-20240229",
                lifecycle="retired",
                deprecated_at="2025-06-30T00:00:00Z",
                retires_at="2026-01-05T00:00:00Z",
            ),
            anthropic_model(
                "claude-3-7-sonnet-20250219",
                lifecycle="deprecated",
                deprecated_at="2025-10-28T00:00:00Z",
                retires_at="2027-02-19T00:00:00Z",
                image_input=False,
            ),
            # Deprecated, retirement overdue: still answers (lifecycle is the signal).
            anthropic_model(
                "claude-3-5-haiku-20241022",
                lifecycle="deprecated",
                deprecated_at="2025-08-13T00:00:00Z",
                retires_at="2026-02-19T00:00:00Z",
            ),
        ],
        gemini=[
            gemini_model("gemini-2.5-flash"),
            gemini_model("gemini-2.5-flash-image"),
            gemini_model("text-embedding-004", ("embedContent",)),
            gemini_model("imagen-4.0-generate-001", ("predict",)),
        ],
    )


@pytest.fixture
def fakes(monkeypatch):
    catalogs = full_fakes()
    with serve(catalogs.app()) as root:
        for name, value in catalogs.base_urls(root).items():
            monkeypatch.setenv(name, value)
        yield catalogs


def rows(db) -> dict[tuple[str, str], tuple]:
    found = db.execute(
        """SELECT provider, model_id, context_length, input_modalities, output_modalities,
                  input_price_per_million, output_price_per_million, deprecated_at, shutdown_date
           FROM model_catalog"""
    ).fetchall()
    return {(r[0], r[1]): r[2:] for r in found}


def test_migration_0007_up_and_down(empty_db_url):
    with psycopg.connect(empty_db_url) as conn:
        migrator = Migrator(conn)
        migrator.migrate(target=6)  # 0006 is another issue's; nothing of it is assumed
        assert conn.execute("SELECT to_regclass('model_catalog')").fetchone()[0] is None
        migrator.migrate(target=7)
        conn.execute(
            "INSERT INTO model_catalog (provider, model_id, output_modalities) "
            "VALUES ('openai', 'gpt-4o', '{text}')"
        )
        conn.commit()
        for bad in (
            "INSERT INTO model_catalog (provider, model_id) VALUES ('elevenlabs', 'x')",
            "INSERT INTO model_catalog (provider, model_id) VALUES ('openai', '')",
            "INSERT INTO model_catalog (provider, model_id, input_price_per_million) "
            "VALUES ('openai', 'y', -1)",
        ):
            with pytest.raises(psycopg.errors.CheckViolation), conn.transaction():
                conn.execute(bad)
        with pytest.raises(psycopg.errors.UniqueViolation), conn.transaction():
            conn.execute(
                "INSERT INTO model_catalog (provider, model_id) VALUES ('openai', 'gpt-4o')"
            )
        migrator.rollback(to=6)
        exists = conn.execute("SELECT to_regclass('model_catalog')").fetchone()[0]
        assert exists is None


def test_refresh_reads_every_list_and_list_prints_it(db, fakes, monkeypatch, capsys):
    monkeypatch.setenv(
        "TZUROT_CATALOG_KEYS",
        json.dumps({"openai": fakes.openai_key, "anthropic": fakes.anthropic_key,
                    "google": fakes.gemini_key}),
    )  # fmt: skip
    assert main(["models", "refresh"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "openrouter: 4 models",
        "openai: 5 models",
        "anthropic: 4 models",
        "google: 4 models",
    ]
    found = rows(db)
    text = ["text"]
    assert found["openrouter", "openai/gpt-4o"] == (
        128000,
        text,
        text,
        Decimal("2.500000"),
        Decimal("10.000000"),
        None,
        None,
    )
    # The image model is only listed with output_modalities=all.
    assert found["openrouter", "google/gemini-2.5-flash-image"][1:5] == (
        ["image", "text"],
        ["image", "text"],
        Decimal("0.300000"),
        Decimal("2.500000"),
    )
    # "-1": the price varies per request; not a price.
    assert found["openrouter", "openrouter/auto"][3:5] == (None, None)
    # expiration_date is the last day it may answer.
    assert found["openrouter", "old/model"][-1] == date(2026, 2, 1)
    assert found["openai", "gpt-image-1"][2:] == (["image"], None, None, None, date(2026, 10, 23))
    assert found["openai", "gpt-4o-mini"][2] == text
    assert found["openai", "text-embedding-3-small"][2] == ["embeddings"]
    assert found["openai", "whatever-new"][1:3] == ([], [])  # unknown family: unknown
    assert found["anthropic", "claude-sonnet-4-5"] == (
        200000,
        ["text", "image", "file"],
        text,
        None,
        None,
        None,
        None,
    )
    # Retired models are asked for explicitly (lifecycle[]=retired) so they can be refused.
    assert found["anthropic", "claude-3-opus-20240229"][-2:] == (
        date(2025, 6, 30),
        date(2026, 1, 5),
    )
    assert found["anthropic", "claude-3-7-sonnet-20250219"][1] == ["text", "file"]
    assert found["anthropic", "claude-3-7-sonnet-20250219"][-1] == date(2027, 2, 19)
    assert found["anthropic", "claude-3-5-haiku-20241022"][-2:] == (date(2025, 8, 13), None)
    assert found["google", "gemini-2.5-flash"][:3] == (1048576, [], text)
    assert found["google", "gemini-2.5-flash-image"][2] == ["text", "image"]
    assert found["google", "text-embedding-004"][2] == ["embeddings"]
    assert found["google", "imagen-4.0-generate-001"][2] == ["image"]
    # The requests: OpenRouter without a key and for every modality; the others with theirs.
    by_provider = {provider: (query, headers) for provider, query, headers in fakes.requests}
    assert by_provider["openrouter"][0] == "output_modalities=all"
    assert "authorization" not in by_provider["openrouter"][1]
    assert by_provider["openai"][1]["authorization"] == f"Bearer {fakes.openai_key}"
    assert "lifecycle%5B%5D=retired" in by_provider["anthropic"][0]
    assert by_provider["gemini"][1]["x-goog-api-key"] == fakes.gemini_key

    assert main(["models", "list", "--provider", "openai"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[0].split() == ["PROVIDER", "MODEL", "CONTEXT", "IN->OUT", "$/M", "IN", "$/M",
                                  "OUT", "SHUTDOWN"]  # fmt: skip
    assert [line.split()[1] for line in listing[1:]] == [
        "gpt-4o-mini", "gpt-image-1", "gpt-image-2", "text-embedding-3-small", "whatever-new"
    ]  # fmt: skip
    assert listing[2].endswith("2026-10-23 (shut down)") or listing[2].endswith("2026-10-23")
    assert main(["models", "list", "--search", "SONNET"]) == 0
    assert [line.split()[1] for line in capsys.readouterr().out.splitlines()[1:]] == [
        "claude-3-7-sonnet-20250219",
        "claude-sonnet-4-5",
    ]


def test_paged_lists_are_followed(db, fakes):
    from tzurot.catalog.refresh import refresh
    from tzurot.config import Settings

    fakes.anthropic = [anthropic_model(f"claude-{n:04d}") for n in range(1500)]
    fakes.gemini = [gemini_model(f"gemini-{n:04d}") for n in range(2100)]
    keys = {"anthropic": fakes.anthropic_key, "google": fakes.gemini_key}
    results = refresh(db, Settings.from_env(), keys, ("anthropic", "google"))
    assert [r.line() for r in results] == ["anthropic: 1500 models", "google: 2100 models"]
    assert len([r for r in fakes.requests if r[0] == "anthropic"]) == 2
    assert len([r for r in fakes.requests if r[0] == "gemini"]) == 3


def test_without_keys_only_openrouter_and_a_failure_keeps_the_rows(db, fakes, capsys):
    assert main(["models", "refresh"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "openrouter: 4 models",
        "openai: skipped (no operator key)",
        "anthropic: skipped (no operator key)",
        "google: skipped (no operator key)",
    ]
    assert {provider for provider, _ in rows(db)} == {"openrouter"}
    fakes.fail["openrouter"] = 503
    assert main(["models", "refresh", "--provider", "openrouter"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "openrouter: failed (openrouter: the model list answered 503); its rows were kept"
    ]
    assert len(rows(db)) == 4


def test_a_wrong_operator_key_is_one_line_without_the_key(db, fakes, monkeypatch, capsys):
    monkeypatch.setenv("TZUROT_CATALOG_KEYS", json.dumps({"openai": "sk-wrong-key-123"}))
    assert main(["models", "refresh", "--provider", "openai"]) == 1
    out = capsys.readouterr().out
    assert out == (
        "openai: failed (openai: the model list answered 401 (check the operator key)); "
        "its rows were kept\n"
    )
    assert "sk-wrong" not in out


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not json sk-secret", 'must be a JSON object such as {"openai": "sk-..."}'),
        ('["sk-secret"]', "must be a JSON object"),
        ('{"elevenlabs": "sk_secret"}', "names 'elevenlabs'; expected some of"),
    ],
)
def test_bad_operator_keys_are_a_config_error_without_the_value(value, message):
    with pytest.raises(ConfigError) as raised:
        operator_keys({"TZUROT_CATALOG_KEYS": value})
    assert message in str(raised.value)
    assert "secret" not in str(raised.value)


def test_empty_catalog_and_unmigrated_database_are_one_line(empty_db_url, capsys):
    assert main(["models", "list"]) == 1
    assert capsys.readouterr().err == (
        "tzurot: error: this database has no model catalog yet: run `tzurot db migrate` first\n"
    )


def test_list_of_an_empty_catalog(db, capsys):
    assert main(["models", "list"]) == 0
    assert capsys.readouterr().out == (
        "no models in the catalog (fill it with `tzurot models refresh`)\n"
    )


def test_scheduled_function_refreshes_with_the_same_code(db, fakes, monkeypatch):
    monkeypatch.setenv("TZUROT_CATALOG_KEYS", json.dumps({"openai": fakes.openai_key}))
    app = load_app("catalog")
    summary = app.handler({"source": "aws.scheduler"}, None)
    assert summary == {
        "openrouter": "openrouter: 4 models",
        "openai": "openai: 5 models",
        "anthropic": "anthropic: skipped (no operator key)",
        "google": "google: skipped (no operator key)",
    }
    assert store.find(db, "openai", "gpt-image-2").output_modalities == ("image",)
    fakes.fail.update(openrouter=500, openai=500)
    with pytest.raises(Exception, match="openrouter: failed"):
        app.handler({}, None)
    assert len(rows(db)) == 9  # nothing lost (4 OpenRouter, 5 OpenAI)
