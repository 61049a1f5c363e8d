"""Every audit rule, firing and not firing, on real registries through the CLI.

A clean registry yields no finding at all (so no rule fires where it should not); each case then
makes one change and checks that exactly the expected rules fire, on the expected objects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import BACKEND, Cli, engine_for
from vault.audit import RULES

LATER = (dt.datetime.now(dt.UTC) + dt.timedelta(days=40)).isoformat()
MUCH_LATER = (dt.datetime.now(dt.UTC) + dt.timedelta(days=400)).isoformat()


# Passwords the audit's policy finds strong: a clean registry has no finding.
STRONG_X, STRONG_FB = "Tq7#vLm2-Pz9!wRx", "Jb4$kWn8-Yh3@sQe"


def add_account(cli: Cli, ref: str, *extra: str, password: str | None = None) -> None:
    cli.ok(
        "account",
        "add",
        ref,
        "--post",
        "collector-ahmedabad",
        "--login-email",
        "collector.ahd@gujarat.gov.in",
        "--login-phone",
        "+919978400001",
        "--2fa",
        "hardware-key",
        *extra,
    )
    if password:
        cli.ok("account", "set-password", ref, input=password + "\n")


def build_clean(make: Callable[..., Cli], root: Any) -> Cli:
    cli = make("clean")
    cli.ok("config", "domains", "add", "gujarat.gov.in")
    cli.ok(
        "post",
        "add",
        "collector-ahmedabad",
        "--title",
        "Collector, Ahmedabad",
        "--level",
        "district",
        "--district",
        "Ahmedabad",
        "--email",
        "collector.ahd@gujarat.gov.in",
        "--phone",
        "+919978400001",
    )
    cli.ok(
        "officer",
        "add",
        "ias-0042",
        "--name",
        "Asha Mehta",
        "--grade",
        "super time scale",
        "--phone",
        "+919978400042",
    )
    cli.ok("officer", "assign", "ias-0042", "collector-ahmedabad", "--from", "2026-01-01")
    cli.ok("identity", "create", "--officer", "ias-0042")
    cli.ok(
        "group",
        "add",
        "ahd-district",
        "--name",
        "Ahmedabad officers",
        "--level",
        "district",
        "--district",
        "Ahmedabad",
        "--admin",
        "collector-ahmedabad",
    )
    add_account(cli, "x:@CollectorAhd", "--status", "verified", password=STRONG_X)
    cli.ok("account", "set-totp", "x:@CollectorAhd", input="JBSWY3DPEHPK3PXP\n")
    add_account(cli, "facebook:collectorahd", "--status", "verified", password=STRONG_FB)
    cli.ok(
        "account",
        "add",
        "x:@AshaMehta",
        "--kind",
        "personal",
        "--officer",
        "ias-0042",
        "--disclaimer",
    )
    return cli


@pytest.fixture
def clean(templates, clone) -> Cli:  # type: ignore[no-untyped-def]
    made: Cli = clone(templates("audit-clean", build_clean))
    return made


def audit(cli: Cli, *args: str, env: dict[str, str] | None = None) -> list[dict[str, Any]]:
    findings: list[dict[str, Any]] = cli.ok("audit", "--format", "json", *args, env=env).json()[
        "findings"
    ]
    return findings


def sql(cli: Cli, statement: str, **params: Any) -> None:
    engine = engine_for(cli.location)
    with engine.begin() as conn:
        conn.execute(sa.text(statement), params)
    engine.dispose()


def test_a_clean_registry_has_no_findings(clean: Cli) -> None:
    assert audit(clean) == []
    assert clean.ok("audit", "--fail-on", "low").code == 0
    assert "no findings" in clean.ok("audit").stdout


def _import_order(cli: Cli, line: str) -> None:
    order = cli.home / "order.csv"
    order.write_text(f"order_no,order_date,officer,from_post,to_post,effective_date\n{line}\n")
    cli.ok("transfers", "import", str(order))


def _tamper_log(cli: Cli) -> None:
    _disable_append_only(cli)
    sql(cli, "UPDATE events SET actor = 'mallory' WHERE seq = 2")


def _disable_append_only(cli: Cli) -> None:
    if BACKEND == "sqlite":
        sql(cli, "DROP TRIGGER events_no_update")
    else:
        sql(cli, "ALTER TABLE events DISABLE TRIGGER events_no_update")


def _backdate_an_entry(cli: Cli) -> None:
    """What a registry written before handover refused back-dated entries may hold: entry 3
    dated an hour before entry 2, and the chain from there made anew, so that it verifies."""
    from types import SimpleNamespace

    from vault.store import journal, schema

    _disable_append_only(cli)
    engine = engine_for(cli.location)
    table = schema.events
    with engine.begin() as conn:
        rows = conn.execute(sa.select(table).order_by(table.c.seq)).all()
        prev_hash = rows[1].hash
        for row in rows[2:]:
            at = rows[1].at - dt.timedelta(hours=1) if row.seq == 3 else row.at
            entry = SimpleNamespace(**{**row._asdict(), "at": at, "prev_hash": prev_hash})
            digest = journal.entry_hash(prev_hash, journal.content_of(entry))
            conn.execute(
                table.update()
                .where(table.c.seq == row.seq)
                .values(at=at, prev_hash=prev_hash, hash=digest)
            )
            prev_hash = digest
    engine.dispose()


def _remove_escrow(cli: Cli) -> None:
    for item in cli.json("config", "escrow", "list"):
        cli.ok("config", "escrow", "remove", item["recipient"])


def _ravi_card(cli: Cli, name: str, seed: bytes, age_secret: str) -> str:
    from tests.vectors import generate as g

    path = cli.home / name
    path.write_bytes(g.make_card(seed, age_secret, "ias-0077", "Ravi Desai", "selection grade"))
    return str(path)


def _replace_a_key(cli: Cli) -> None:
    import pyrage

    from tests.vectors import generate as g

    cli.ok("officer", "import-card", _ravi_card(cli, "ravi.card", g.RECIPIENT_SEED,
           g.RECIPIENT_AGE), "--confirmed", "phone call")  # fmt: skip
    other = _ravi_card(cli, "ravi-new.card", bytes(range(64, 96)),
                       str(pyrage.x25519.Identity.generate()))  # fmt: skip
    assert "--replace-key" in cli.fails("officer", "import-card", other, "--confirmed", "phone")
    cli.ok("officer", "import-card", other, "--replace-key", "--reason", "new laptop",
           "--confirmed", "in person at the IT cell")  # fmt: skip


def _open_escrow(cli: Cli) -> None:
    from tests.vectors import generate as g

    cli.ok("officer", "import-card", _ravi_card(cli, "ravi.card", g.RECIPIENT_SEED,
           g.RECIPIENT_AGE), "--confirmed", "phone call")  # fmt: skip
    cli.ok("packet", "create", "--post", "collector-ahmedabad", "--to", "ias-0077", "-o",
           str(cli.home / "p.handover"))  # fmt: skip
    cli.ok("escrow", "open", "--post", "collector-ahmedabad", "--escrow-identity",
           str(cli.home / "escrow.identity"), "--reason", "holder unreachable")  # fmt: skip


# rule -> (steps, expected {(rule, object)}, audit environment)
Case = tuple[Callable[[Cli], None], set[tuple[str, str]], dict[str, str]]


def _stale_role(c: Cli) -> None:
    """A page role given in person to an officer who does not hold the page's post."""
    c.ok("officer", "add", "ias-0077", "--name", "Ravi Desai")
    c.ok(
        "account",
        "role",
        "add",
        "facebook:collectorahd",
        "--officer",
        "ias-0077",
        "--role",
        "admin",
    )


