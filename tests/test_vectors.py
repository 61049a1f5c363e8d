"""Format compatibility: the committed vectors (tests/vectors) still read, verify and open, and a
registry takes them as the rules say. If this fails, a change broke format version 1 or 2."""

from __future__ import annotations

import json
from pathlib import Path

import pyrage
import pytest

from handover import card, claim, packet
from tests.conftest import Cli
from tests.vectors import generate as g

VECTORS = Path(__file__).parent / "vectors"
FROZEN = [
    "v1-asha.card",
    "v1-basic.handover",
    "v1-basic.receipt",
    "v1-escrow.handover",
    "v1-ravi.card",
    "v2-basic.handover",
    "v2-basic.receipt",
    "v2-basic.rotation",
    "v2-itcell.handover",
]


def test_every_vector_is_committed() -> None:
    """The generator writes only what is missing: every vector it knows is here, frozen."""
    assert sorted(g.vectors()) == FROZEN
    assert all((VECTORS / name).is_file() for name in FROZEN)


@pytest.mark.parametrize(
    ("name", "secret", "fmt"),
    [
        ("v1-basic.handover", g.RECIPIENT_AGE, 1),
        ("v1-escrow.handover", g.RECIPIENT_AGE, 1),
        ("v1-escrow.handover", g.ESCROW_AGE, 1),
        ("v2-basic.handover", g.RECIPIENT_AGE, 2),
        ("v2-basic.handover", g.ESCROW_AGE, 2),
        ("v2-itcell.handover", g.ESCROW_AGE, 2),
    ],
)
def test_packet_vectors_open(name: str, secret: str, fmt: int) -> None:
    data = (VECTORS / name).read_bytes()
    parsed = packet.Packet.from_bytes(data)
    assert parsed.header.format == fmt
    assert parsed.to_bytes() == data
    assert parsed.signer_key() == g.public(g.SENDER_SEED)
    manifest = json.loads(
        pyrage.decrypt(parsed.age_block, [pyrage.x25519.Identity.from_str(secret)])
    )
    checked = claim._check_manifest(manifest, parsed.header)
    secrets = {a["handle"]: a["secrets"]["password"] for a in checked["accounts"]}
    assert secrets == {"@CollectorAhd": "S3cret-Passw0rd!", "collectorahd": "Fb-Passw0rd"}


def test_format_2_headers_say_capacity_and_chain() -> None:
    basic = packet.Packet.from_bytes((VECTORS / "v2-basic.handover").read_bytes()).header
    assert (basic.capacity, basic.reason, basic.sequence, basic.previous) == ("holder", None, 1, "")
    itcell = packet.Packet.from_bytes((VECTORS / "v2-itcell.handover").read_bytes()).header
    assert itcell.capacity == "it-cell"
    assert itcell.reason == "post vacant since the transfer order GAD/2026/114"
    assert itcell.sequence == 2
    assert itcell.previous == packet.sha256((VECTORS / "v2-basic.receipt").read_bytes())


def test_card_receipt_and_report_vectors_verify() -> None:
    asha = card.read((VECTORS / "v1-asha.card").read_bytes())
    assert (asha.officer, asha.fingerprint) == ("ias-0042", g.public(g.SENDER_SEED).fingerprint)
    for fmt in ("v1", "v2"):
        receipt = claim.read_receipt((VECTORS / f"{fmt}-basic.receipt").read_bytes())
        assert receipt.packet_sha256 == packet.sha256(
            (VECTORS / f"{fmt}-basic.handover").read_bytes()
        )
        assert receipt.officer == "ias-0077"
    report = claim.read_report((VECTORS / "v2-basic.rotation").read_bytes())
    assert (report.post, report.officer) == ("collector-ahmedabad", "ias-0077")
    assert all(not e["rotation_due"] for e in report.entries)
    opened = json.loads(
        pyrage.decrypt(report.escrow_copy.encode(), [pyrage.x25519.Identity.from_str(g.ESCROW_AGE)])
    )
    assert {a["secrets"]["password"] for a in opened["accounts"]} == {
        "rotated-x",
        "rotated-facebook",
    }


