"""The guided flows, as the two officers use them: ``give`` in the outgoing officer's registry,
``take`` in the incoming officer's own, each in its own home folder.

Both run on a real pseudo-terminal, answering the questions a person reads (in English and in
Gujarati), and again with options only. Every run ends the same way: the incoming officer has
changed every account, the outgoing registry has the receipt and the rotation report, and its
audit of the post is clean.
"""

from __future__ import annotations

import gettext
import json
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import HANDOVER, Cli
from tests.faults import env_for
from tests.terminal import Terminal

LOCALE = Path(__file__).resolve().parents[2] / "handover" / "locale"
POST = "collector-ahmedabad"
NEW_SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@dataclass
class Office:
    a: Cli  # the outgoing officer's registry (the IT cell's)
    b: Cli  # the incoming officer's own
    card: Path  # the incoming officer's card


def build_office(make, root: Path) -> Office:  # type: ignore[no-untyped-def]
    a: Cli = make("a")
    a.ok("config", "domains", "add", "gujarat.gov.in")
    a.ok("post", "add", POST, "--title", "Collector, Ahmedabad", "--level", "district",
         "--district", "Ahmedabad", "--department", "Revenue",
         "--email", "collector.ahd@gujarat.gov.in", "--phone", "+919978400001")  # fmt: skip
    a.ok("officer", "add", "ias-0042", "--name", "Asha Mehta", "--phone", "+919978400142")
    a.ok("officer", "assign", "ias-0042", POST, "--from", "2026-01-01")
    official = ["--post", POST, "--login-email", "collector.ahd@gujarat.gov.in"]
    a.ok("account", "add", "x:@CollectorAhd", *official, "--login-phone", "+919978400001",
         "--status", "verified", "--evidence", "blue tick since 2024")  # fmt: skip
    a.ok("account", "add", "facebook:collectorahd", *official, "--2fa", "sms", "--2fa-phone",
         "+919978400001", "--status", "verified", "--evidence", "grey tick")  # fmt: skip
    a.ok("account", "set-password", "x:@CollectorAhd", input="X-Handed-Over-1\n")
    a.ok("account", "set-totp", "x:@CollectorAhd", input="GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n")
    a.ok("account", "set-password", "facebook:collectorahd", input="FB-Handed-Over-1\n")
    a.ok("group", "add", "ahd-district", "--name", "Ahmedabad district officers",
         "--level", "district", "--district", "Ahmedabad", "--admin", POST)  # fmt: skip
    a.ok("identity", "create", "--officer", "ias-0042")
    b: Cli = make("b")
    b.ok("officer", "add", "ias-0077", "--name", "Ravi Desai", "--phone", "+919978400177")
    b.ok("identity", "create", "--officer", "ias-0077")
    card = b.home / "ravi.card"
    b.ok("identity", "card", "-o", str(card))
    return Office(a, b, card)


@pytest.fixture
def office(templates, clone, tmp_path: Path) -> Office:  # type: ignore[no-untyped-def]
    made: Office = templates("office", build_office)
    b = clone(made.b)
    return Office(clone(made.a), b, b.home / made.card.name)


def catalog(lang: str) -> gettext.NullTranslations:
    if lang == "en":
        return gettext.NullTranslations()
    found = gettext.translation("handover", LOCALE, languages=[lang])
    assert found.gettext("Do the codes match?") != "Do the codes match?", "no compiled catalog"
    return found


def audit_of_post(cli: Cli) -> list[str]:
    report = cli.ok("audit", "--post", POST, "--format", "json").json()
    return [f"{f['rule']} {f['object']}" for f in report["findings"]]