CASES: dict[str, Case] = {
    "verification.unverified": (
        lambda c: add_account(c, "instagram:ahd", password="Wd5%nHc3-Ks8+mVb"),
        {("verification.unverified", "instagram:ahd")},
        {},
    ),
    "verification.pending": (
        lambda c: add_account(
            c, "instagram:ahd", "--status", "applied", password="Wd5%nHc3-Ks8+mVb"
        ),
        {("verification.pending", "instagram:ahd")},
        {},
    ),
    "verification.overdue": (
        lambda c: add_account(
            c, "instagram:ahd", "--status", "applied", password="Wd5%nHc3-Ks8+mVb"
        ),
        {("verification.overdue", "instagram:ahd")},
        {"HANDOVER_NOW": LATER},
    ),
    "verification.lapsed": (
        lambda c: c.ok("account", "verify", "x:@CollectorAhd", "--status", "lapsed"),
        {("verification.lapsed", "x:@CollectorAhd")},
        {},
    ),
    "contact.personal": (
        lambda c: sql(
            c, "UPDATE accounts SET recovery_email = 'me@gmail.com' WHERE handle = 'collectorahd'"
        ),
        {("contact.personal", "facebook:collectorahd")},
        {},
    ),
    "contact.override": (
        lambda c: c.ok(
            "account",
            "edit",
            "facebook:collectorahd",
            "--recovery-email",
            "me@gmail.com",
            "--allow-personal",
            "until the DIO mailbox exists",
        ),
        {("contact.override", "facebook:collectorahd")},
        {},
    ),
    "2fa.none": (
        lambda c: c.ok("account", "edit", "facebook:collectorahd", "--2fa", "none"),
        {("2fa.none", "facebook:collectorahd")},
        {},
    ),
    "2fa.unknown": (
        lambda c: c.ok("account", "edit", "facebook:collectorahd", "--2fa", "unknown"),
        {("2fa.unknown", "facebook:collectorahd")},
        {},
    ),
    "2fa.sms-not-official": (
        lambda c: c.ok("account", "edit", "facebook:collectorahd", "--2fa-phone", "+919812345678"),
        {("2fa.sms-not-official", "facebook:collectorahd")},
        {},
    ),
    "2fa.totp-outside": (
        lambda c: c.ok("account", "edit", "facebook:collectorahd", "--2fa", "totp"),
        {("2fa.totp-outside", "facebook:collectorahd")},
        {},
    ),
    "rotation.overdue": (
        lambda c: sql(
            c,
            "UPDATE accounts SET rotation_due_at = :t, rotation_reason = 'handover "
            "p1' WHERE handle = 'collectorahd'",
            t=_stamp(days=-1),
        ),
        {("rotation.overdue", "facebook:collectorahd")},
        {},
    ),
    "rotation.due": (
        lambda c: sql(
            c,
            "UPDATE accounts SET rotation_due_at = :t, rotation_reason = 'handover "
            "p1' WHERE handle = 'collectorahd'",
            t=_stamp(days=5),
        ),
        {("rotation.due", "facebook:collectorahd")},
        {},
    ),
    "credential.stale": (
        lambda c: None,
        {("credential.stale", "x:@CollectorAhd"), ("credential.stale", "facebook:collectorahd")},
        {"HANDOVER_NOW": MUCH_LATER},
    ),
    "credential.missing": (
        lambda c: add_account(c, "youtube:@ahd", "--status", "verified"),
        {("credential.missing", "youtube:@ahd")},
        {},
    ),
    "password.reused": (
        lambda c: c.ok("account", "set-password", "facebook:collectorahd", input=STRONG_X + "\n"),
        {("password.reused", "x:@CollectorAhd"), ("password.reused", "facebook:collectorahd")},
        {},
    ),
    "post.vacant": (
        lambda c: c.ok("officer", "relieve", "ias-0042", "collector-ahmedabad"),
        {("post.vacant", "collector-ahmedabad"), ("group.admin-vacant", "ahd-district")},
        {},
    ),
    "account.orphan": (
        lambda c: c.ok("account", "edit", "facebook:collectorahd", "--post", ""),
        {("account.orphan", "facebook:collectorahd")},
        {},
    ),
    "post.unrecorded-handover": (
        lambda c: (
            c.ok("officer", "add", "ias-0077", "--name", "Ravi Desai"),
            c.ok("identity", "create", "--officer", "ias-0077"),
            c.ok("officer", "assign", "ias-0077", "collector-ahmedabad"),
        ),
        {("post.unrecorded-handover", "collector-ahmedabad")},
        {},
    ),
    "personal.no-disclaimer": (
        lambda c: c.ok("account", "edit", "x:@AshaMehta", "--no-disclaimer"),
        {("personal.no-disclaimer", "x:@AshaMehta")},
        {},
    ),
    "officer.no-mobile": (
        lambda c: c.ok("officer", "edit", "ias-0042", "--phone", ""),
        {("officer.no-mobile", "ias-0042")},
        {},
    ),
    "officer.no-identity": (
        lambda c: c.ok("officer", "add", "ias-0099", "--name", "New Officer"),
        {("officer.no-identity", "ias-0099")},
        {},
    ),
    "district.no-group": (
        lambda c: c.ok(
            "post",
            "add",
            "collector-kheda",
            "--title",
            "Collector, Kheda",
            "--level",
            "district",
            "--district",
            "Kheda",
        ),
        {("district.no-group", "Kheda")},
        {},
    ),
    "group.no-admin": (
        lambda c: c.ok("group", "add", "state-all", "--name", "State", "--level", "state"),
        {("group.no-admin", "state-all")},
        {},
    ),
    "group.admin-vacant": (
        lambda c: (
            c.ok(
                "post",
                "add",
                "dio-ahmedabad",
                "--title",
                "DIO",
                "--level",
                "district",
                "--district",
                "Ahmedabad",
            ),
            c.ok("group", "admins", "ahd-district", "--add", "dio-ahmedabad"),
        ),
        {("group.admin-vacant", "ahd-district")},
        {},
    ),
    "transfer.overdue": (
        lambda c: _import_order(c, "T1,2026-01-01,ias-0042,collector-ahmedabad,,2026-01-31"),
        {("transfer.overdue", "T1/ias-0042")},
        {},
    ),
    "log.broken": (_tamper_log, {("log.broken", "entry 2")}, {}),
    "log.time-order": (_backdate_an_entry, {("log.time-order", "entry 3")}, {}),
    "clock.overridden": (
        lambda c: c.ok(
            "account",
            "edit",
            "facebook:collectorahd",
            "--url",
            "https://fb.com/x",
            env={"HANDOVER_NOW": LATER},
        ),
        {("clock.overridden", "clock")},
        {"HANDOVER_NOW": LATER},
    ),
    "escrow.none": (_remove_escrow, {("escrow.none", "escrow")}, {}),
    "identity.replaced": (
        _replace_a_key,
        {("identity.replaced", "ias-0077")},
        {},
    ),
    "escrow.opened": (
        _open_escrow,
        {("escrow.opened", "x:@CollectorAhd"), ("escrow.opened", "facebook:collectorahd")},
        {},
    ),
    "password.weak": (
        lambda c: c.ok("account", "rotate", "facebook:collectorahd", input="Kheda@12345\n"),
        {("password.weak", "facebook:collectorahd")},
        {},
    ),
    # The officer's own mobile as the login phone: it leaves with her on transfer.
    "contact.officer-own": (
        lambda c: c.ok("account", "edit", "x:@CollectorAhd", "--login-phone", "+919978400042"),
        {("contact.officer-own", "x:@CollectorAhd")},
        {},
    ),
    "role.stale": (
        _stale_role,
        {("role.stale", "facebook:collectorahd"), ("officer.no-identity", "ias-0077")},
        {},
    ),
    "group.admin-phone": (
        lambda c: (c.ok("group", "admins", "ahd-district", "--add-phone", "+919978400042"),),
        {("group.admin-phone", "ahd-district")},
        {},
    ),
    # A Cyrillic "А" opening a Latin name: two officers a reader cannot tell apart.
    "text.confusable": (
        lambda c: c.ok("officer", "edit", "ias-0042", "--name", "\u0410sha Mehta"),
        {("text.confusable", "ias-0042")},
        {},
    ),
}


