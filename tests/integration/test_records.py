"""Records an office can rely on: evidence kept, dates as officers write them, templates that
teach, workbooks, the post's contacts rather than the officer's, exports for each reader with
nothing a spreadsheet would run, records that change without losing their history, page roles,
and passwords worth rotating to."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import Cli, engine_for
from vault.exchange import export
from vault.store.schema import metadata

# --- evidence, dates, times --------------------------------------------------------------


def test_an_import_keeps_the_evidence_of_each_row(seeded: Cli, tmp_path: Path) -> None:
    sheet = tmp_path / "accounts.csv"
    sheet.write_text(
        "platform,handle,post,verification,verification_date,evidence\n"
        "facebook,CollectorAhdPage,collector-ahmedabad,verified,15/03/2025,"
        "grey tick: Meta letter of 15/03/2025\n"
    )
    seeded.ok("import", "accounts", str(sheet))
    history = seeded.json("account", "show", "facebook:CollectorAhdPage")["history"]
    assert [(h["to_status"], h["on_date"], h["evidence"]) for h in history] == [
        ("verified", "2025-03-15", "grey tick: Meta letter of 15/03/2025")
    ]


def test_dates_as_officers_write_them(seeded: Cli) -> None:
    ref = "x:@CollectorAhd"
    seeded.ok("account", "verify", ref, "--status", "applied", "--on", "02/03/2026")
    seeded.ok("account", "verify", ref, "--status", "verified", "--on", "15.03.2026")
    history = seeded.json("account", "show", ref)["history"]
    assert [h["on_date"] for h in history][-2:] == ["2026-03-02", "2026-03-15"]
    assert "write the year in full" in seeded.fails(
        "officer", "assign", "ias-0042", "collector-ahmedabad", "--from", "01/06/24"
    )
    assert "not a date (read as day/month/year)" in seeded.fails(
        "account", "verify", ref, "--status", "lapsed", "--on", "31/02/2026"
    )
    seeded.ok("config", "set", "date_order", "month-first")
    seeded.ok("account", "verify", ref, "--status", "lapsed", "--on", "04/05/2026")
    assert seeded.json("account", "show", ref)["history"][-1]["on_date"] == "2026-04-05"


def test_tables_show_local_time_and_json_stays_utc(seeded: Cli) -> None:
    import datetime as dt
    from zoneinfo import ZoneInfo

    seeded.ok("account", "set-password", "x:@CollectorAhd", input="Tq7#vLm2-Pz9!wRx\n")
    shown = seeded.json("account", "show", "x:@CollectorAhd")["credentials"]
    moment = dt.datetime.fromisoformat(shown["password_changed_at"])
    assert moment.utcoffset() == dt.timedelta(0)  # JSON: ISO 8601, UTC
    local = moment.astimezone(ZoneInfo("Asia/Kolkata"))
    table = seeded.ok("account", "show", "x:@CollectorAhd").stdout
    assert f"password_changed_at        {local:%Y-%m-%d %H:%M} IST" in table
    seeded.ok("config", "set", "display_timezone", "UTC")
    assert f"{moment:%Y-%m-%d %H:%M} UTC" in seeded.ok("account", "show", "x:@CollectorAhd").stdout
    assert "time zone" in seeded.fails("config", "set", "display_timezone", "Mars/Olympus")


def test_unverified_to_verified_needs_evidence(seeded: Cli) -> None:
    ref = "x:@CollectorAhd"
    line = seeded.fails("account", "verify", ref, "--status", "verified")
    assert "only with --evidence" in line
    seeded.ok("account", "verify", ref, "--status", "verified", "--evidence", "badge since 2019")
    assert seeded.json("account", "show", ref)["verification"] == "verified"


# --- workbooks ---------------------------------------------------------------------------


def test_a_workbook_imports_with_sheet_and_row_named(seeded: Cli, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "District posts"
    sheet.append(["slug", "title", "level", "district", "phone"])
    sheet.append(["dio-ahmedabad", "District Information Officer", "district", "Ahmedabad",
                  9978400002])  # fmt: skip  # a number cell, as Excel keeps a mobile
    sheet.append(["collector-kheda", "Collector, Kheda", "district", None, None])
    path = tmp_path / "posts.xlsx"
    book.save(path)
    before = seeded.dump()
    result = seeded("import", "posts", str(path))
    assert result.code == 1
    assert "posts.xlsx:District posts:3: district: a district-level post needs a district" in (
        result.stderr
    )
    assert seeded.dump() == before
    sheet.cell(row=3, column=4, value="Kheda")
    book.save(path)
    assert seeded.json("import", "posts", str(path))["added"] == 2
    assert seeded.json("post", "show", "dio-ahmedabad")["post"]["phone"] == "+919978400002"


def test_a_workbook_template(cli: Cli, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = tmp_path / "officers.xlsx"
    cli.ok("import", "template", "officers", "-o", str(path))
    book = load_workbook(path)
    assert book.sheetnames == ["officers", "allowed values"]
    assert [c.value for c in book["officers"][1]][:3] == ["service_id", "name", "grade"]
    notes = {row[0].value: row[1].value for row in book["allowed values"].iter_rows(min_row=2)}
    assert "31/01/2026" in notes["from"]


# --- the post's contacts -----------------------------------------------------------------


def test_a_landline_is_no_official_mobile(seeded: Cli) -> None:
    line = seeded.fails("post", "edit", "collector-ahmedabad", "--phone", "+917926300000")
    assert "is a landline" in line
    assert "is a landline" in seeded.fails(
        "account", "edit", "x:@CollectorAhd", "--2fa", "sms", "--2fa-phone", "079 2630 0000"
    )


def test_the_officers_own_contact_is_found_and_cleared(seeded: Cli) -> None:
    seeded.ok("officer", "edit", "ias-0042", "--phone", "+919978400142")
    seeded.ok("account", "edit", "x:@CollectorAhd", "--recovery-phone", "+919978400142")

    def found() -> set[str]:
        report = seeded.ok("audit", "--format", "json").json()
        return {f["object"] for f in report["findings"] if f["rule"] == "contact.officer-own"}

    assert found() == {"x:@CollectorAhd"}
    seeded.ok("account", "edit", "x:@CollectorAhd", "--recovery-phone", "+919978400001")
    assert found() == set()


# --- exports -----------------------------------------------------------------------------


def test_every_column_of_the_data_model_is_classified() -> None:
    """A new column stays out of every export, and fails here, until someone says who may
    read it."""
    seen: dict[str, int] = {}
    for table, classes in export.CLASSES.items():
        for cls, names in classes.items():
            assert cls in ("public", "rti", "records", "never")
            for name in names.split():
                seen[f"{table}.{name}"] = seen.get(f"{table}.{name}", 0) + 1
    every = {f"{t.name}.{c.name}" for t in metadata.sorted_tables for c in t.columns}
    assert set(seen) == every
    assert all(n == 1 for n in seen.values())
    for table in export.TABLES:
        for column in table.columns:
            assert f"{column.source.partition('.')[0]}" in export.CLASSES, column.source


def _sensitive(cli: Cli) -> set[str]:
    """Every login or recovery contact, 2FA detail and personal phone or email on record."""
    engine = engine_for(cli.location)
    values = set()
    with engine.connect() as conn:
        for row in conn.execute(
            sa.text(
                "SELECT login_email, login_phone, recovery_email, recovery_phone, twofa_phone, "
                "twofa_holder FROM accounts"
            )
        ):
            values.update(v for v in row if v)
        for row in conn.execute(sa.text("SELECT email, phone FROM officers")):
            values.update(v for v in row if v)
    engine.dispose()
    return values


def test_an_rti_export_discloses_nothing_it_may_not(seeded: Cli, tmp_path: Path) -> None:
    seeded.ok("officer", "edit", "ias-0042", "--phone", "+919978400142")
    seeded.ok("account", "edit", "x:@CollectorAhd", "--2fa", "sms", "--2fa-phone", "+919978400001",
              "--recovery-email", "collector.ahd.recovery@gujarat.gov.in")  # fmt: skip
    secret = _sensitive(seeded)
    assert len(secret) >= 4
    for table in ("accounts", "posts", "tenures", "history", "groups"):
        text = seeded.ok("export", "--for", "rti", "--table", table).stdout
        assert not [v for v in secret if v in text], table
        header = next(csv.reader(io.StringIO(text)))
        allowed = export.table_for("rti", table)
        sources = {c.name: c.source for c in allowed.columns}
        assert all(export.class_of(sources[h]) in ("public", "rti") for h in header)
    for forbidden in ("officers", "roles"):
        assert "has the tables" in seeded.fails("export", "--for", "rti", "--table", forbidden)
    workbook = tmp_path / "rti.xlsx"
    seeded.ok("export", "--for", "rti", "--format", "xlsx", "-o", str(workbook))
    from openpyxl import load_workbook

    book = load_workbook(workbook)
    assert book.sheetnames == ["accounts", "posts", "tenures", "history", "groups"]
    cells = {str(c.value) for ws in book for row in ws.iter_rows() for c in row if c.value}
    assert not cells & secret
    records = seeded.ok("export", "--table", "accounts").stdout
    assert "collector.ahd.recovery@gujarat.gov.in" in records  # the office's file has them
    public = seeded.ok("export", "--for", "public").stdout
    assert public.splitlines()[0] == "platform,handle,url,office,department,level,district,verified"


def _runs_as_formula(cell: str) -> bool:
    """What a spreadsheet would evaluate: a formula start, unless a plain number or handle."""
    import re

    plain = re.fullmatch(r"[+-]?\d+(\.\d+)?|@\w[\w.]*", cell)
    return cell.startswith(("=", "+", "-", "@", "\t", "\r")) and plain is None


FORMULAS = ("=HYPERLINK(\"http://evil\",\"click\")", "+1+cmd|' /C calc'!A0", "-2+3",
            "@SUM(1,2)", "\tx", "\rx")  # fmt: skip


@pytest.mark.sqlite_only
def test_no_exported_cell_is_a_formula(seeded: Cli, tmp_path: Path) -> None:
    """Every text column that any export shows holds a formula, put there behind the tool's
    back; in every table's CSV no cell starts like a formula, and in the workbook every cell is
    text."""
    seeded.ok("group", "add", "ahd", "--name", "g", "--level", "state", "--admin",
              "collector-ahmedabad")  # fmt: skip
    seeded.ok("account", "verify", "x:@CollectorAhd", "--status", "applied", "--evidence", "e")
    engine = engine_for(seeded.location)
    tables = {t.name: t for t in metadata.sorted_tables}
    shown = {c.source for t in export.TABLES for c in t.columns}
    n = 0
    with engine.begin() as conn:
        for source in sorted(shown):
            table, _, column = source.partition(".")
            col = tables[table].c[column]
            if not isinstance(col.type, sa.String) or col.primary_key or column.endswith("_id"):
                continue
            formula = FORMULAS[n % len(FORMULAS)]
            try:
                with conn.begin_nested():  # a coded column's CHECK refuses free text: skip it
                    conn.execute(sa.update(tables[table]).values({column: formula}))
            except sa.exc.IntegrityError:
                continue
            n += 1
    engine.dispose()
    assert n > 15
    for table in ("accounts", "posts", "officers", "tenures", "history", "groups", "roles"):
        text = seeded.ok("export", "--table", table, "--excel").stdout
        assert text.startswith("\ufeff")
        for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))):
            for cell in row:
                assert not _runs_as_formula(cell), (table, cell)
    workbook = tmp_path / "all.xlsx"
    seeded.ok("export", "--format", "xlsx", "-o", str(workbook))
    from openpyxl import load_workbook

    for ws in load_workbook(workbook):
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type in ("s", "n"), (ws.title, cell.value)


def test_records_export_carries_the_history(seeded: Cli) -> None:
    seeded.ok("account", "verify", "x:@CollectorAhd", "--status", "applied",
              "--evidence", "request X-2026-0211")  # fmt: skip
    history = seeded.ok("export", "--table", "history", "--format", "json").json()
    assert history[-1]["evidence"] == "request X-2026-0211"
    tenures = seeded.ok("export", "--table", "tenures", "--format", "json").json()
    assert tenures == [{"post": "collector-ahmedabad", "officer": "ias-0042",
                        "officer_name": "Asha Mehta", "start_date": "2026-01-01",
                        "end_date": None}]  # fmt: skip
    accounts = seeded.ok("export", "--format", "json").json()
    assert accounts[0]["holder_name"] == "Asha Mehta"


# --- records that change -----------------------------------------------------------------


def test_a_renamed_account_keeps_its_history_and_its_old_name(seeded: Cli) -> None:
    seeded.ok("account", "verify", "x:@CollectorAhd", "--status", "applied")
    seeded.ok("account", "rename", "x:@CollectorAhd", "@CollectorAhmedabad")
    shown = seeded.json("account", "show", "x:@CollectorAhd")  # the old handle finds it
    assert shown["ref"] == "x:@CollectorAhmedabad"
    assert shown["former_handles"] == ["@CollectorAhd"]
    assert [h["to_status"] for h in shown["history"]] == ["unverified", "applied"]
    listed = [a["ref"] for a in seeded.json("account", "list")]
    assert listed == ["x:@CollectorAhmedabad"]
    assert "look-alike" in seeded.fails("account", "rename", "x:@CollectorAhmedabad", "@C0ll ector")
    assert seeded.json("log", "list", "--object", "x:@CollectorAhmedabad")[-1]["action"] == (
        "account.rename"
    )


def test_archived_records_leave_lists_and_the_audit(seeded: Cli) -> None:
    seeded.ok("account", "add", "facebook:OldPage", "--post", "collector-ahmedabad")
    rules = {f["object"] for f in seeded.ok("audit", "--format", "json").json()["findings"]}
    assert "facebook:OldPage" in rules
    assert "give the reason" in seeded.fails("account", "archive", "facebook:OldPage")
    seeded.ok("account", "archive", "facebook:OldPage", "--reason", "page closed in 2024")
    assert "facebook:OldPage" not in [a["ref"] for a in seeded.json("account", "list")]
    assert "facebook:OldPage" in [a["ref"] for a in seeded.json("account", "list", "--archived")]
    rules = {f["object"] for f in seeded.ok("audit", "--format", "json").json()["findings"]}
    assert "facebook:OldPage" not in rules
    assert seeded.json("account", "show", "facebook:OldPage")["archived"].endswith(
        "page closed in 2024"
    )
    assert "OldPage" in seeded.ok("export", "--table", "accounts").stdout  # the file keeps it
    assert "OldPage" not in seeded.ok("export", "--for", "rti").stdout


def test_posts_are_abolished_and_officers_retired_only_when_free(seeded: Cli) -> None:
    assert "relieve them first" in seeded.fails(
        "post", "abolish", "collector-ahmedabad", "--reason", "merged"
    )
    seeded.ok("officer", "relieve", "ias-0042", "collector-ahmedabad", "--on", "2026-06-30")
    assert "still owns x:@CollectorAhd" in seeded.fails(
        "post", "abolish", "collector-ahmedabad", "--reason", "merged"
    )
    seeded.ok("account", "archive", "x:@CollectorAhd", "--reason", "moved elsewhere")
    seeded.ok("post", "abolish", "collector-ahmedabad", "--reason", "GAD order 45/2026")
    assert seeded.json("post", "list") == []
    assert [p["slug"] for p in seeded.json("post", "list", "--abolished")] == [
        "collector-ahmedabad"
    ]
    seeded.ok("officer", "retire", "ias-0042", "--reason", "superannuation")
    assert seeded.json("officer", "list") == []
    assert [o["service_id"] for o in seeded.json("officer", "list", "--retired")] == ["ias-0042"]


def test_purge_is_refused_while_a_secret_lives_only_here(seeded: Cli) -> None:
    ref = "x:@CollectorAhd"
    seeded.ok("account", "set-password", ref, input="Tq7#vLm2-Pz9!wRx\n")
    assert "archive it first" in seeded.fails("account", "purge", ref, "--reason", "x")
    seeded.ok("account", "archive", ref, "--reason", "profile deleted")
    before = seeded.dump()
    assert "not escrowed" in seeded.fails("account", "purge", ref, "--reason", "old")
    assert seeded.dump() == before
    seeded.ok("account", "add", "youtube:@EmptyChannel", "--post", "collector-ahmedabad")
    seeded.ok("account", "archive", "youtube:@EmptyChannel", "--reason", "never used")
    seeded.ok("account", "purge", "youtube:@EmptyChannel", "--reason", "never used")
    assert "no account" in seeded.fails("account", "show", "youtube:@EmptyChannel")
    actions = [e["action"] for e in seeded.json("log", "list")]
    assert actions[-1] == "account.purge"
    assert seeded.ok("log", "verify").code == 0


# --- page roles and groups -----------------------------------------------------------------


def test_page_roles_are_recorded_and_ended(seeded: Cli) -> None:
    seeded.ok("account", "add", "facebook:CollectorAhd", "--post", "collector-ahmedabad")
    seeded.ok("account", "role", "add", "facebook:CollectorAhd", "--officer", "ias-0042",
              "--role", "Admin", "--since", "01/01/2026")  # fmt: skip
    seeded.ok("account", "role", "add", "facebook:CollectorAhd", "--post",
              "collector-ahmedabad", "--role", "editor")  # fmt: skip
    roles = seeded.json("account", "role", "list")
    assert {(r["holder"], r["role"]) for r in roles} == {
        ("ias-0042", "admin"), ("post:collector-ahmedabad", "editor")
    }  # fmt: skip
    assert "no page roles" in seeded.fails(
        "account", "role", "add", "x:@CollectorAhd", "--officer", "ias-0042", "--role", "admin"
    )
    seeded.ok("account", "role", "end", "facebook:CollectorAhd", "--officer", "ias-0042",
              "--role", "admin")  # fmt: skip
    assert len(seeded.json("account", "role", "list")) == 1
    assert len(seeded.json("account", "role", "list", "--ended")) == 2


def test_groups_keep_admin_numbers_invite_and_owner(seeded: Cli) -> None:
    seeded.ok("group", "add", "ahd", "--name", "Ahmedabad officers", "--level", "district",
              "--district", "Ahmedabad", "--admin", "collector-ahmedabad")  # fmt: skip
    assert "not an official number" in seeded.fails(
        "group", "admins", "ahd", "--add-phone", "+919812345678"
    )
    seeded.ok("group", "admins", "ahd", "--add-phone", "+919978400001")
    seeded.ok("account", "add", "whatsapp:+919978400001", "--post", "collector-ahmedabad")
    seeded.ok("group", "owner", "ahd", "whatsapp:+919978400001")
    line = seeded.fails("group", "set-invite", "ahd", input="http://chat.whatsapp.com/AbCd\n")
    assert line == "handover: an invite link starts with https://"
    seeded.ok("group", "set-invite", "ahd", input="https://chat.whatsapp.com/AbCdEf123\n")
    shown = seeded.json("group", "show", "ahd")
    assert shown["admin_phones"] == ["+919978400001"]
    assert shown["owner"] == "whatsapp:+919978400001"
    assert shown["invite_link"] is True
    assert "AbCdEf123" not in json.dumps(seeded.dump(), default=str)
    revealed = seeded.json("group", "show", "ahd", "--reveal")
    assert revealed["invite"] == "https://chat.whatsapp.com/AbCdEf123"


# --- passwords -----------------------------------------------------------------------------


def test_generated_passwords_are_strong() -> None:
    from zxcvbn import zxcvbn

    from vault.crypto import passwords

    made = [passwords.generate() for _ in range(100)]
    assert len(set(made)) == 100
    assert all(len(p) == 20 and passwords.weakness(p) is None for p in made)
    assert all(zxcvbn(p)["score"] == 4 for p in made[:30])
    assert len(passwords.generate(12)) == 12
    assert passwords.weakness("Kheda@12345") == "shorter than 12 characters"
    assert "kheda" in str(passwords.weakness("Kheda-District-2026!", ["Kheda"]))


def test_rotate_with_a_generated_password(seeded: Cli) -> None:
    shown = seeded.ok("account", "rotate", "x:@CollectorAhd", "--generate", "--length", "24")
    line = shown.stdout.strip().splitlines()[-1]
    assert line.startswith("x:@CollectorAhd: the new password (shown once): ")
    made = line.rsplit(" ", 1)[-1]
    assert len(made) == 24
    assert (
        seeded.json("account", "show", "x:@CollectorAhd", "--reveal")["secrets"]["password"] == made
    )
    assert "no clipboard" in seeded.fails(
        "account", "rotate", "x:@CollectorAhd", "--generate", "--copy", code=2
    )
    warned = seeded("account", "rotate", "x:@CollectorAhd", input="Kheda@12345\n")
    assert warned.code == 0
    assert "weak (shorter than 12 characters)" in warned.stderr