def the_end(office: Office, folder: Path) -> None:
    """What every way through must leave: receipt and rotation report recorded by A, a clean
    audit of the post there, B holding the post with nothing left to change."""
    assert office.a.ok("packet", "receipt", str(folder / f"{POST}.receipt")).code == 0
    assert office.a.ok("packet", "receipt", str(folder / f"{POST}.rotation")).code == 0
    assert audit_of_post(office.a) == []
    assert office.b.json("post", "show", POST)["post"]["holder"] == "ias-0077"
    assert all(
        a["rotation_due_at"] is None for a in office.b.json("account", "list", "--post", POST)
    )
    assert (folder / "charge-report-taken-over.pdf").read_bytes().startswith(b"%PDF")


def test_the_post_starts_clean(office: Office) -> None:
    assert audit_of_post(office.a) == []


@pytest.mark.parametrize("lang", ["en", "gu"])
def test_give_and_take_with_options_only(office: Office, tmp_path: Path, lang: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    tr = catalog(lang).gettext
    given = office.a.run(
        "--lang", lang, "give", "--to-card", str(office.card), "--confirmed",
        "phone call with Ravi Desai", "--yes", "--out-dir", str(out),
    )  # fmt: skip
    assert given.code == 0, given.stderr
    (folder,) = out.iterdir()
    assert folder.name.startswith(f"handover-{POST}-")
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["READ-ME.txt", "charge-report.pdf", f"{POST}.handover", "ias-0042.card"]
    )
    assert tr("In this folder:") in (folder / "READ-ME.txt").read_text(encoding="utf-8")
    assert tr("What goes in") in given.stdout
    seeds = tmp_path / "seeds.txt"
    seeds.write_text(f"x:@CollectorAhd {NEW_SEED}\n")
    taken = office.b.run(
        "--lang", lang, "take", str(folder / f"{POST}.handover"), "--confirmed",
        "phone call with Asha Mehta", "--yes", "--generate", "--totp", str(seeds),
    )  # fmt: skip
    assert taken.code == 0, taken.stderr
    assert tr("Every account is changed") in taken.stdout
    shown = office.b.json("account", "show", "x:@CollectorAhd", "--reveal")["secrets"]
    assert shown["password"] not in ("X-Handed-Over-1", None)
    assert shown["totp"]["secret"] == NEW_SEED
    the_end(office, folder)


