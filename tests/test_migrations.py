"""The Alembic migrations and the schema in ``vault.schema`` describe the same database."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa

from tests.conftest import Cli, engine_for
from vault import migrations
from vault.schema import metadata


def test_head_constant_matches_the_script_directory() -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrations.alembic_config())  # type: ignore[arg-type]
    assert script.get_heads() == [migrations.HEAD]
    ordered = [rev.revision for rev in reversed(list(script.walk_revisions()))]
    assert tuple(ordered) == migrations.REVISIONS


def test_migrated_schema_matches_the_tables(cli: Cli) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = engine_for(cli.location)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert diff == []


@pytest.mark.parametrize("statement", ["UPDATE events SET actor = 'mallory'", "DELETE FROM events"])
def test_the_event_log_refuses_update_and_delete(seeded: Cli, statement: str) -> None:
    engine = engine_for(seeded.location)
    with engine.connect() as conn, pytest.raises(sa.exc.DBAPIError, match="append-only"):
        conn.execute(sa.text(statement))
    engine.dispose()


def test_new_registry_records_head(new_location: Callable[[str], str], cli: Cli) -> None:
    engine = engine_for(cli.location)
    with engine.connect() as conn:
        assert (
            conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
            == migrations.HEAD
        )
    engine.dispose()


def test_an_older_registry_is_upgraded_with_a_backup_first(
    make_cli,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    """A registry made by the first release (schema 0001) opens in this one."""
    from tests.conftest import BACKEND

    real_upgrade = migrations.upgrade
    monkeypatch.setattr(
        migrations,
        "upgrade",
        lambda conn, revision="head": real_upgrade(
            conn, "0001" if revision == "head" else revision
        ),
    )
    old: Cli = make_cli("old")
    old.ok("config", "domains", "add", "gujarat.gov.in")
    old.ok("post", "add", "collector-ahmedabad", "--title", "Collector", "--level", "state")
    monkeypatch.setattr(migrations, "upgrade", real_upgrade)
    engine = engine_for(old.location)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0001"
    engine.dispose()

    result = old("post", "list", "--json")
    assert result.code == 0, result.stderr
    assert "upgraded" in result.stderr
    assert "from schema 0001" in result.stderr
    assert [p["slug"] for p in result.json()] == ["collector-ahmedabad"]
    engine = engine_for(old.location)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == (
            migrations.HEAD
        )
    engine.dispose()
    if BACKEND == "sqlite":
        from pathlib import Path

        backups = list(Path(old.location).parent.glob("old.db.0001.*.bak"))
        assert len(backups) == 1
        assert backups[0].stat().st_mode & 0o077 == 0
    assert old.ok("log", "verify").code == 0
