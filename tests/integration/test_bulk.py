"""The driver-level bulk insert stores exactly what SQLAlchemy's own insert stores."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa

from tests.conftest import Cli, engine_for
from vault.store import bulk, schema


def test_bulk_and_orm_inserts_read_back_the_same(cli: Cli) -> None:
    now = dt.datetime(2026, 11, 28, 10, 30, 15, 123456, tzinfo=dt.UTC)
    rows = []
    for i, (micro, flag) in enumerate(((123456, True), (0, False), (7, None))):
        rows.append(
            {
                "id": uuid.uuid4(),
                "platform": "x",
                "handle": f"@h{i}",
                "handle_key": f"h{i}",
                "url": None,
                "post_id": None,
                "officer_id": None,
                "kind": "personal",
                "disclaimer": flag,
                "login_email": None,
                "login_phone": None,
                "recovery_email": None,
                "recovery_phone": None,
                "twofa_method": "none",
                "twofa_phone": None,
                "twofa_holder": None,
                "verification": "verified",
                "verification_date": dt.date(2026, 1, 2),
                "password_sealed": b"\x00\x01",
                "password_changed_at": now.replace(microsecond=micro),
                "totp_sealed": None,
                "totp_changed_at": None,
                "recovery_codes_sealed": None,
                "recovery_codes_changed_at": None,
                "notes_sealed": None,
                "notes_changed_at": None,
                "rotation_due_at": None,
                "rotation_reason": None,
                "created_at": now,
                "updated_at": now,
            }
        )
    engine = engine_for(cli.location)
    with engine.begin() as conn:
        bulk.insert_dicts(conn, schema.accounts, rows[:2])
        conn.execute(
            schema.accounts.insert(),
            [
                {
                    **r,
                    "handle": r["handle"] + "o",
                    "handle_key": r["handle_key"] + "o",
                    "id": uuid.uuid4(),
                }
                for r in rows[:2]
            ],
        )
        bulk.insert_dicts(conn, schema.accounts, rows[2:])
    with engine.connect() as conn:
        raw = {
            r.handle: r
            for r in conn.execute(
                sa.text(
                    "SELECT handle, disclaimer, password_changed_at, verification_date, "
                    "password_sealed FROM accounts"
                )
            )
        }
        typed = {r.handle: r for r in conn.execute(sa.select(schema.accounts))}
    engine.dispose()
    for i in range(2):
        mine, theirs = raw[f"@h{i}"], raw[f"@h{i}o"]
        assert tuple(mine[1:]) == tuple(theirs[1:])
        assert typed[f"@h{i}"].password_changed_at == rows[i]["password_changed_at"]
        assert typed[f"@h{i}"].id == rows[i]["id"]
        assert typed[f"@h{i}"].disclaimer == rows[i]["disclaimer"]
    assert typed["@h2"].disclaimer is None