def _stamp(days: int) -> dt.datetime:
    value = dt.datetime.now(dt.UTC) + dt.timedelta(days=days)
    return value.replace(tzinfo=None) if BACKEND == "sqlite" else value


def test_every_rule_has_a_case() -> None:
    assert {r.id for r in RULES} <= set(CASES)


@pytest.mark.parametrize("rule_id", CASES)
def test_rule_fires(clean: Cli, rule_id: str) -> None:
    steps, expected, env = CASES[rule_id]
    steps(clean)
    found = {(f["rule"], f["object"]) for f in audit(clean, env=env)}
    assert found == expected


def test_fail_on_thresholds_and_exit_codes(clean: Cli) -> None:
    clean.ok("account", "edit", "facebook:collectorahd", "--2fa", "unknown")  # medium
    assert clean("audit", "--fail-on", "high").code == 0
    assert clean("audit", "--fail-on", "medium").code == 3
    assert clean("audit", "--fail-on", "low").code == 3
    assert "unknown severity" in clean.fails("audit", "--fail-on", "urgent", code=1)


def test_filters_rollup_and_csv(clean: Cli) -> None:
    clean.ok(
        "post",
        "add",
        "collector-kheda",
        "--title",
        "Collector, Kheda",
        "--level",
        "district",
        "--district",
        "Kheda",
    )
    clean.ok("account", "edit", "facebook:collectorahd", "--2fa", "unknown")
    everything = {f["rule"] for f in audit(clean)}
    assert everything == {"district.no-group", "2fa.unknown"}
    assert {f["rule"] for f in audit(clean, "--district", "kheda")} == {"district.no-group"}
    assert {f["rule"] for f in audit(clean, "--post", "collector-ahmedabad")} == {"2fa.unknown"}
    assert audit(clean, "--level", "state") == []
    report = clean.ok("audit", "--format", "json").json()
    assert {(r["district"], r["medium"]) for r in report["rollup"]} == {
        ("Ahmedabad", 1),
        ("Kheda", 1),
    }
    table = clean.ok("audit").stdout
    assert "By level and district:" in table
    assert "2 findings: 2 medium" in table
    csv = clean.ok("audit", "--format", "csv").stdout.splitlines()
    assert csv[0] == "rule,severity,object_type,object,level,district,post,reason,remedy"
    assert len(csv) == 3