@pytest.mark.parametrize("lang", ["gu", "hi"])
def test_the_core_refuses_in_the_officer_s_language(
    office: Office, tmp_path: Path, lang: str
) -> None:
    """A packet cut short on the way and a wrong passphrase are told in the language of the
    flow (the core's messages that carry no values are in the catalogs); a script that asks
    for JSON gets them in English, as before."""
    from handover.packet import BAD
    from vault.crypto.unlock import WRONG

    tr = catalog(lang).gettext
    assert tr(BAD) != BAD and tr(WRONG) != WRONG
    office.a.ok("give", "--to-card", str(office.card), "--confirmed", "call", "--yes",
                "--out-dir", str(tmp_path))  # fmt: skip
    (folder,) = (p for p in tmp_path.iterdir() if p.name.startswith("handover-"))
    packet = folder / f"{POST}.handover"
    cut = tmp_path / "cut.handover"
    cut.write_bytes(packet.read_bytes()[: packet.stat().st_size // 2])
    take = ("--lang", lang, "take", "--confirmed", "call", "--yes")
    assert office.b.fails(*take, str(cut)) == f"handover: {tr(BAD)}"
    wrong = tmp_path / "wrong"
    wrong.write_text("not the passphrase\n")
    line = office.b.fails(*take, str(packet), env={"HANDOVER_PASSPHRASE_FILE": str(wrong)})
    assert line == f"handover: {tr(WRONG)}"
    assert office.b.json("account", "list") == []  # nothing claimed (the card is recorded)
    in_lang = {"HANDOVER_LANG": lang, "HANDOVER_PASSPHRASE_FILE": str(wrong)}
    as_json = office.b.run("backup", "-o", str(tmp_path / "b"), "--json", env=in_lang)
    assert json.loads(as_json.stderr) == {"error": WRONG, "code": 1}


def test_take_can_be_left_and_resumed(office: Office, tmp_path: Path) -> None:
    office.a.ok("give", "--to-card", str(office.card), "--confirmed", "call", "--yes",
                "--out-dir", str(tmp_path))  # fmt: skip
    (folder,) = (p for p in tmp_path.iterdir() if p.name.startswith("handover-"))
    packet = str(folder / f"{POST}.handover")
    first = office.b.run("take", packet, "--confirmed", "call", "--yes")
    assert first.code == 0, first.stderr
    assert "2 accounts still to change" in first.stdout
    assert "handover take --resume --post collector-ahmedabad" in first.stdout
    assert not (folder / f"{POST}.rotation").exists()
    again = office.b.run("take", "--resume", "--generate", "--yes", "--out-dir", str(folder))
    assert again.code == 0, again.stderr
    assert "Every account is changed" in again.stdout
    the_end(office, folder)


def test_the_flows_refuse_without_a_terminal_or_an_option(office: Office, tmp_path: Path) -> None:
    before = office.a.dump()
    line = office.a.fails("give", "--to-card", str(office.card), "--out-dir", str(tmp_path),
                          code=2)  # fmt: skip
    assert line == "handover: no terminal to ask on: give --confirmed TEXT"
    assert office.a.dump() == before
    assert list(tmp_path.glob("handover-*")) == []


@pytest.mark.parametrize("lang", ["en", "gu"])
def test_give_and_take_on_a_terminal(office: Office, tmp_path: Path, lang: str) -> None:
    from vault.crypto import totp

    tr = catalog(lang).gettext
    env_a = {**env_for(office.a), "HANDOVER_LANG": lang, "TERM": "xterm"}
    give = Terminal([HANDOVER, "give", "--to-card", str(office.card)], env_a, cwd=str(tmp_path))
    give.expect(tr("Do the codes match?").encode())
    give.send("y\n")
    give.expect(tr("Make the packet for {officer}?").format(officer="ias-0077").encode())
    give.send("y\n")
    assert give.finish() == 0, give.text
    (folder,) = (p for p in tmp_path.iterdir() if p.name.startswith("handover-"))

    env_b = {**env_for(office.b), "HANDOVER_LANG": lang, "TERM": "xterm"}
    take = Terminal([HANDOVER, "take", str(folder / f"{POST}.handover")], env_b)
    take.expect(tr("Do the codes match?").encode())
    take.send("y\n")
    take.expect(tr("Take charge of this post?").encode())
    take.send("y\n")
    for handed_over in ("FB-Handed-Over-1", "X-Handed-Over-1"):
        at = take.expect_after(
            len(take.seen) - 200, tr("Show the password you were handed?").encode()
        )
        take.send("y\n")
        take.expect_after(at, handed_over.encode())
        at = take.expect_after(at, (tr("New password") + ":").encode())
        take.send("1\n")
        at = take.expect_after(at, tr("Did the platform accept the new password?").encode())
        take.send("y\n")
        take.expect_after(at, tr("Recorded.").encode())
    take.expect(tr("New setup key or otpauth:// link (Enter to skip)").encode())
    take.send(NEW_SEED + "\n")
    take.expect(tr("The code your phone shows now").encode())
    take.send(totp.parse(NEW_SEED).code(int(time.time()))[0] + "\n")
    take.expect(tr("Every account is changed").encode())
    assert take.finish() == 0, take.text
    assert "\u2584" in take.text or "\u2580" in take.text  # the QR code, in half blocks
    the_end(office, folder)


def test_charge_report_is_readable_and_its_code_decodes(office: Office, tmp_path: Path) -> None:
    office.a.ok("give", "--to-card", str(office.card), "--confirmed", "call", "--yes",
                "--out-dir", str(tmp_path))  # fmt: skip
    (folder,) = (p for p in tmp_path.iterdir() if p.name.startswith("handover-"))
    pdf = folder / "charge-report.pdf"
    sha = office.a.json("packet", "inspect", str(folder / f"{POST}.handover"))["sha256"]
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip
    for expected in (
        "Charge report",
        POST,
        "Asha Mehta",
        "ias-0042",
        "Ravi Desai",
        "ias-0077",
        "@CollectorAhd",
        "collectorahd",
        "Ahmedabad district officers",
        sha,
    ):
        assert expected in text, expected  # fmt: skip
    assert "X-Handed-Over-1" not in text and "FB-Handed-Over-1" not in text
    decoded = subprocess.run(["zbarimg", "--raw", "-q", str(_page_png(pdf, tmp_path))],
                             capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert decoded.strip() == sha
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True,
                           check=True).stdout  # fmt: skip
    assert "NotoSans" in fonts
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:])  # embedded


