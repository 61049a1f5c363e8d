"""The event log: every change recorded, and tampering caught by 'log verify'.

On SQLite the registry file is edited with the sqlite3 tool, as an attacker with the file would;
on PostgreSQL, by the table owner who disables the append-only triggers.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import BACKEND, Cli, engine_for
from vault.store import journal as events


def tamper(cli: Cli, *statements: str) -> None:
    """Run SQL against the registry with its append-only protection removed."""
    if BACKEND == "sqlite":
        assert shutil.which("sqlite3"), "sqlite3 is missing: run scripts/system-deps"
        script = (
            ";\n".join(
                [
                    "DROP TRIGGER events_no_update",
                    "DROP TRIGGER events_no_delete",
                    "DROP TRIGGER checkpoints_no_delete",
                    *statements,
                ]
            )
            + ";"
        )
        subprocess.run(["sqlite3", cli.location, script], check=True, timeout=30)
        return
    engine = engine_for(cli.location)
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE events DISABLE TRIGGER USER"))
        conn.execute(sa.text("ALTER TABLE checkpoints DISABLE TRIGGER USER"))
        for statement in statements:
            conn.exec_driver_sql(statement)
    engine.dispose()


def verify_fails(cli: Cli, *args: str) -> str:
    result = cli("log", "verify", *args)
    assert result.code == 3, result.stdout  # 3: it ran, and found tampering
    return result.stderr.strip()


def test_every_change_is_logged_without_secrets(seeded: Cli) -> None:
    seeded.ok("account", "set-password", "x:@CollectorAhd", input="Sup3r-Secret!\n")
    entries = seeded.json("log", "list")
    actions = [e["action"] for e in entries]
    assert actions[:4] == ["key.slot.add", "key.slot.add", "escrow.add", "registry.init"]
    assert actions[4:] == [
        "domain.add",
        "post.add",
        "officer.add",
        "tenure.start",
        "account.add",
        "credential.password.set",
    ]
    assert all(e["actor"] == "tester (declared)" for e in entries[4:])
    assert "Sup3r-Secret" not in json.dumps(entries)
    about = seeded.json("log", "list", "--object", "x:@collectorahd")
    assert [e["action"] for e in about] == ["account.add", "credential.password.set"]
    assert seeded.json("log", "list", "--since", "2999-01-01") == []
    assert seeded.ok("log", "verify").stdout.startswith("log verified: 10 entries")


def test_a_failed_change_logs_nothing(seeded: Cli) -> None:
    before = seeded.json("log", "list")
    seeded.fails(
        "account",
        "add",
        "facebook:x",
        "--post",
        "collector-ahmedabad",
        "--login-email",
        "someone@gmail.com",
    )
    assert seeded.json("log", "list") == before


@pytest.mark.parametrize(
    ("statements", "entry", "words"),
    [
        (
            ['UPDATE events SET details = \'{"title":"Collector, Surat"}\' WHERE seq = 5'],
            5,
            "altered",
        ),
        (["UPDATE events SET actor = 'mallory' WHERE seq = 3"], 3, "altered"),
        (["DELETE FROM events WHERE seq = 4"], 4, "missing"),
        (
            [
                "UPDATE events SET seq = 100 WHERE seq = 4",
                "UPDATE events SET seq = 4 WHERE seq = 6",
                "UPDATE events SET seq = 6 WHERE seq = 100",
            ],
            4,
            "does not link",
        ),
    ],
    ids=["edit-details", "edit-actor", "delete-one", "reorder-two"],
)
def test_tampering_is_detected(seeded: Cli, statements: list[str], entry: int, words: str) -> None:
    seeded.ok("log", "verify")
    tamper(seeded, *statements)
    line = verify_fails(seeded)
    assert f"log broken at entry {entry}" in line
    assert words in line


MALFORMED = [
    pytest.param(["UPDATE events SET details = '{not json' WHERE seq = 6"], id="details"),
    pytest.param(
        ["UPDATE events SET at = 'the fifth of never' WHERE seq = 6"],
        id="time",
        marks=pytest.mark.sqlite_only,  # PostgreSQL's column holds only times
    ),
    pytest.param(
        ["UPDATE events SET id = 'not-a-uuid' WHERE seq = 6"],
        id="id",
        marks=pytest.mark.sqlite_only,
    ),
]


@pytest.mark.parametrize("statements", MALFORMED)
def test_a_malformed_entry_is_named_not_a_crash(seeded: Cli, statements: list[str]) -> None:
    """An entry edited into something unreadable is a verification failure at that entry; the
    listing still shows it (as malformed), and the audit still reports everything else."""
    tamper(seeded, *statements)
    line = verify_fails(seeded)
    assert line.startswith("handover: log broken at entry 6: entry 6 is malformed"), line
    listed = seeded.json("log", "list")
    assert [e["seq"] for e in listed] == list(range(1, len(listed) + 1))
    assert "malformed" in listed[5] and all("malformed" not in e for e in listed[:5])
    assert "post.add" in seeded.ok("log", "list").stdout
    report = seeded("audit", "--format", "json")
    findings = json.loads(report.stdout)["findings"]
    rules = {f["rule"] for f in findings}
    assert "log.broken" in rules
    assert "verification.unverified" in rules  # the rest of the report is still there


def test_a_cut_tail_is_caught_against_a_checkpoint(seeded: Cli) -> None:
    seeded.ok("identity", "create", "--officer", "ias-0042")
    checkpoint = seeded.home / "it-cell.checkpoint"
    signed = seeded.json("log", "checkpoint", "-o", str(checkpoint))
    seeded.ok("post", "add", "dio-ahmedabad", "--title", "DIO", "--level", "state")
    size = signed["size"]
    # The tail (the checkpoint's own entries and later) is cut, and the attacker also removes
    # the checkpoints kept in the registry: only the IT cell's file still knows.
    tamper(seeded, f"DELETE FROM events WHERE seq >= {size - 1}", "DELETE FROM checkpoints")
    assert seeded.ok("log", "verify").code == 0  # the chain alone cannot see a cut tail
    line = verify_fails(seeded, "--checkpoint", str(checkpoint))
    assert f"saw {size} entries" in line
    assert "tail was cut" in line


def test_a_rewritten_history_is_caught_against_a_checkpoint(seeded: Cli) -> None:
    """An attacker who edits entry 5 and recomputes every later hash keeps the chain whole."""
    seeded.ok("identity", "create", "--officer", "ias-0042")
    checkpoint = seeded.home / "it-cell.checkpoint"
    seeded.ok("log", "checkpoint", "-o", str(checkpoint))
    engine = engine_for(seeded.location)
    with engine.connect() as conn:
        rows = [
            dict(r._mapping) for r in conn.execute(sa.text("SELECT * FROM events ORDER BY seq"))
        ]
    engine.dispose()
    prev = events.GENESIS
    updates = []
    for row in rows:
        if row["seq"] == 5:
            row["details"] = '{"title":"Collector, Surat"}'
        row["prev_hash"] = prev

        class R:
            pass

        obj = R()
        obj.__dict__.update(row)
        if BACKEND == "sqlite":
            import datetime as dt
            import uuid

            obj.at = dt.datetime.fromisoformat(str(row["at"])).replace(tzinfo=dt.UTC)
            obj.id = uuid.UUID(str(row["id"]))
        prev = events.entry_hash(prev, events.content_of(obj))
        updates.append(
            f"UPDATE events SET details = '{row['details']}', prev_hash = "
            f"'{row['prev_hash']}', hash = '{prev}' WHERE seq = {row['seq']}"
        )
    tamper(seeded, *updates)
    line = verify_fails(seeded, "--checkpoint", str(checkpoint))
    assert "history was rewritten" in line


def test_checkpoint_files_are_checked(seeded: Cli, make_cli) -> None:  # type: ignore[no-untyped-def]
    seeded.ok("identity", "create", "--officer", "ias-0042")
    checkpoint = seeded.home / "cp"
    seeded.ok("log", "checkpoint", "-o", str(checkpoint))
    flipped = bytearray(checkpoint.read_bytes())
    flipped[60] ^= 1
    bad = seeded.home / "bad-cp"
    bad.write_bytes(bytes(flipped))
    assert "damaged or not authentic" in seeded.fails("log", "verify", "--checkpoint", str(bad))
    other = make_cli("other")
    assert "another registry" in other.fails("log", "verify", "--checkpoint", str(checkpoint))
    assert "no officer identity" in other.fails("log", "checkpoint")


def test_log_list_for_unknown_object(seeded: Cli) -> None:
    assert "no post, officer, account or group" in seeded.fails("log", "list", "--object", "nobody")


@pytest.mark.sqlite_only
def test_session_as_written_on_sqlite(seeded: Cli) -> None:
    assert seeded.run("log", "verify").code == 0
    subprocess.run(
        [
            "sqlite3",
            seeded.location,
            "DROP TRIGGER events_no_update; UPDATE events SET actor = 'x' WHERE seq = 3",
        ],
        check=True,
    )
    result = seeded.run("log", "verify")
    assert result.code == 3
    assert "entry 3" in result.stderr
    assert Path(seeded.location).exists()
