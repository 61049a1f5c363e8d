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