def test_audit_without_secrets_needs_no_passphrase(clean: Cli) -> None:
    clean.ok("account", "set-password", "facebook:collectorahd", input=STRONG_X + "\n")
    env = {"HANDOVER_PASSPHRASE_FILE": ""}
    assert "locked" in clean.fails("audit", env=env)
    report = clean.ok("audit", "--no-secrets", "--format", "json", env=env).json()
    assert report["secrets_checked"] is False
    assert report["findings"] == []


def _report_size(cli: Cli, first: int, group: int) -> int:
    """Bytes of ``audit --format json`` once accounts ``first`` to ``group - 1`` are added
    sharing the clean registry's one strong password."""
    sheet = cli.home / f"group-{group}.csv"
    rows = ["platform,handle,post,login_email,login_phone,twofa,password"]
    rows += [
        f"x,@ahd_{n},collector-ahmedabad,collector.ahd@gujarat.gov.in,+919978400001,"
        f"hardware-key,{STRONG_X}"
        for n in range(first, group)
    ]
    sheet.write_text("\n".join(rows) + "\n")
    if group > first:
        cli.ok("import", "accounts", str(sheet))
    report = cli.ok("audit", "--format", "json").stdout
    assert report.count('"password.reused"') == (group + 1 if group else 0)
    return len(report.encode())