def test_claims_refuse_format_1_and_expired_packets(cli: Cli, make_cli) -> None:  # type: ignore[no-untyped-def]
    """A format 1 packet is never claimed (no capacity, no chain); a format 2 vector is long
    expired, and an overridden clock cannot make it valid again."""
    cli.ok("officer", "import-card", str(VECTORS / "v1-asha.card"), "--confirmed", "by phone")
    before = cli.dump()
    assert "format 1" in cli.fails("packet", "claim", str(VECTORS / "v1-basic.handover"))
    young: Cli = make_cli("young", init=False)
    young.env["HANDOVER_NOW"] = "2026-01-01T06:00:00Z"
    young.ok("init", "--no-escrow")
    young.ok("officer", "import-card", str(VECTORS / "v1-asha.card"), "--confirmed", "by phone")
    line = young.fails(
        "packet",
        "claim",
        str(VECTORS / "v2-basic.handover"),
        env={"HANDOVER_NOW": "2026-01-02T00:00:00Z"},
    )
    assert "expired on 2026-01-15" in line
    assert cli.dump() == before


def _it_cell_with_asha(cli: Cli) -> None:
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
    )
    cli.ok("officer", "import-card", str(VECTORS / "v1-asha.card"), "--confirmed", "by phone")
    cli.ok("officer", "import-card", str(VECTORS / "v1-ravi.card"), "--confirmed", "by phone")
    cli.ok("officer", "assign", "ias-0042", "collector-ahmedabad", "--from", "2025-06-01")


@pytest.mark.parametrize("fmt", ["v1", "v2"])
def test_a_witnessed_vector_packet_is_closed_by_its_receipt(cli: Cli, fmt: str) -> None:
    _it_cell_with_asha(cli)
    receipt = str(VECTORS / f"{fmt}-basic.receipt")
    assert "witnessed first" in cli.fails("packet", "receipt", receipt)
    cli.ok("packet", "witness", str(VECTORS / f"{fmt}-basic.handover"))
    done = cli.json("packet", "receipt", receipt)
    assert (done["outgoing"], done["incoming"]) == ("ias-0042", "ias-0077")
    assert cli.json("post", "show", "collector-ahmedabad")["post"]["holder"] == "ias-0077"
    assert "already recorded" in cli.fails("packet", "receipt", receipt)


def test_the_vector_rotation_report_reaches_the_it_cells_escrow(cli: Cli) -> None:
    """Witness, receipt, then Ravi's report: the change of login and the escrow copy arrive,
    and the escrow key opens exactly what Ravi rotated to."""
    _it_cell_with_asha(cli)
    cli.ok("config", "escrow", "add", g.recipient(g.ESCROW_AGE), "--label", "vector escrow")
    for account, login in (
        ("x:@CollectorAhd", "collector.ahd@gujarat.gov.in"),
        ("facebook:collectorahd", "collector.ahd.page@gmail.com"),
    ):
        cli.ok("account", "add", account, "--post", "collector-ahmedabad", "--login-email",
               login, "--allow-personal", "legacy page")  # fmt: skip
    cli.ok("packet", "witness", str(VECTORS / "v2-basic.handover"))
    cli.ok("packet", "receipt", str(VECTORS / "v2-basic.receipt"))
    reported = cli.json("packet", "receipt", str(VECTORS / "v2-basic.rotation"))
    assert (reported["rotated"], reported["accounts"], reported["escrowed"]) == (2, 2, True)
    facebook = cli.json("account", "show", "facebook:collectorahd")
    assert facebook["login_email"] == "collector.ahd@gujarat.gov.in"
    assert facebook["credentials"]["state"] == "escrowed"
    key = cli.home / "escrow.age"
    key.write_text(g.ESCROW_AGE + "\n")
    cli.ok("escrow", "open", "--post", "collector-ahmedabad", "--escrow-identity", str(key),
           "--reason", "vector test")  # fmt: skip
    shown = cli.json("account", "show", "facebook:collectorahd", "--reveal")
    assert shown["secrets"]["password"] == "rotated-facebook"