def _page_png(pdf: Path, where: Path) -> Path:
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", str(pdf),
                    str(where / "page")], check=True)  # fmt: skip
    (png,) = where.glob("page*.png")
    return png


def test_reports_in_gujarati_keep_english_beside(office: Office, tmp_path: Path) -> None:
    """The file copy must be readable by anyone: every label in English, the language beside;
    the same registry and clock give the same text."""
    office.a.ok("give", "--to-card", str(office.card), "--confirmed", "call", "--yes",
                "--out-dir", str(tmp_path))  # fmt: skip
    fixed = {"HANDOVER_NOW": "2026-12-01T10:00:00+05:30"}
    texts = []
    for n in (1, 2):
        out = tmp_path / f"charge-{n}.pdf"
        office.a.ok("--lang", "gu", "report", "charge", "--post", POST, "-o", str(out),
                    env=fixed)  # fmt: skip
        texts.append(subprocess.run(["pdftotext", str(out), "-"], capture_output=True,
                                    text=True, check=True).stdout)  # fmt: skip
    assert texts[0] == texts[1]
    squeezed = "".join(texts[0].split())
    tr = catalog("gu").gettext
    assert "".join(tr("Charge report").split()) in squeezed
    assert "Chargereport" in squeezed and "Relievedofficer" in squeezed
    audit_pdf = tmp_path / "audit.pdf"
    office.a.ok("--lang", "gu", "report", "audit", "-o", str(audit_pdf))
    audit_text = subprocess.run(["pdftotext", str(audit_pdf), "-"], capture_output=True,
                                text=True, check=True).stdout  # fmt: skip
    squeezed_audit = "".join(audit_text.split())  # pdftotext may break a long path
    for expected in (
        "Audit of the registry",
        "Verification by platform",
        "Findings by district",
        str(office.a.location),
    ):
        assert "".join(expected.split()) in squeezed_audit, expected


def test_the_tools_the_tests_use_are_there() -> None:
    for tool in ("pdftotext", "pdftoppm", "pdffonts", "zbarimg"):
        assert shutil.which(tool), f"{tool} is missing: run scripts/system-deps"


