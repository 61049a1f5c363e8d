"""Bulk import of an IT cell's spreadsheets, and export of the register, through the CLI."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from bench import dataset
from tests.conftest import Cli

ACCOUNTS = 400


@pytest.fixture
def files(tmp_path: Path) -> dataset.Dataset:
    return dataset.write(tmp_path / "sheets", ACCOUNTS)


def import_all(cli: Cli, data: dataset.Dataset) -> None:
    cli.ok("config", "domains", "add", dataset.DOMAIN)
    for kind, path in (
        ("posts", data.posts),
        ("officers", data.officers),
        ("accounts", data.accounts),
        ("groups", data.groups),
    ):
        cli.ok("import", kind, str(path))


def test_a_realistic_department_imports(cli: Cli, files: dataset.Dataset) -> None:
    import_all(cli, files)
    posts = cli.json("post", "list")
    assert len(posts) == files.post_count
    assert {p["level"] for p in posts} == {"state", "hod", "district"}
    assert len({p["district"] for p in posts if p["district"]}) == 33
    assert all(p["holder"] for p in posts)
    accounts = cli.json("account", "list")
    assert len(accounts) == ACCOUNTS
    assert {a["platform"] for a in accounts} == set(dataset.PLATFORMS)
    shown = cli.json("account", "show", accounts[0]["ref"], "--reveal")
    assert shown["secrets"]["password"].startswith(("pw-", "Collector@"))
    assert shown["secrets"]["totp"]["secret"]
    assert len(cli.json("group", "list")) == 34
    entries = [e["action"] for e in cli.json("log", "list")]
    assert entries.count("import.accounts") == 1


def test_reimporting_changes_nothing(cli: Cli, files: dataset.Dataset) -> None:
    import_all(cli, files)
    before = cli.dump()
    for kind, path in (
        ("posts", files.posts),
        ("officers", files.officers),
        ("accounts", files.accounts),
        ("groups", files.groups),
    ):
        summary = cli.json("import", kind, str(path))
        assert (summary["added"], summary["updated"], summary["secrets"]) == (0, 0, 0), kind
    assert cli.dump() == before


def test_an_edited_row_updates_only_that_account(
    cli: Cli, files: dataset.Dataset, tmp_path: Path
) -> None:
    import_all(cli, files)
    rows = list(csv.reader(files.accounts.open()))
    rows[1][6] = "lapsed"  # verification
    rows[2][8] = "a-new-password"  # password
    edited = tmp_path / "edited.csv"
    with edited.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    summary = cli.json("import", "accounts", str(edited))
    assert (summary["updated"], summary["unchanged"], summary["secrets"]) == (2, ACCOUNTS - 2, 1)
    ref = f"{rows[2][0]}:{rows[2][1]}"
    assert cli.json("account", "show", ref, "--reveal")["secrets"]["password"] == "a-new-password"
    history = cli.json("account", "show", f"{rows[1][0]}:{rows[1][1]}")["history"]
    assert [h["to_status"] for h in history][-1] == "lapsed"


def test_import_then_export_reproduces_the_records(cli: Cli, files: dataset.Dataset) -> None:
    import_all(cli, files)
    exported = {
        (r["platform"], r["handle"]): r
        for r in csv.DictReader(io.StringIO(cli.ok("export").stdout))
    }
    given = list(csv.DictReader(files.accounts.open()))
    assert len(exported) == len(given)
    for row in given:
        out = exported[(row["platform"], row["handle"])]
        for column in (
            "post",
            "login_email",
            "login_phone",
            "twofa",
            "verification",
            "verification_date",
        ):
            assert out[column] == row[column], (row["handle"], column)
        assert out["holder"].startswith("off-")
    public = cli.ok("export", "--public", "--format", "json").json()
    assert set(public[0]) == {
        "platform",
        "handle",
        "url",
        "office",
        "department",
        "level",
        "district",
        "verified",
    }
    assert "gujarat.gov.in" not in cli.ok("export", "--public").stdout
    kheda = cli.ok("export", "--district", "kheda", "--format", "json").json()
    assert kheda
    assert {r["district"] for r in kheda} == {"Kheda"}


def test_dry_run_writes_nothing(cli: Cli, files: dataset.Dataset) -> None:
    cli.ok("config", "domains", "add", dataset.DOMAIN)
    cli.ok("import", "posts", str(files.posts))
    before = cli.dump()
    summary = cli.json("import", "posts", str(files.posts), "--dry-run")
    assert summary["dry_run"] is True
    assert cli.dump() == before


def test_secrets_in_a_separate_file(cli: Cli, files: dataset.Dataset, tmp_path: Path) -> None:
    cli.ok("config", "domains", "add", dataset.DOMAIN)
    cli.ok("import", "posts", str(files.posts))
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(
        "platform,handle,post,login_email\n"
        "x,@Rev,revenue-secretary,revenue-secretary@gujarat.gov.in\n"
    )
    secrets = tmp_path / "secrets.csv"
    secrets.write_text("platform,handle,password,recovery_codes\nx,@rev,Sep-Pass1,aa-1;bb-2\n")
    cli.ok("import", "accounts", str(accounts), "--secrets", str(secrets))
    got = cli.json("account", "show", "x:@Rev", "--reveal")["secrets"]
    assert got["password"] == "Sep-Pass1"
    assert got["recovery_codes"] == ["aa-1", "bb-2"]


HEADER = [
    "platform",
    "handle",
    "post",
    "login_email",
    "login_phone",
    "kind",
    "officer",
    "verification",
    "verification_date",
    "totp",
    "disclaimer",
]
GOOD = [
    "x",
    "@NewAccount",
    "revenue-secretary",
    "revenue-secretary@gujarat.gov.in",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
]
BAD_ROWS = {
    "unknown-platform": ({"platform": "myspace"}, "platform", "unknown platform"),
    "handle-with-space": ({"handle": "@bad handle"}, "handle", "no spaces"),
    "unknown-post": ({"post": "collector-atlantis"}, "post", "no post"),
    "personal-email": (
        {"login_email": "someone@gmail.com"},
        "login_email",
        "not on an official domain",
    ),
    "unregistered-phone": (
        {"login_phone": "+919812345678"},
        "login_phone",
        "not the official phone number",
    ),
    "bad-email": ({"login_email": "not-an-email"}, "login_email", "not a valid email"),
    "bad-phone": ({"login_phone": "12345"}, "login_phone", "not a valid phone"),
    "bad-status": ({"verification": "blue-tick"}, "verification", "unknown verification"),
    "bad-date": ({"verification_date": "31/02/2025"}, "verification_date", "not a date"),
    "short-year": ({"verification_date": "31/12/25"}, "verification_date", "the year in full"),
    "bad-totp": ({"totp": "not-base32!"}, "totp", "not valid base32"),
    "personal-without-officer": ({"kind": "personal"}, "officer", "needs its officer"),
    "disclaimer-on-official": ({"disclaimer": "yes"}, "disclaimer", "for personal accounts"),
    "unknown-officer": ({"kind": "personal", "officer": "ias-9999"}, "officer", "no officer"),
    "duplicate-handle": ({"handle": "@revenue_secretary_x"}, "handle", "duplicate of row 2"),
}


@pytest.mark.parametrize("case", BAD_ROWS, ids=BAD_ROWS)
def test_a_bad_row_is_reported_precisely_and_nothing_is_imported(
    cli: Cli, tmp_path: Path, case: str
) -> None:
    change, column, reason = BAD_ROWS[case]
    cli.ok("config", "domains", "add", dataset.DOMAIN)
    cli.ok("post", "add", "revenue-secretary", "--title", "Secretary", "--level", "state")
    rows = [
        HEADER,
        ["x", "@revenue_secretary_x", "revenue-secretary", "", "", "", "", "", "", "", ""],
        GOOD[:],
    ]
    for name, value in change.items():
        rows[2][HEADER.index(name)] = value
    path = tmp_path / "bad.csv"
    with path.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    before = cli.dump()
    result = cli("import", "accounts", str(path))
    assert result.code == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-1] == "handover: 1 error(s) in bad.csv; nothing was imported"
    assert lines[0].startswith(f"bad.csv:3: {column}: "), lines
    assert reason in lines[0]
    assert cli.dump() == before


def test_every_error_in_a_file_is_listed(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "posts.csv"
    path.write_text("slug,title,level,colour\nok,Fine,state,\n")
    lines = cli("import", "posts", str(path)).stderr.strip().splitlines()
    assert lines[0].startswith("posts.csv:1: colour: unknown column")
    path.write_text(
        "slug,title,level,district,phone\na,A,county,,\nb,B,district,,\nc,,state,,123\n"
    )
    lines = cli("import", "posts", str(path)).stderr.strip().splitlines()
    assert lines[:-1] == [
        "posts.csv:2: level: unknown level 'county': choose state, hod or district",
        "posts.csv:3: district: a district-level post needs a district",
        "posts.csv:4: title: a post needs a title",
        "posts.csv:4: phone: '123' is not a valid phone number",
    ]


def test_templates(cli: Cli, tmp_path: Path) -> None:
    """A template teaches: the header, an example row, what every coded column accepts; and
    imported as it is, it imports nothing."""
    assert cli.ok("import", "template", "accounts").stdout.startswith("platform,handle,")
    out = tmp_path / "posts.csv"
    cli.ok("import", "template", "posts", "-o", str(out))
    rows = list(csv.reader(out.open()))
    assert rows[0] == ["slug", "title", "level", "district", "department", "email", "phone"]
    assert rows[1][0] == "#collector-ahmedabad"
    assert ["# level: required; state, hod, district"] in rows
    cli.ok("config", "domains", "add", "gujarat.gov.in")
    before = cli.dump()
    assert cli.json("import", "posts", str(out))["rows"] == 0
    assert cli.dump() == before
    notes = [r[0] for r in csv.reader(io.StringIO(cli.ok("import", "template", "accounts").stdout))]
    assert "# verification: unverified, applied, verified, rejected, lapsed" in notes
    assert "# twofa: none, sms, totp, hardware-key, unknown" in notes
    assert any("31/01/2026" in n for n in notes)
    assert "unknown kind" in cli.fails("import", "template", "pets")


def test_only_a_file_that_holds_secrets_unlocks_the_registry(
    cli: Cli, files: dataset.Dataset, tmp_path: Path
) -> None:
    """Secret columns left empty need no passphrase; a first row that holds a secret unlocks at
    once (before the registry's records are loaded), and a wrong passphrase imports nothing;
    a secret on a later row unlocks when it is reached."""
    cli.ok("config", "domains", "add", dataset.DOMAIN)
    cli.ok("import", "posts", str(files.posts))
    wrong = tmp_path / "wrong-passphrase"
    wrong.write_text("not the passphrase\n")
    with_wrong = {"HANDOVER_PASSPHRASE_FILE": str(wrong)}
    head = "platform,handle,post,login_email,password,totp\n"
    contact = "revenue-secretary,revenue-secretary@gujarat.gov.in"

    def sheet(name: str, *rows: str) -> str:
        path = tmp_path / name
        path.write_text(head + "".join(f"{row}\n" for row in rows))
        return str(path)

    cli.ok("import", "accounts", sheet("empty.csv", f"x,@Plain,{contact},,"), env=with_wrong)
    assert cli.json("account", "show", "x:@Plain")["credentials"]["state"] == "missing"

    first = sheet("first.csv", f"x,@First,{contact},Tq7#vLm2-Pz9!wRx,", f"x,@Second,{contact},,")
    refused = cli.fails("import", "accounts", first, env=with_wrong)
    assert "wrong passphrase or recovery code" in refused
    cli.fails("account", "show", "x:@Second")

    later = sheet("later.csv", f"x,@Third,{contact},,", f"x,@Fourth,{contact},Tq7#vLm2-Pz9!wRy,")
    cli.fails("import", "accounts", later, env=with_wrong)
    cli.ok("import", "accounts", later)
    assert cli.json("account", "show", "x:@Fourth", "--reveal")["secrets"]["password"] == (
        "Tq7#vLm2-Pz9!wRy"
    )
