"""Every query of the catalog gives the same rows on SQLite (compiled text on the standard
library's ``sqlite3``) as on PostgreSQL (the statement through SQLAlchemy), and every command that
reads through it prints the same on both.

The PostgreSQL registry is built with the CLI and then copied row for row into a new SQLite
registry, so both hold the same records with the same ids and times: any difference is the
reading's, not the data's.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bench import dataset
from tests.conftest import Cli, engine_for
from vault.store import compiled, migrations, queries, reads, schema

pytestmark = pytest.mark.postgres_only


def _build(cli: Cli, root: Path) -> None:
    """Posts, officers and accounts from the district sheets, then every kind of record a read
    returns: personal accounts, overrides, verification with evidence, a rename, an archive,
    page roles (one ended), rotation deadlines, and text that needs escaping in JSON."""
    files = dataset.write(root / "sheets", 120)
    cli.ok("config", "domains", "add", dataset.DOMAIN)
    for kind, path in (("posts", files.posts), ("officers", files.officers)):
        cli.ok("import", kind, str(path))
    cli.ok("import", "accounts", str(files.accounts))
    cli.ok("import", "groups", str(files.groups))
    cli.ok("group", "admins", "district-ahmedabad", "--add-phone", "+919900000010")
    cli.ok("account", "add", "x:@Own", "--kind", "personal", "--officer", "off-000001")
    cli.ok(
        "account", "add", "facebook:legacy.page", "--post", "collector-anand",
        "--login-email", "someone@gmail.com", "--allow-personal", 'legacy "page"\tmoving\u202e',
    )  # fmt: skip
    cli.ok("account", "verify", "facebook:legacy.page", "--status", "verified",
           "--evidence", "mail of 02/03/2026 \u0a95\u0ab2\u0ac7\u0a95\u0acd\u0a9f\u0ab0",
           "--on", "02/03/2026")  # fmt: skip
    cli.ok("account", "rename", "facebook:legacy.page", "legacy.page2")
    cli.ok("account", "archive", "x:@Own", "--reason", "closed")
    cli.ok("account", "role", "add", "facebook:legacy.page2", "--officer", "off-000001",
           "--role", "admin")  # fmt: skip
    cli.ok("account", "role", "add", "facebook:legacy.page2", "--officer", "off-000002",
           "--role", "editor")  # fmt: skip
    cli.ok("account", "role", "end", "facebook:legacy.page2", "--officer", "off-000002",
           "--role", "editor")  # fmt: skip
    cli.ok("identity", "create", "--officer", "off-000001")
    cli.ok("log", "checkpoint", "-o", str(root / "it-cell.checkpoint"))
    order = root / "order.csv"
    order.write_text(
        "order_no,order_date,officer,from_post,to_post,effective_date\n"
        "GAD/1/2026,01/11/2026,off-000003,collector-anand,,31/12/2099\n"
    )
    cli.ok("transfers", "import", str(order))
    with engine_for(cli.location).begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE accounts SET rotation_due_at = :t, rotation_reason = 'handover' "
                "WHERE handle LIKE '@collector_anand%'"
            ),
            {"t": dt.datetime(2026, 12, 1, 9, 30, 0, 250000, tzinfo=dt.UTC)},
        )
        # A packet sent for the post in transfer (custody is written by 'packet create').
        post_id = conn.execute(
            sa.select(schema.posts.c.id).where(schema.posts.c.slug == "collector-anand")
        ).scalar_one()
        moment = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)
        conn.execute(
            schema.custody.insert().values(
                id=uuid.uuid4(), packet_id=uuid.uuid4(), direction="sent", post_id=post_id,
                from_officer="off-000003", to_officer="off-000004", packet_sha256="0" * 64,
                created_at=moment, expires_at=moment + dt.timedelta(days=30),
                recorded_at=moment, capacity="holder",
            )
        )  # fmt: skip


def _copy_to_sqlite(source: str, target: Path) -> None:
    """The registry at ``source`` (PostgreSQL) as a SQLite file with the same rows."""
    src, dst = engine_for(source), engine_for(str(target))
    try:
        with src.connect() as reading, dst.begin() as writing:
            migrations.upgrade(writing)
            for table in schema.metadata.sorted_tables:
                writing.execute(table.delete())
                rows = [dict(r._mapping) for r in reading.execute(sa.select(table))]
                if rows:
                    writing.execute(table.insert(), rows)
    finally:
        src.dispose()
        dst.dispose()


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """(the PostgreSQL CLI, the same registry on SQLite, and facts for parameters)."""
    from tests.conftest import _cli_factory, _drop, _new_location

    root = tmp_path_factory.mktemp("reads")
    made: list[str] = []
    cli = _cli_factory(root, lambda n: _new_location(root, n, made))("pg")
    _build(cli, root)
    copy = root / "copy.db"
    _copy_to_sqlite(cli.location, copy)
    engine = engine_for(cli.location)
    with engine.connect() as conn:
        facts = {
            "accounts": conn.execute(sa.select(schema.accounts)).all(),
            "posts": conn.execute(sa.select(schema.posts.c.id)).scalars().all(),
            "officers": conn.execute(sa.select(schema.officers.c.id)).scalars().all(),
            "names": conn.execute(sa.select(schema.account_names)).all(),
            "settings": conn.execute(sa.select(schema.settings.c.name)).scalars().all(),
            "keys": conn.execute(sa.select(schema.data_keys.c.id)).scalars().all(),
            "slugs": conn.execute(sa.select(schema.posts.c.slug)).scalars().all(),
            "service_ids": conn.execute(sa.select(schema.officers.c.service_id)).scalars().all(),
            "custody": conn.execute(
                sa.select(schema.custody.c.packet_id, schema.custody.c.direction)
            ).all(),
        }
    engine.dispose()
    yield cli, dataclasses.replace(cli, location=str(copy)), facts
    _drop(made)


def _listing(facts: dict[str, Any]) -> list[dict[str, Any]]:
    empty = dict.fromkeys(("post", "district", "level", "platform", "status", "kind"))
    return [
        {**empty, "archived": False},
        {**empty, "archived": True},
        {**empty, "post": "collector-anand", "archived": False},
        {**empty, "district": "anand", "platform": "x", "archived": False},
        {**empty, "level": "state", "status": "verified", "archived": False},
        {**empty, "kind": "personal", "archived": True},
        {**empty, "status": "lapsed", "archived": False},
    ]


def _some(rows: list[Any], n: int = 12) -> list[Any]:
    return rows[:: max(1, len(rows) // n)]


def _ids(ids: list[Any]) -> dict[str, Any]:
    """Parameters of a query by a list of ids (:func:`vault.store.reads.rows_by_ids`)."""
    padded = [*ids, *[None] * (compiled.IDS_AT_ONCE - len(ids))]
    return {f"id_{i}": value for i, value in enumerate(padded)}


# For each query, the parameters it is run with: ids and keys taken from the data, so that each
# query returns rows at least once (checked below).
PARAMETERS: dict[str, Callable[[dict[str, Any]], list[dict[str, Any]]]] = {
    "settings_all": lambda f: [{}],
    "post_by_slug": lambda f: [{"slug": s} for s in [*_some(f["slugs"]), "no-such-post"]],
    "officer_by_service_id": lambda f: [
        {"service_id": s} for s in [*_some(f["service_ids"]), "no-such-officer"]
    ],
    "current_identity": lambda f: [{"officer_id": i} for i in f["officers"]],
    "custody_of_packet": lambda f: [
        {"packet_id": c.packet_id, "direction": d}
        for c in f["custody"]
        for d in (c.direction, "received")
    ],
    "events_head": lambda f: [{}],
    "setting": lambda f: [{"name": n} for n in [*f["settings"], "no such setting"]],
    "account_by_handle": lambda f: (
        [{"platform": a.platform, "key": a.handle_key} for a in _some(f["accounts"])]
        + [{"platform": "x", "key": "@nobody"}]
    ),
    "account_by_former_handle": lambda f: [
        {"platform": n.platform, "key": n.handle_key} for n in f["names"]
    ],
    "post_slug": lambda f: [{"id": i} for i in _some(f["posts"])],
    "officer_service_id": lambda f: [{"id": i} for i in _some(f["officers"])],
    "former_handles": lambda f: [{"account_id": a.id} for a in f["accounts"]],
    "verification_history": lambda f: [{"account_id": a.id} for a in _some(f["accounts"], 40)],
    "contact_overrides": lambda f: [{"account_id": a.id} for a in f["accounts"]],
    "page_roles": lambda f: [
        {"account_id": a, "post_id": p, "ended": e}
        for a in (None, *(x.id for x in f["accounts"] if x.handle == "legacy.page2"))
        for p in (None, *{x.post_id for x in f["accounts"] if x.handle == "legacy.page2"})
        for e in (False, True)
    ],
    "verification_counts": lambda f: [{}],
    "account_listing": _listing,
    "account_listing_table": _listing,
    **dict.fromkeys(
        (
            "audit_posts",
            "audit_officers",
            "audit_tenures",
            "audit_identities",
            "audit_accounts",
            "audit_overrides",
            "audit_groups",
            "audit_group_admins",
            "audit_group_admin_phones",
            "audit_custody",
            "audit_roles",
            "events_raw",
            "stored_checkpoints",
            "post_account_counts",
            "official_domains",
            "official_phones",
            "escrow_recipients",
            "registry_key_id",
        ),
        lambda f: [{}],
    ),
    "events_of_action_since": lambda f: [
        {"action": action, "since": since}
        for action in ("account.add", "account.rename", "no.such.action")
        for since in (dt.datetime(2000, 1, 1, tzinfo=dt.UTC), dt.datetime.now(dt.UTC))
    ],
    "signing_keys_of": lambda f: [{"service_id": s} for s in ("off-000001", "off-000002")],
    "audit_passwords_of": lambda f: [
        _ids([a.id for a in _some(f["accounts"])]),
        _ids([uuid.uuid4()]),
        _ids([]),
    ],
    "transfer_lines": lambda f: [{"order_no": n} for n in (None, "GAD/1/2026", "none")],
    "key_slots_of": lambda f: [{"key_id": k} for k in f["keys"]],
}


def test_every_query_has_parameters() -> None:
    assert set(PARAMETERS) == set(queries.QUERIES) == set(compiled.QUERIES)


# Queries whose rows come in no particular order (the audit sorts what it reports).
UNORDERED = {"audit_accounts", "audit_passwords_of"}


def _as_stored(rows: list[Any], kinds: tuple[str | None, ...]) -> list[tuple[Any, ...]]:
    """Rows with the values queries leave as stored (kind None: raw ids, a log entry's time)
    written as SQLite stores them: PostgreSQL's driver gives those as UUIDs and datetimes.
    Every other value is compared as it is."""

    def stored(value: Any, kind: str | None) -> Any:
        if kind is None and isinstance(value, uuid.UUID):
            return value.hex
        if kind is None and isinstance(value, dt.datetime):
            return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        return value

    return [tuple(stored(v, k) for v, k in zip(row, kinds, strict=True)) for row in rows]


def test_every_query_gives_the_same_rows_on_both(both: Any) -> None:
    pg_cli, sqlite_cli, facts = both
    plain = sqlite3.connect(sqlite_cli.location)
    engine = engine_for(pg_cli.location)
    try:
        with engine.connect() as conn:
            on_sqlite, on_pg = reads.SqliteReader(plain), reads.AlchemyReader(conn)
            for name, make in PARAMETERS.items():
                found = 0
                kinds = compiled.QUERIES[name][2]
                for params in make(facts):
                    expected = _as_stored(on_pg.all(name, **params), kinds)
                    got = _as_stored(on_sqlite.all(name, **params), kinds)
                    if name in UNORDERED:
                        expected, got = sorted(expected, key=repr), sorted(got, key=repr)
                    assert got == expected, (name, params)
                    assert [type(v) for r in got for v in r] == [
                        type(v) for r in expected for v in r
                    ], (name, params)
                    found += len(expected)
                assert found, f"{name} returned no rows for any of its parameters"
            for name in compiled.JSON:
                for params in PARAMETERS[name](facts):
                    texts = list(on_sqlite.json(name, **params))
                    assert texts == list(on_pg.json(name, **params)), (name, params)
                    rows = on_pg.all(name, **params)
                    kinds = compiled.QUERIES[name][2]
                    assert [json.loads(t) for t in texts] == [
                        {
                            k: reads.json_value(kind, v)
                            for (k, v), kind in zip(r._asdict().items(), kinds, strict=True)
                        }
                        for r in rows
                    ]
    finally:
        engine.dispose()
        plain.close()


def test_a_query_by_ids_reads_more_ids_than_it_takes_at_once(both: Any) -> None:
    pg_cli, sqlite_cli, facts = both
    accounts = {a.id.hex for a in facts["accounts"]}
    assert len(accounts) > compiled.IDS_AT_ONCE
    ids = [*(a.id for a in facts["accounts"]), uuid.uuid4()]
    plain = sqlite3.connect(sqlite_cli.location)
    engine = engine_for(pg_cli.location)
    try:
        with engine.connect() as conn:
            for reader in (reads.SqliteReader(plain), reads.AlchemyReader(conn)):
                found = reads.rows_by_ids(reader, "audit_passwords_of", ids)
                assert sorted(uuid.UUID(str(a.id)).hex for a in found) == sorted(accounts)
    finally:
        engine.dispose()
        plain.close()


COMMANDS = [
    ("account", "list"),
    ("account", "list", "--json"),
    ("account", "list", "--format", "csv"),
    ("account", "list", "--archived", "--kind", "personal"),
    ("account", "list", "--district", "Anand", "--json"),
    ("account", "show", "facebook:legacy.page"),
    ("account", "show", "facebook:legacy.page2", "--json"),
    ("account", "show", "x:@Own", "--json"),
    ("account", "role", "list", "--format", "json"),
    ("audit", "--format", "json"),
    ("audit", "--format", "csv", "--district", "Anand"),
    ("transfers", "status", "--format", "json"),
    ("log", "verify"),
]


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_commands_print_the_same_on_both(both: Any, args: tuple[str, ...]) -> None:
    pg_cli, sqlite_cli, _ = both
    on_pg = pg_cli.ok(*args).stdout
    assert sqlite_cli.ok(*args).stdout == on_pg
    assert on_pg.strip() not in ("", "[]", "(none)")
