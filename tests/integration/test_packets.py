"""Handover packets between two real registries, through the CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from handover.packet import BAD
from tests.conftest import Cli
from tests.integration.fixtures import Pair, make_pair

BAD_LINE = f"handover: {BAD}"


def test_handover_end_to_end(pair: Pair) -> None:
    packet = pair.packet()
    inspected = pair.b.json("packet", "inspect", str(packet))
    assert inspected["signature"] == "good"
    assert inspected["sender_known"] == "key on record"
    assert inspected["sender_on_record"] == "Asha Mehta"
    assert inspected["post"]["slug"] == "collector-ahmedabad"
    assert inspected["recipient"]["officer"] == "ias-0077"
    assert inspected["accounts"] == 2

    receipt = pair.dir / "r.receipt"
    claimed = pair.b.json("packet", "claim", str(packet), "--receipt", str(receipt))
    assert claimed["accounts_added"] == 2
    assert receipt.exists()

    shown = pair.b.json("account", "show", "x:@CollectorAhd", "--reveal")
    assert shown["secrets"]["password"] == "S3cret-Passw0rd!"
    assert shown["secrets"]["totp"]["secret"] == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    assert [h["to_status"] for h in shown["history"]] == ["unverified", "applied"]
    assert shown["credentials"]["rotation_due_at"] is not None
    assert shown["credentials"]["rotation_reason"].startswith("handover ")
    post = pair.b.json("post", "show", "collector-ahmedabad")
    assert post["post"]["holder"] == "ias-0077"
    assert post["groups"] == ["ahd-district"]

    # Claimed again: nothing changes, and the same receipt is written again.
    before = pair.b.dump()
    issued = receipt.read_bytes()
    receipt.unlink()
    again = pair.b.ok("packet", "claim", str(packet), "--receipt", str(receipt)).stdout
    assert "this packet was claimed here on" in again
    assert receipt.read_bytes() == issued
    rerun = pair.b.ok("packet", "claim", str(packet), "--receipt", str(receipt))
    assert "claimed here" in rerun.stdout
    assert pair.b.dump() == before
    other = pair.dir / "other.receipt"
    other.write_bytes(b"something else")
    line = pair.b.fails("packet", "claim", str(packet), "--receipt", str(other))
    assert line.endswith("exists; it is not this claim's receipt; choose another --receipt")
    assert other.read_bytes() == b"something else"

    done = pair.a.json("packet", "receipt", str(receipt))
    assert done["incoming"] == "ias-0077"
    assert done["rotation_due"] is not None
    a_post = pair.a.json("post", "show", "collector-ahmedabad")
    assert a_post["post"]["holder"] == "ias-0077"
    assert a_post["tenures"][0]["end_date"] is not None
    marked = pair.a.json("account", "show", "x:@CollectorAhd")["credentials"]
    assert marked["rotation_reason"] == f"handover {claimed['packet_id']}"
    assert "already recorded" in pair.a.fails("packet", "receipt", str(receipt))

    shown = pair.b.json("account", "rotate", "x:@CollectorAhd", input="N3w-Passw0rd!\n")
    assert shown["rotation_due_at"] is None


def test_escrow_recipient_can_open_the_packet(pair: Pair, tmp_path: Path) -> None:
    import pyrage

    from handover.packet import Packet

    escrow = pyrage.x25519.Identity.generate()
    pair.a.ok("config", "escrow", "add", str(escrow.to_public()), "--label", "IT cell")
    packet = Packet.from_bytes(pair.packet().read_bytes())
    assert str(escrow.to_public()) in packet.header.escrow
    manifest = json.loads(pyrage.decrypt(packet.age_block, [escrow]))
    assert manifest["post"]["slug"] == "collector-ahmedabad"


def _flip(data: bytes, at: int) -> bytes:
    out = bytearray(data)
    out[at] ^= 0x01
    return bytes(out)


def _part_offsets(data: bytes) -> dict[str, int]:
    header_at = data.index(b"\n") + 1
    age_at = data.index(b"-----BEGIN AGE ENCRYPTED FILE-----\n") + 40
    sig_at = data.index(b"-----BEGIN SSH SIGNATURE-----\n") + 40
    return {
        "magic": 3,
        "header": header_at + 20,
        "age-armor-line": age_at,
        "age-payload": age_at + 200,
        "signature": sig_at,
        "signature-end": len(data) - 5,
    }


@pytest.mark.parametrize(
    "part", ["magic", "header", "age-armor-line", "age-payload", "signature", "signature-end"]
)
def test_a_flipped_bit_anywhere_is_refused_alike(pair: Pair, part: str) -> None:
    data = pair.packet().read_bytes()
    bad = pair.dir / f"flip-{part}.handover"
    bad.write_bytes(_flip(data, _part_offsets(data)[part]))
    before = pair.b.dump()
    assert pair.b.fails("packet", "claim", str(bad)) == BAD_LINE
    assert pair.b.fails("packet", "inspect", str(bad)) == BAD_LINE
    assert pair.b.dump() == before


@pytest.mark.parametrize("keep", [0, 10, 100, 1000, -200, -1])
def test_truncated_packet(pair: Pair, keep: int) -> None:
    data = pair.packet().read_bytes()
    bad = pair.dir / "cut.handover"
    bad.write_bytes(data[:keep])
    before = pair.b.dump()
    assert pair.b.fails("packet", "claim", str(bad)) == BAD_LINE
    assert pair.b.dump() == before


def _resign(pair: Pair, data: bytes) -> bytes:
    """The same header and ciphertext, signed by a stranger's key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from handover.packet import NAMESPACE, Packet
    from vault.crypto import sshsig

    packet = Packet.from_bytes(data)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    return packet.signed + sshsig.sign(pem, NAMESPACE, packet.signed).encode()