def test_a_reuse_group_grows_the_report_linearly(clean: Cli) -> None:
    """Each member of a reuse group has its own finding, naming a few of the others: were every
    other member named in every finding, the report would grow with the square of the group
    (at 100,000 accounts, half of a 60 MB report)."""
    sizes = [_report_size(clean, first, group) for first, group in ((0, 0), (0, 20), (20, 80))]
    per_member_small = (sizes[1] - sizes[0]) / 21
    per_member_large = (sizes[2] - sizes[1]) / 60
    assert per_member_large <= 1.1 * per_member_small, sizes


def test_passwords_whose_digests_collide_are_told_apart(
    clean: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reuse rule keeps a digest of each password, not the password, and compares the
    passwords of the accounts whose digests come up again. With every digest made the same,
    all three accounts with a password are read again, and only the two that share one are
    reported."""
    from vault import audit as core
    from vault.audit import snapshot
    from vault.crypto.unlock import Unlocker
    from vault.store import location, reads, storage

    clean.ok("account", "set-password", "facebook:collectorahd", input=STRONG_X + "\n")
    add_account(clean, "youtube:@ahd", "--status", "verified", password=STRONG_FB)
    monkeypatch.setattr(snapshot, "hash", lambda _password: 7, raising=False)
    asked: list[int] = []
    rows_by_ids = reads.rows_by_ids

    def counted(conn: Any, name: str, ids: list[Any]) -> list[Any]:
        asked.append(len(ids))
        return rows_by_ids(conn, name, ids)

    monkeypatch.setattr(reads, "rows_by_ids", counted)
    reg = storage.open_registry(
        location.resolve(clean.location),
        actor="test",
        clock=lambda: dt.datetime.now(dt.UTC),
        unlocker=Unlocker(passphrase_file=clean.passphrase_file),
    )
    try:
        report = core.run(reg)
    finally:
        reg.close()
    assert asked == [3]
    reused = {f.object for f in report.findings if f.rule == "password.reused"}
    assert reused == {"x:@CollectorAhd", "facebook:collectorahd"}
