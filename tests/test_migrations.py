"""The Alembic migrations and the schema in ``vault.store.schema`` describe the same database."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import Cli, engine_for
from vault.store import migrations
from vault.store.schema import metadata

NOW = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)


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

    # While the old registry is built, this handover is the first release: its head is 0001,
    # so the commands that fill the registry neither upgrade it nor back it up.
    real_upgrade = migrations.upgrade
    with monkeypatch.context() as first_release:
        first_release.setattr(migrations, "HEAD", "0001")
        first_release.setattr(
            migrations,
            "upgrade",
            lambda conn, revision="head": real_upgrade(
                conn, "0001" if revision == "head" else revision
            ),
        )
        old: Cli = make_cli("old", init=False)
        old.ok("init", "--no-escrow")  # escrow recipients came in schema 0002
        old.ok("config", "domains", "add", "gujarat.gov.in")
    # A post as the first release wrote it (today's commands write columns 0001 lacks).
    engine = engine_for(old.location)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO posts (id, slug, title, level, created_at, updated_at) VALUES "
                "(:id, 'collector-ahmedabad', 'Collector', 'state', :now, :now)"
            ),
            {"id": uuid.uuid4().hex if BACKEND == "sqlite" else uuid.uuid4(), "now": NOW},
        )
    engine.dispose()
    engine = engine_for(old.location)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0001"
    engine.dispose()

    # An earlier copy with the name this upgrade would take is kept, not overwritten.
    earlier = Path(f"{old.location}.0001.20261201T000000Z.bak")
    if BACKEND == "sqlite":
        earlier.write_text("an earlier copy")
    result = old("post", "list", "--json", env={"HANDOVER_NOW": "2026-12-01T00:00:00+00:00"})
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
        backups = sorted(Path(old.location).parent.glob("old.db.0001.*.bak"))
        assert [b.name for b in backups] == [
            "old.db.0001.20261201T000000Z.1.bak",
            "old.db.0001.20261201T000000Z.bak",
        ]
        assert earlier.read_text() == "an earlier copy"
        assert backups[0].stat().st_mode & 0o077 == 0
        copy = sqlite3.connect(backups[0])
        assert copy.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
        copy.close()
    assert old.ok("log", "verify").code == 0


SCHEMA_PROBE = """
import sys, datetime as dt
from vault.store import migrations, storage
from vault.store.location import resolve

registry = storage.create_registry(
    resolve(sys.argv[1]), actor="probe", clock=lambda: dt.datetime.now(dt.UTC)
)
with registry.write(new=True) as tx:
    migrations.upgrade(tx.conn)
registry.close()
"""


def sqlite_schema(path: Path) -> str:
    """``sqlite3 FILE .schema``, as the issue asks it be compared."""
    return subprocess.run(
        ["sqlite3", str(path), ".schema"], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.sqlite_only
def test_the_schema_text_is_the_same_in_every_process(tmp_path: Path) -> None:
    """Python's hash seed changes set order from process to process; the schema must not follow
    it. Ten processes with ten seeds each make a registry; every ``.schema`` equals the one
    written down in docs/schema.sql."""
    import os
    import sys

    expected = (Path(__file__).resolve().parents[1] / "docs" / "schema.sql").read_text()
    procs = []
    for seed in range(10):
        env = {**os.environ, "PYTHONHASHSEED": str(seed)}
        path = tmp_path / f"r{seed}.db"
        procs.append(
            (path, subprocess.Popen([sys.executable, "-c", SCHEMA_PROBE, str(path)], env=env))
        )
    for path, proc in procs:
        assert proc.wait(timeout=120) == 0
        assert sqlite_schema(path) == expected, f"{path.name} differs from docs/schema.sql"


@pytest.mark.sqlite_only
def test_an_upgraded_registry_has_the_schema_text_of_a_new_one(make_cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A registry made at the first schema and upgraded ends with exactly the new text."""
    real_upgrade = migrations.upgrade
    with monkeypatch.context() as first_release:
        first_release.setattr(migrations, "HEAD", "0003")
        first_release.setattr(
            migrations,
            "upgrade",
            lambda conn, revision="head": real_upgrade(
                conn, "0003" if revision == "head" else revision
            ),
        )
        old: Cli = make_cli("old")
    old.ok("post", "list")
    expected = (Path(__file__).resolve().parents[1] / "docs" / "schema.sql").read_text()
    assert sqlite_schema(Path(old.location)) == expected