def test_bad_packets_change_nothing(
    pair: Pair, make_cli: Callable[..., Cli], tmp_path: Path
) -> None:
    """Table of refusals; each one line, exit 1, registry B unchanged."""
    good = pair.packet()
    cases: dict[str, tuple[bytes, dict[str, str], str]] = {
        "other-key-signature": (_resign(pair, good.read_bytes()), {}, BAD_LINE),
        "expired": (good.read_bytes(), {"HANDOVER_NOW": "2099-01-01T00:00:00Z"}, "expired on"),
        "empty": (b"", {}, BAD_LINE),
        "garbage": (b"HANDOVER-PACKET/1\n{}\n", {}, BAD_LINE),
    }
    before = pair.b.dump()
    for name, (data, env, expected) in cases.items():
        path = tmp_path / f"{name}.handover"
        path.write_bytes(data)
        line = pair.b.fails("packet", "claim", str(path), env=env)
        assert expected in line, (name, line)
        assert pair.b.dump() == before, name


def test_unknown_signer_and_changed_key(make_cli: Callable[..., Cli], tmp_path: Path) -> None:
    pair = make_pair(make_cli, tmp_path, exchange=False)
    pair.a.ok("officer", "import-card", str(tmp_path / "ravi.card"), "--confirmed", "by phone")
    packet = pair.packet()
    before = pair.b.dump()
    line = pair.b.fails("packet", "claim", str(packet))
    assert "unknown signer ias-0042" in line
    assert "SHA256:" in line
    assert pair.b.dump() == before
    # Asha's keys are replaced: her old card no longer matches the packet's key.
    pair.b.ok("officer", "import-card", str(tmp_path / "asha.card"), "--confirmed", "by phone")
    pair.a.ok("identity", "create", "--officer", "ias-0042", "--replace")
    newer = pair.packet("newer.handover")
    before = pair.b.dump()
    assert "not on record for ias-0042" in pair.b.fails("packet", "claim", str(newer))
    assert pair.b.dump() == before
    assert len(pair.a.json("identity", "list", "--officer", "ias-0042")) == 2


def test_wrong_recipient(pair: Pair, make_cli: Callable[..., Cli], tmp_path: Path) -> None:
    c = make_cli("c")
    c.ok("officer", "add", "ias-0099", "--name", "Someone Else")
    c.ok("identity", "create", "--officer", "ias-0099")
    c.ok("officer", "import-card", str(tmp_path / "asha.card"), "--confirmed", "by phone")
    packet = pair.packet()
    before = c.dump()
    line = c.fails("packet", "claim", str(packet))
    assert "addressed to ias-0077" in line
    assert c.dump() == before


def test_account_of_another_post_is_refused(pair: Pair) -> None:
    pair.b.ok("post", "add", "dio-ahmedabad", "--title", "DIO", "--level", "state")
    pair.b.ok("account", "add", "x:@CollectorAhd", "--post", "dio-ahmedabad")
    packet = pair.packet()
    before = pair.b.dump()
    line = pair.b.fails("packet", "claim", str(packet))
    assert "already belongs to post dio-ahmedabad" in line
    assert pair.b.dump() == before


