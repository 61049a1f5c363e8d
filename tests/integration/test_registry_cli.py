"""The registry through the CLI: posts, officers, tenures, accounts, contacts, verification,
groups and configuration, on a real registry."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.conftest import BACKEND, Cli


def test_foundation_session(seeded: Cli) -> None:
    cli = seeded
    line = cli.fails(
        "account",
        "add",
        "facebook:collectorahd",
        "--post",
        "collector-ahmedabad",
        "--login-email",
        "someone@gmail.com",
    )
    assert "someone@gmail.com is not on an official domain" in line
    assert "--allow-personal" in line
    cli.ok(
        "account",
        "add",
        "facebook:collectorahd",
        "--post",
        "collector-ahmedabad",
        "--login-email",
        "someone@gmail.com",
        "--allow-personal",
        "legacy page, moving to official email",
    )
    cli.ok(
        "account",
        "verify",
        "x:@CollectorAhd",
        "--status",
        "applied",
        "--evidence",
        "request of 2026-02-01",
    )
    line = cli.fails("account", "verify", "x:@CollectorAhd", "--status", "lapsed")
    assert "cannot become lapsed" in line

    listed = cli.json("account", "list")
    assert [a["ref"] for a in listed] == ["facebook:collectorahd", "x:@CollectorAhd"]
    assert all("password" not in a for a in listed)

    shown = cli.json("account", "show", "x:@CollectorAhd")
    assert shown["post"] == "collector-ahmedabad"
    assert shown["login_email"] == "collector.ahd@gujarat.gov.in"
    assert shown["login_phone"] == "+919978400001"
    assert shown["verification"] == "applied"
    assert [(h["from_status"], h["to_status"]) for h in shown["history"]] == [
        (None, "unverified"),
        ("unverified", "applied"),
    ]
    assert shown["history"][1]["evidence"] == "request of 2026-02-01"
    assert shown["history"][1]["recorded_by"] == "tester (declared)"

    override = cli.json("account", "show", "facebook:collectorahd")["overrides"]
    assert [(o["field"], o["value"], o["reason"]) for o in override] == [
        ("login_email", "someone@gmail.com", "legacy page, moving to official email")
    ]


def test_post_officer_and_tenure_views(seeded: Cli) -> None:
    cli = seeded
    post = cli.json("post", "show", "collector-ahmedabad")
    assert post["post"]["holder"] == "ias-0042"
    assert post["accounts"] == ["x:@CollectorAhd"]
    assert post["tenures"] == [
        {
            "post": "collector-ahmedabad",
            "officer": "ias-0042",
            "officer_name": "Asha Mehta",
            "start_date": "2026-01-01",
            "end_date": None,
        }
    ]
    cli.ok("officer", "add", "ias-0077", "--name", "Ravi Desai")
    cli.ok("officer", "assign", "ias-0077", "collector-ahmedabad", "--from", "2026-07-01")
    tenures = cli.json("post", "show", "collector-ahmedabad")["tenures"]
    assert [(t["officer"], t["start_date"], t["end_date"]) for t in tenures] == [
        ("ias-0042", "2026-01-01", "2026-07-01"),
        ("ias-0077", "2026-07-01", None),
    ]
    assert cli.json("officer", "show", "ias-0042")["officer"]["posts"] == []
    cli.ok("officer", "relieve", "ias-0077", "collector-ahmedabad", "--on", "2026-08-01")
    vacant = cli.json("post", "list", "--vacant")
    assert [p["slug"] for p in vacant] == ["collector-ahmedabad"]
    table = cli.ok("post", "list").stdout
    assert "collector-ahmedabad" in table and "Collector, Ahmedabad" in table


def test_official_contact_rules(seeded: Cli) -> None:
    cli = seeded
    line = cli.fails(
        "account",
        "add",
        "instagram:ahd",
        "--post",
        "collector-ahmedabad",
        "--login-phone",
        "+919812345678",
    )
    assert "not the official phone number of any post or officer" in line
    cli.ok("officer", "edit", "ias-0042", "--phone", "+919812345678")
    cli.ok(
        "account",
        "add",
        "instagram:ahd",
        "--post",
        "collector-ahmedabad",
        "--login-phone",
        "+919812345678",
        "--recovery-email",
        "dio@revenue.gujarat.gov.in",
    )
    line = cli.fails("account", "edit", "instagram:ahd", "--recovery-email", "me@yahoo.com")
    assert "recovery email" in line
    cli.ok(
        "account",
        "edit",
        "instagram:ahd",
        "--recovery-email",
        "me@yahoo.com",
        "--allow-personal",
        "officer's own until the DIO mailbox exists",
    )
    # The override covers that value: editing something else does not ask again.
    cli.ok("account", "edit", "instagram:ahd", "--url", "https://instagram.com/ahd")
    line = cli.fails(
        "post",
        "add",
        "dio-ahmedabad",
        "--title",
        "DIO",
        "--level",
        "district",
        "--district",
        "Ahmedabad",
        "--email",
        "dio@gmail.com",
    )
    assert "must be official" in line


def test_personal_accounts_track_the_disclaimer(seeded: Cli) -> None:
    cli = seeded
    line = cli.fails("account", "add", "x:@AshaMehta", "--kind", "personal")
    assert "needs --officer" in line
    account = cli.json(
        "account",
        "add",
        "x:@AshaMehta",
        "--kind",
        "personal",
        "--officer",
        "ias-0042",
        "--login-email",
        "asha@gmail.com",
    )
    assert account["kind"] == "personal"
    assert account["disclaimer"] is False
    assert cli.json("account", "edit", "x:@AshaMehta", "--disclaimer")["disclaimer"] is True
    assert cli.json("officer", "show", "ias-0042")["personal_accounts"] == ["x:@AshaMehta"]


def test_handles_are_matched_without_case_or_at_sign(seeded: Cli) -> None:
    cli = seeded
    assert cli.json("account", "show", "x:collectorahd")["ref"] == "x:@CollectorAhd"
    assert cli.json("account", "show", "twitter:@COLLECTORAHD")["ref"] == "x:@CollectorAhd"
    line = cli.fails("account", "add", "x:collectorAHD", "--post", "collector-ahmedabad")
    assert "already exists" in line


def test_groups(seeded: Cli) -> None:
    cli = seeded
    group = cli.json(
        "group",
        "add",
        "ahd-district",
        "--name",
        "Ahmedabad district officers",
        "--level",
        "district",
        "--district",
        "Ahmedabad",
        "--admin",
        "collector-ahmedabad",
    )
    assert group["platform"] == "whatsapp"
    assert group["admins"] == ["collector-ahmedabad"]
    cli.fails("group", "add", "x", "--name", "X", "--level", "district")
    cli.ok(
        "post",
        "add",
        "dio-ahmedabad",
        "--title",
        "DIO, Ahmedabad",
        "--level",
        "district",
        "--district",
        "Ahmedabad",
    )
    group = cli.json(
        "group",
        "admins",
        "ahd-district",
        "--add",
        "dio-ahmedabad",
        "--remove",
        "collector-ahmedabad",
    )
    assert group["admins"] == ["dio-ahmedabad"]
    assert [g["slug"] for g in cli.json("group", "list", "--district", "ahmedabad")] == [
        "ahd-district"
    ]
    assert cli.json("post", "show", "dio-ahmedabad")["groups"] == ["ahd-district"]


def test_config_settings_and_domains(cli: Cli) -> None:
    cli.ok("config", "domains", "add", "Gujarat.Gov.In")
    assert "already" in cli.fails("config", "domains", "add", "gujarat.gov.in")
    assert [d["domain"] for d in cli.json("config", "domains", "list")] == ["gujarat.gov.in"]
    cli.ok("config", "set", "rotation_deadline_days", "3")
    values = {s["name"]: s["value"] for s in cli.json("config", "show")}
    assert values["rotation_deadline_days"] == 3
    assert values["verification_pending_days"] == 30
    assert "whole number" in cli.fails("config", "set", "rotation_deadline_days", "soon")
    assert "unknown setting" in cli.fails("config", "set", "colour", "blue")
    cli.ok("config", "domains", "remove", "gujarat.gov.in")
    assert cli.json("config", "domains", "list") == []


FAILING = {
    "personal-email": [
        "account",
        "add",
        "facebook:p",
        "--post",
        "collector-ahmedabad",
        "--login-email",
        "someone@gmail.com",
    ],
    "unknown-post": ["account", "add", "facebook:p", "--post", "collector-nowhere"],
    "unknown-account": ["account", "verify", "x:@Nobody", "--status", "applied"],
    "illegal-transition": ["account", "verify", "x:@CollectorAhd", "--status", "verified"],
    "duplicate-post": ["post", "add", "collector-ahmedabad", "--title", "X", "--level", "state"],
    "bad-phone": ["post", "add", "p2", "--title", "X", "--level", "state", "--phone", "123"],
    "bad-email": ["account", "edit", "x:@CollectorAhd", "--login-email", "not-an-email"],
    "bad-level": ["post", "add", "p3", "--title", "X", "--level", "county"],
    "district-without-district": ["post", "add", "p4", "--title", "X", "--level", "district"],
    "bad-platform": ["account", "add", "myspace:ahd"],
    "bad-ref": ["account", "show", "CollectorAhd"],
    "tenure-before-holder": [
        "officer",
        "assign",
        "ias-0077",
        "collector-ahmedabad",
        "--from",
        "2025-01-01",
    ],
    "already-holds": ["officer", "assign", "ias-0042", "collector-ahmedabad"],
    "bad-date": ["officer", "assign", "ias-0077", "collector-ahmedabad", "--from", "1/2/26"],
    "relieve-non-holder": ["officer", "relieve", "ias-0077", "collector-ahmedabad"],
}


@pytest.mark.parametrize("args", FAILING.values(), ids=FAILING.keys())
def test_a_failed_command_changes_nothing(seeded: Cli, args: list[str]) -> None:
    seeded.ok("officer", "add", "ias-0077", "--name", "Ravi Desai")
    before = seeded.dump()
    seeded.fails(*args)
    assert seeded.dump() == before


def test_usage_errors_exit_2(cli: Cli) -> None:
    assert cli("post", "add").code == 2
    assert cli("account", "list", "--no-such-flag").code == 2


def test_unexpected_errors_are_one_line_without_debug(
    seeded: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from handover.cli import app
    from vault.records import posts

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom: secret-ish detail")

    monkeypatch.setattr(posts, "list_posts", broken)
    result = CliRunner().invoke(app, ["post", "list"], env=seeded._env(None))
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "handover: unexpected RuntimeError; run again with HANDOVER_DEBUG=1 to see the traceback"
    )
    debug = CliRunner().invoke(
        app, ["post", "list"], env={**seeded._env(None), "HANDOVER_DEBUG": "1"}
    )
    assert isinstance(debug.exception, RuntimeError)


def test_missing_registry_is_one_clear_line(tmp_path: Path, make_cli) -> None:  # type: ignore[no-untyped-def]
    cli = make_cli("fresh", init=False)
    if BACKEND == "sqlite":
        line = cli.fails("post", "list")
        assert "no registry at" in line and "handover init" in line
        assert not Path(cli.location).exists()
    else:
        assert "holds no handover registry" in cli.fails("post", "list")


def test_init_refuses_an_existing_registry(cli: Cli) -> None:
    before = cli.dump()
    assert "already exists" in cli.fails("init")
    assert cli.dump() == before


@pytest.mark.sqlite_only
def test_default_location_is_the_user_data_folder(tmp_path: Path, make_cli) -> None:  # type: ignore[no-untyped-def]
    cli = make_cli("default", init=False)
    env = {"HANDOVER_REGISTRY": "", "XDG_DATA_HOME": str(tmp_path / "xdg")}
    cli.ok("init", env=env)
    assert (tmp_path / "xdg" / "handover" / "registry.db").exists()
    assert (tmp_path / "xdg" / "handover" / "registry.db").stat().st_mode & 0o077 == 0
    cli.ok("post", "list", env=env)


@pytest.mark.sqlite_only
def test_sqlite_is_opened_with_wal_and_foreign_keys(seeded: Cli) -> None:
    conn = sqlite3.connect(seeded.location)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    from vault.store import location, storage

    reg = storage.open_registry(location.resolve(seeded.location), actor="t", clock=lambda: None)  # type: ignore[arg-type,return-value]
    with reg.read() as c:
        assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert c.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    reg.close()


def test_every_command_has_help_with_an_example() -> None:
    import typer

    from handover.cli import app

    root = typer.main.get_command(app)
    missing = []

    def walk(command, path):  # type: ignore[no-untyped-def]
        ctx = typer.Context(command)
        names = command.list_commands(ctx) if hasattr(command, "list_commands") else None
        if names:
            for name in names:
                walk(command.get_command(ctx, name), [*path, name])
        elif "Example" not in (command.help or ""):
            missing.append(" ".join(path))

    walk(root, [])
    assert missing == []
