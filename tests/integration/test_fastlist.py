"""The standard-library listing of a SQLite registry prints exactly what the SQLAlchemy path
prints, for every filter; and it stands aside where it must."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from bench import dataset
from tests.conftest import Cli, engine_for
from vault.records import accounts
from vault.store import fastlist, storage
from vault.store.location import resolve

FILTERS = [
    {},
    {"post": "collector-ahmedabad"},
    {"district": "KHEDA"},
    {"level": "state"},
    {"platform": "twitter"},
    {"status": "lapsed"},
    {"kind": "personal"},
    {"district": "kheda", "platform": "x", "status": "verified"},
]


@pytest.mark.sqlite_only
def test_both_listings_agree(cli: Cli, tmp_path: Path) -> None:
    files = dataset.write(tmp_path / "sheets", 300)
    cli.ok("config", "domains", "add", dataset.DOMAIN)
    for kind, path in (
        ("posts", files.posts),
        ("officers", files.officers),
        ("accounts", files.accounts),
    ):
        cli.ok("import", kind, str(path))
    cli.ok(
        "account", "add", "x:@Own", "--kind", "personal", "--officer", "off-000001", "--disclaimer"
    )
    cli.ok("account", "add", "x:@Own2", "--kind", "personal", "--officer", "off-000002")
    engine = engine_for(cli.location)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE accounts SET rotation_due_at = :t, rotation_reason = 'r' "
                "WHERE handle LIKE '@collector_kheda%'"
            ),
            {"t": dt.datetime(2026, 12, 1, 9, 30, 0)},
        )
    engine.dispose()
    registry = storage.open_registry(
        resolve(cli.location), actor="t", clock=lambda: dt.datetime.now(dt.UTC)
    )
    try:
        for filters in FILTERS:
            fast = fastlist.listing(cli.location, **filters)
            assert fast is not None
            fast_rows = list(fast)
            slow_rows = list(accounts.iter_listing(registry, accounts.Filters(**filters)))
            assert fast_rows == slow_rows, filters
            assert [list(r) for r in fast_rows] == [list(r) for r in slow_rows]
            if not filters:
                assert len(fast_rows) == 302
    finally:
        registry.close()


def test_the_fast_path_stands_aside(tmp_path: Path, cli: Cli) -> None:
    assert fastlist.listing(str(tmp_path / "missing.db")) is None
    older = tmp_path / "older.db"
    engine = engine_for(str(older))
    with engine.begin() as conn:
        from vault.store import migrations

        migrations.upgrade(conn, "0003")
    engine.dispose()
    assert fastlist.listing(str(older)) is None  # needs upgrading: the SQLAlchemy path's job
    if cli.location.startswith("postgresql"):
        assert fastlist.listing(cli.location) is None
