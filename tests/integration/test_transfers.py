"""Transfer orders driving a handover through its whole lifecycle, and an overdue one caught."""

from __future__ import annotations

from pathlib import Path

from tests.integration.fixtures import Pair

ORDER = (
    "order_no,order_date,officer,from_post,to_post,effective_date\n"
    "GAD/2026/114,2026-11-01,ias-0042,collector-ahmedabad,,{effective}\n"
    "GAD/2026/114,2026-11-01,ias-0077,,collector-ahmedabad,{effective}\n"
)


def status(pair: Pair, env: dict[str, str] | None = None) -> dict[str, str]:
    lines = pair.a.ok("transfers", "status", "--format", "json", env=env).json()
    return {line["officer"]: line["state"] for line in lines}


def test_an_order_line_goes_from_no_packet_to_complete(pair: Pair, tmp_path: Path) -> None:
    order = tmp_path / "order.csv"
    order.write_text(ORDER.format(effective="2099-12-31"))
    summary = pair.a.json("transfers", "import", str(order))
    assert summary["added"] == 2
    assert pair.a.json("transfers", "import", str(order))["unchanged"] == 2
    assert status(pair) == {"ias-0042": "no packet yet", "ias-0077": "no handover needed"}

    packet = pair.packet()
    assert status(pair)["ias-0042"] == "awaiting claim"
    receipt = tmp_path / "r.receipt"
    pair.b.ok("packet", "claim", str(packet), "--receipt", str(receipt))
    pair.a.ok("packet", "receipt", str(receipt))
    assert status(pair)["ias-0042"] == "credentials to rotate"

    # The new holder rotates every credential, then reports it back.
    for ref in ("x:@CollectorAhd", "facebook:collectorahd"):
        pair.b.ok("account", "rotate", ref, input=f"new-{ref}\n")
    report = tmp_path / "ahd.rotation"
    made = pair.b.json("packet", "report", "--post", "collector-ahmedabad", "-o", str(report))
    assert (made["rotated"], made["accounts"]) == (2, 2)
    recorded = pair.a.json("packet", "receipt", str(report))
    assert recorded["rotated"] == 2
    assert status(pair)["ias-0042"] == "complete"
    full = pair.a.ok("transfers", "status", "--format", "json").json()[0]
    assert (full["packet_made"], full["claimed"], full["receipt_back"], full["rotated"]) == (
        True,
        True,
        True,
        True,
    )
    assert "GAD/2026/114" in pair.a.ok("transfers", "status").stdout


def test_an_overdue_transfer_is_caught_by_the_audit(pair: Pair, tmp_path: Path) -> None:
    order = tmp_path / "order.csv"
    order.write_text(ORDER.format(effective="2026-11-15"))
    pair.a.ok("transfers", "import", str(order))
    later = {"HANDOVER_NOW": "2026-12-01T00:00:00Z"}
    assert status(pair, later)["ias-0042"] == "no packet yet (overdue)"
    findings = pair.a.ok("audit", "--format", "json", env=later).json()["findings"]
    overdue = [f for f in findings if f["rule"] == "transfer.overdue"]
    assert [f["object"] for f in overdue] == ["GAD/2026/114/ias-0042"]
    assert overdue[0]["severity"] == "high"
    assert pair.a("audit", "--fail-on", "high", env=later).code == 3


def test_a_rotation_report_before_the_receipt_is_refused(pair: Pair, tmp_path: Path) -> None:
    report = tmp_path / "r"
    line = pair.b.fails("packet", "report", "--post", "collector-ahmedabad", "-o", str(report))
    assert "no post" in line
    pair.b.ok("packet", "claim", str(pair.packet()), "--receipt", str(tmp_path / "receipt"))
    pair.b.ok("packet", "report", "--post", "collector-ahmedabad", "-o", str(report))
    before = pair.a.dump()
    line = pair.a.fails("packet", "receipt", str(report))
    assert "ias-0077 does not hold collector-ahmedabad in this registry" in line
    assert pair.a.dump() == before
    flipped = bytearray(report.read_bytes())
    flipped[50] ^= 1
    report.write_bytes(bytes(flipped))
    assert "rotation report is damaged" in pair.a.fails("packet", "receipt", str(report))


def test_bad_order_rows_import_nothing(pair: Pair, tmp_path: Path) -> None:
    order = tmp_path / "order.csv"
    order.write_text(
        "order_no,order_date,officer,from_post,to_post,effective_date\n"
        "A1,2026-11-01,ias-9999,collector-ahmedabad,,2026-12-01\n"
        "A1,yesterday,ias-0042,,,2026-12-01\n"
    )
    before = pair.a.dump()
    result = pair.a("transfers", "import", str(order))
    assert result.code == 1
    errors = result.stderr.strip().splitlines()
    assert errors[:-1] == [
        "order.csv:2: officer: no officer 'ias-9999' in the registry",
        "order.csv:3: order_date: order date 'yesterday' is not a date: write 2026-01-31 or "
        "31/01/2026",
        "order.csv:3: from_post: a line needs a from_post or a to_post",
    ]
    assert pair.a.dump() == before