def test_header_and_manifest_disagreeing(pair: Pair, tmp_path: Path) -> None:
    """A validly signed packet whose encrypted manifest names another recipient or packet."""
    import pyrage

    from handover.claim import REPEATED_V2
    from handover.packet import NAMESPACE, Packet
    from tests.conftest import PASSPHRASE
    from vault.canonical import canonical
    from vault.crypto import identities as identity
    from vault.crypto import sshsig
    from vault.crypto.unlock import Unlocker
    from vault.store import location, storage

    original = Packet.from_bytes(pair.packet().read_bytes())
    (tmp_path / "pp").write_text(PASSPHRASE)
    reg = storage.open_registry(
        location.resolve(pair.a.location),
        actor="t",
        clock=lambda: original.header.created,
        unlocker=Unlocker(passphrase_file=tmp_path / "pp"),
    )
    with reg.read() as conn:
        row = identity.own_identity(conn, reg, "ias-0042")
        keys = identity.private_keys(conn, reg, row)
    reg.close()
    recipient = pyrage.x25519.Recipient.from_str(original.header.recipient["recipient"])
    base = {
        "format": 2,
        "kind": "handover-manifest",
        **{k: original.header.raw[k] for k in REPEATED_V2},
        "post": {"slug": "collector-ahmedabad", "title": "x", "level": "district"},
        "accounts": [],
        "groups": [],
        "tenures": [],
    }
    header = dict(original.header.raw, accounts=0)
    variants = {
        "other-packet-id": {**base, "packet_id": "00000000-0000-4000-8000-000000000000"},
        "other-recipient": {**base, "to": {**base["to"], "officer": "ias-0099"}},
        "other-post": {**base, "post": {**base["post"], "slug": "dio-ahmedabad"}},
        "count-differs": {**base, "accounts": [{"platform": "x", "handle": "@y"}]},
    }
    before = pair.b.dump()
    for name, manifest in variants.items():
        age_block = pyrage.encrypt(canonical(manifest), [recipient], armored=True)
        unsigned = Packet(original.header.__class__.check(header, 2), age_block, "")
        signature = sshsig.sign(keys.signing_pem, NAMESPACE, unsigned.signed)
        path = tmp_path / f"{name}.handover"
        path.write_bytes(unsigned.signed + signature.encode())
        assert pair.b.fails("packet", "claim", str(path)) == BAD_LINE, name
    assert pair.b.dump() == before


def test_receipt_from_a_stranger_is_refused(pair: Pair, tmp_path: Path) -> None:
    packet = pair.packet()
    receipt = tmp_path / "r.receipt"
    pair.b.ok("packet", "claim", str(packet), "--receipt", str(receipt))
    data = receipt.read_bytes()
    flipped = tmp_path / "flipped.receipt"
    flipped.write_bytes(_flip(data, 40))
    before = pair.a.dump()
    assert "receipt is damaged or not authentic" in pair.a.fails("packet", "receipt", str(flipped))
    assert pair.a.dump() == before


def test_packet_file_is_not_overwritten(pair: Pair) -> None:
    packet = pair.packet()
    before = pair.a.dump()
    line = pair.a.fails(
        "packet", "create", "--post", "collector-ahmedabad", "--to", "ias-0077", "-o", str(packet)
    )
    assert "exists" in line
    assert pair.a.dump() == before


def test_standard_tools_verify_and_open_the_packet(pair: Pair, tmp_path: Path) -> None:
    """docs/packet-format.md's commands, run as written, without handover."""
    for tool in ("ssh-keygen", "age", "sed", "grep", "cut"):
        assert shutil.which(tool), f"{tool} is missing: run scripts/system-deps"
    pair.packet()
    pair.b.ok("identity", "export-age", "-o", str(tmp_path / "ravi.agekey"), "--yes")
    script = (Path(__file__).parents[2] / "docs" / "packet-format.md").read_text()
    commands = script.split("```sh verify-and-open\n", 1)[1].split("```", 1)[0]
    proc = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", commands],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert 'Good "handover.packet.v2" signature for ias-0042' in proc.stdout + proc.stderr
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["to"]["officer"] == "ias-0077"
    passwords = [a["secrets"]["password"] for a in manifest["accounts"]]
    assert "S3cret-Passw0rd!" in passwords


def test_the_safety_code_computed_with_stock_tools(pair: Pair) -> None:
    """docs/packet-format.md's safety-code block, run as written on Asha's card, prints the code
    that 'identity card' showed her and 'import-card' showed Ravi."""
    shown = pair.a.ok("identity", "card", "-o", str(pair.dir / "again.card")).stdout
    code = shown.split("safety code ", 1)[1].splitlines()[0]
    imported = pair.b.json("officer", "import-card", str(pair.dir / "asha.card"))
    assert imported["safety_code"] == code
    script = (Path(__file__).parents[2] / "docs" / "packet-format.md").read_text()
    commands = script.split("```sh safety-code\n", 1)[1].split("```", 1)[0]
    proc = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", commands],
        cwd=pair.dir,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == code