def test_the_registry_setting_chooses_the_language(office: Office, tmp_path: Path) -> None:
    """Without --lang or HANDOVER_LANG, the registry's 'language' setting speaks; --lang wins."""
    office.a.ok("config", "set", "language", "hi")
    hindi = catalog("hi").gettext
    shown = office.a.run("give", "--to-card", str(office.card), "--confirmed", "call", "--yes",
                         "--out-dir", str(tmp_path))  # fmt: skip
    assert shown.code == 0, shown.stderr
    assert hindi("What goes in") in shown.stdout
    assert "What goes in" not in shown.stdout
    english = office.a.run("--lang", "en", "report", "charge", "--post", POST, "-o",
                           str(tmp_path / "c.pdf"))  # fmt: skip
    assert english.code == 0, english.stderr
    text = subprocess.run(["pdftotext", str(tmp_path / "c.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip
    assert hindi("Charge report") not in text
    assert office.a.fails("config", "set", "language", "fr") == (
        "handover: 'fr' is not a language handover speaks: en, gu or hi"
    )


def test_page_roles_change_hands_with_the_post(office: Office, tmp_path: Path) -> None:
    """The outgoing officer's page role travels in the packet; the take flow asks that it be
    handed over on the platform, and records it; the roles audit is then clean. The rotation
    report brings the change back, and a role held by a post the incoming registry has never
    heard of stays as it is in the outgoing one."""
    office.a.ok("post", "add", "dio-ahmedabad", "--title", "DIO, Ahmedabad", "--level",
                "district", "--district", "Ahmedabad")  # fmt: skip
    office.a.ok("account", "role", "add", "facebook:collectorahd", "--post", "dio-ahmedabad",
                "--role", "editor", "--since", "01/08/2025")  # fmt: skip
    office.a.ok("account", "role", "add", "facebook:collectorahd", "--officer", "ias-0042",
                "--role", "admin")  # fmt: skip
    given = office.a.run("give", "--to-card", str(office.card), "--confirmed", "call", "--yes",
                         "--out-dir", str(tmp_path))  # fmt: skip
    assert "page role admin: ias-0042" in given.stdout
    (folder,) = (p for p in tmp_path.iterdir() if p.name.startswith("handover-"))
    text = subprocess.run(["pdftotext", "-layout", str(folder / "charge-report.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert "admin: ias-0042" in text
    assert "remove the relieved officer's page roles" in text
    office.b.ok("officer", "import-card", str(folder / "ias-0042.card"), "--confirmed", "call")
    taken = office.b.run("take", str(folder / f"{POST}.handover"), "--yes", "--generate",
                         "--roles-changed")  # fmt: skip
    assert taken.code == 0, taken.stderr
    assert "facebook:collectorahd: ias-0042 is admin" in taken.stdout
    held = office.b.json("account", "role", "list", "facebook:collectorahd")
    assert [(r["holder"], r["role"]) for r in held] == [("ias-0077", "admin")]
    rules = {f["rule"] for f in office.b.ok("audit", "--format", "json").json()["findings"]}
    assert "role.stale" not in rules
    office.a.ok("packet", "receipt", str(folder / f"{POST}.receipt"))
    office.a.ok("packet", "receipt", str(folder / f"{POST}.rotation"))
    back = office.a.json("account", "role", "list", "facebook:collectorahd", "--ended")
    assert {(r["holder"], r["role"], r["until"] is None) for r in back} == {
        ("post:dio-ahmedabad", "editor", True),
        ("ias-0042", "admin", False),
        ("ias-0077", "admin", True),
    }
    rules = {f["rule"] for f in office.a.ok("audit", "--format", "json").json()["findings"]}
    assert "role.stale" not in rules


def test_claim_checklist_names_roles_from_the_packet(office: Office, tmp_path: Path) -> None:
    """A claim's checklist names every role others hold in person on the post's pages as the
    packet states it, including a holder the incoming registry has never heard of."""
    office.a.ok("officer", "add", "gis-0112", "--name", "Nilesh Patel")
    for officer, role in (("ias-0042", "admin"), ("gis-0112", "editor")):
        office.a.ok("account", "role", "add", "facebook:collectorahd", "--officer", officer,
                    "--role", role)  # fmt: skip
    office.a.ok("officer", "import-card", str(office.card), "--confirmed", "call")
    packet = tmp_path / "p.handover"
    office.a.ok("packet", "create", "--post", POST, "--to", "ias-0077", "-o", str(packet))
    card = tmp_path / "asha.card"
    office.a.ok("identity", "card", "--officer", "ias-0042", "-o", str(card))
    office.b.ok("officer", "import-card", str(card), "--confirmed", "call")
    claimed = office.b.ok("packet", "claim", str(packet), "--receipt", str(tmp_path / "r"))
    for officer, role in (("ias-0042", "admin"), ("gis-0112", "editor")):
        assert (
            f"on facebook:collectorahd, remove {officer} as {role} and make yourself {role}"
            in claimed.stdout
        )
