"""Format compatibility: the committed vectors (tests/vectors) still read, verify, open and
claim. If this fails, a change broke format version 1."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import pyrage
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from handover import card, claim, packet
from tests.conftest import PASSPHRASE, Cli
from tests.vectors import generate as g

VECTORS = Path(__file__).parent / "vectors"


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("v1-basic.handover", g.RECIPIENT_AGE),
        ("v1-escrow.handover", g.RECIPIENT_AGE),
        ("v1-escrow.handover", g.ESCROW_AGE),
    ],
)
def test_packet_vectors_open(name: str, secret: str) -> None:
    data = (VECTORS / name).read_bytes()
    parsed = packet.Packet.from_bytes(data)
    assert parsed.to_bytes() == data
    assert parsed.signer_key() == g.public(g.SENDER_SEED)
    manifest = json.loads(
        pyrage.decrypt(parsed.age_block, [pyrage.x25519.Identity.from_str(secret)])
    )
    checked = claim._check_manifest(manifest, parsed.header)
    secrets = {a["handle"]: a["secrets"]["password"] for a in checked["accounts"]}
    assert secrets == {"@CollectorAhd": "S3cret-Passw0rd!", "collectorahd": "Fb-Passw0rd"}


def test_card_and_receipt_vectors_verify() -> None:
    asha = card.read((VECTORS / "v1-asha.card").read_bytes())
    assert (asha.officer, asha.fingerprint) == ("ias-0042", g.public(g.SENDER_SEED).fingerprint)
    receipt = claim.read_receipt((VECTORS / "v1-basic.receipt").read_bytes())
    assert receipt.packet_sha256 == packet.sha256((VECTORS / "v1-basic.handover").read_bytes())
    assert receipt.officer == "ias-0077"


def install_identity(cli: Cli, officer: str, seed: bytes, age_secret: str) -> None:
    """Give a registry's officer the fixed test keys, sealed as 'identity create' seals them."""
    from cryptography.hazmat.primitives import serialization

    from vault.crypto import postkeys
    from vault.crypto.unlock import Unlocker
    from vault.records import officers
    from vault.store import location, schema, storage

    unlocker = Unlocker(passphrase_file=cli.passphrase_file)
    reg = storage.open_registry(
        location.resolve(cli.location),
        actor="tester",
        clock=lambda: dt.datetime.now(dt.UTC),
        unlocker=unlocker,
    )
    with reg.write() as tx:
        row = officers.row_by_service_id(tx.conn, officer)
        sealer = postkeys.sealer_for(tx, None)
        identity_id = uuid.uuid4()
        pem = Ed25519PrivateKey.from_private_bytes(seed).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
        tx.conn.execute(
            schema.identities.insert().values(
                id=identity_id,
                officer_id=row.id,
                age_recipient=g.recipient(age_secret),
                signing_key=g.public(seed).openssh,
                fingerprint=g.public(seed).fingerprint,
                age_secret_sealed=sealer.seal(
                    "identities", "age_secret_sealed", identity_id, age_secret.encode()
                ),
                signing_secret_sealed=sealer.seal(
                    "identities", "signing_secret_sealed", identity_id, pem
                ),
                source="local",
                created_at=tx.now,
                retired_at=None,
            )
        )
    reg.close()


def test_vector_packet_claims_into_a_registry(cli: Cli) -> None:
    assert PASSPHRASE
    cli.ok("officer", "add", "ias-0077", "--name", "Ravi Desai")
    install_identity(cli, "ias-0077", g.RECIPIENT_SEED, g.RECIPIENT_AGE)
    cli.ok("officer", "import-card", str(VECTORS / "v1-asha.card"))
    during = {"HANDOVER_NOW": "2026-01-02T00:00:00Z"}
    cli.ok(
        "packet",
        "claim",
        str(VECTORS / "v1-basic.handover"),
        "--receipt",
        str(cli.home / "r.receipt"),
        env=during,
    )
    shown = cli.json("account", "show", "x:@CollectorAhd", "--reveal")
    assert shown["secrets"]["password"] == "S3cret-Passw0rd!"
    assert shown["secrets"]["recovery_codes"] == ["rc-1111", "rc-2222"]
    assert [h["evidence"] for h in shown["history"]] == [
        "registered in handover",
        "request X-2025-17",
    ]
    facebook = cli.json("account", "show", "facebook:collectorahd")
    assert facebook["overrides"][0]["reason"] == "legacy page"
    assert cli.json("group", "show", "ahd-district")["admins"] == ["collector-ahmedabad"]
    assert "expired" in cli.fails("packet", "claim", str(VECTORS / "v1-escrow.handover"))


def test_vector_receipt_completes_a_handover_seen_by_the_it_cell(cli: Cli) -> None:
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
    cli.ok("officer", "import-card", str(VECTORS / "v1-asha.card"))
    cli.ok("officer", "import-card", str(VECTORS / "v1-ravi.card"))
    cli.ok("officer", "assign", "ias-0042", "collector-ahmedabad", "--from", "2025-06-01")
    done = cli.json("packet", "receipt", str(VECTORS / "v1-basic.receipt"))
    assert (done["outgoing"], done["incoming"]) == ("ias-0042", "ias-0077")
    assert cli.json("post", "show", "collector-ahmedabad")["post"]["holder"] == "ias-0077"
    assert "already recorded" in cli.fails("packet", "receipt", str(VECTORS / "v1-basic.receipt"))
