"""Generator of the committed test vectors: packets of format versions 1 and 2, receipts, a
rotation report and cards.

Keys and clock are fixed, and published here: they are test keys, never to be used for anything
else. Age encryption is randomised, so each run writes different bytes; the committed files are
one such run, and every later version of handover must still read, verify and open them
(``tests/test_vectors.py``). ``python -m tests.vectors.generate`` writes only the vectors that are
missing: committed vectors are frozen.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyrage
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from handover import card, claim, packet
from vault.canonical import canonical
from vault.crypto import sshsig
from vault.crypto.signed import SignedDocument

HERE = Path(__file__).parent
CREATED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
EXPIRES = dt.datetime(2026, 1, 15, tzinfo=dt.UTC)
PACKET_ID = "6f1c2a4e-8d3b-4f6a-9c1e-2b7d5a0e3f11"

# Sender: ias-0042, Asha Mehta. Signing key from a fixed seed.
SENDER_SEED = bytes(range(32))
SENDER_AGE = "AGE-SECRET-KEY-1CN6ZJCS8JUQTTF9J2NCFEJ6N6J6HACVGFE0K6HZ05SXDNM48KXMQ0N3ZS5"
# Recipient: ias-0077, Ravi Desai.
RECIPIENT_SEED = bytes(range(32, 64))
RECIPIENT_AGE = "AGE-SECRET-KEY-1VSGVMAYU2RNY6ZFFHYZGQQ04C0TX4LXN2CHA6SF4JGVNCA25L97Q3UHZPR"
# Escrow: the IT cell.
ESCROW_AGE = "AGE-SECRET-KEY-1YQZP5493N2WYGJ5VCPSWM36URPRWAF4CW28P0QZ200GX85TQMQHQJFT9WP"


def pem(seed: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(seed).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )


def public(seed: bytes) -> sshsig.PublicKey:
    raw = (
        Ed25519PrivateKey.from_private_bytes(seed)
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    return sshsig.PublicKey(raw)


def recipient(secret: str) -> str:
    return str(pyrage.x25519.Identity.from_str(secret).to_public())


def people(escrow: bool, fmt: int = 1) -> dict[str, Any]:
    sender = {
        "officer": "ias-0042",
        "name": "Asha Mehta",
        "signing_key": public(SENDER_SEED).openssh,
        "fingerprint": public(SENDER_SEED).fingerprint,
    }
    if fmt >= 2:
        sender["age_recipient"] = recipient(SENDER_AGE)
    return {
        "from": sender,
        "to": {
            "officer": "ias-0077",
            "name": "Ravi Desai",
            "recipient": recipient(RECIPIENT_AGE),
            "fingerprint": public(RECIPIENT_SEED).fingerprint,
        },
        "escrow": [recipient(ESCROW_AGE)] if escrow else [],
    }


def content() -> dict[str, Any]:
    history = [
        {
            "from_status": None,
            "to_status": "unverified",
            "on_date": "2025-06-01",
            "evidence": "registered in handover",
            "recorded_at": "2025-06-01T10:00:00+00:00",
            "recorded_by": "it-cell",
        },
        {
            "from_status": "unverified",
            "to_status": "applied",
            "on_date": "2025-07-01",
            "evidence": "request X-2025-17",
            "recorded_at": "2025-07-01T10:00:00+00:00",
            "recorded_by": "ias-0042",
        },
    ]
    account = {
        "platform": "x",
        "handle": "@CollectorAhd",
        "url": "https://x.com/CollectorAhd",
        "kind": "official",
        "disclaimer": None,
        "login_email": "collector.ahd@gujarat.gov.in",
        "login_phone": "+919978400001",
        "recovery_email": None,
        "recovery_phone": None,
        "twofa_method": "totp",
        "twofa_phone": None,
        "twofa_holder": None,
        "verification": "applied",
        "verification_date": "2025-07-01",
        "history": history,
        "overrides": [],
        "secrets": {
            "password": "S3cret-Passw0rd!",
            "totp": {
                "secret": "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
                "algorithm": "SHA1",
                "digits": 8,
                "period": 30,
                "issuer": "X",
                "label": "X:CollectorAhd",
            },
            "recovery_codes": ["rc-1111", "rc-2222"],
            "notes": "strong room",
        },
        "changed": {
            "password_changed_at": "2025-06-02T09:00:00+00:00",
            "totp_changed_at": "2025-06-02T09:05:00+00:00",
            "recovery_codes_changed_at": "2025-06-02T09:06:00+00:00",
            "notes_changed_at": "2025-06-02T09:07:00+00:00",
        },
    }
    facebook = {
        **account,
        "platform": "facebook",
        "handle": "collectorahd",
        "url": None,
        "twofa_method": "unknown",
        "verification": "unverified",
        "verification_date": None,
        "history": history[:1],
        "overrides": [
            {
                "field": "login_email",
                "value": "collector.page@gmail.com",
                "reason": "legacy page",
                "recorded_at": "2025-06-01T10:00:00+00:00",
                "recorded_by": "it-cell",
            }
        ],
        "login_email": "collector.page@gmail.com",
        "login_phone": None,
        "secrets": {"password": "Fb-Passw0rd", "totp": None, "recovery_codes": None, "notes": None},
        "changed": {
            **account["changed"],
            "totp_changed_at": None,
            "recovery_codes_changed_at": None,
            "notes_changed_at": None,
        },
    }
    return {
        "post": {
            "slug": "collector-ahmedabad",
            "title": "Collector, Ahmedabad",
            "department": "Revenue",
            "level": "district",
            "district": "Ahmedabad",
            "email": "collector.ahd@gujarat.gov.in",
            "phone": "+919978400001",
        },
        "tenures": [
            {
                "post": "collector-ahmedabad",
                "officer": "ias-0042",
                "officer_name": "Asha Mehta",
                "start_date": "2025-06-01",
                "end_date": None,
            }
        ],
        "accounts": [facebook, account],
        "groups": [
            {
                "slug": "ahd-district",
                "name": "Ahmedabad district officers",
                "platform": "whatsapp",
                "level": "district",
                "district": "Ahmedabad",
                "department": None,
                "admins": ["collector-ahmedabad"],
            }
        ],
    }


def make_packet(
    *,
    escrow: bool = False,
    packet_id: str = PACKET_ID,
    fmt: int = 1,
    capacity: str = "holder",
    reason: str | None = None,
    sequence: int = 1,
    previous: str = "",
) -> bytes:
    """A packet built exactly as ``handover packet create`` builds one, from fixed inputs."""
    times = {"packet_id": packet_id, "created": packet.iso(CREATED), "expires": packet.iso(EXPIRES)}
    who = people(escrow, fmt)
    if fmt >= 2:
        who = {
            **who,
            "capacity": capacity,
            "reason": reason,
            "sequence": sequence,
            "previous": previous,
        }
    body = content()
    manifest = {
        "format": fmt,
        "kind": "handover-manifest",
        **times,
        **who,
        **body,
        "log_head": {"size": 42, "hash": "ab" * 32},
    }
    header = {
        "format": fmt,
        "kind": "handover-packet",
        **times,
        **who,
        "post": {k: body["post"][k] for k in ("slug", "title", "level", "district")},
        "accounts": len(body["accounts"]),
    }
    recipients = [
        pyrage.x25519.Recipient.from_str(r) for r in (who["to"]["recipient"], *who["escrow"])
    ]
    ciphertext = pyrage.encrypt(canonical(manifest), recipients, armored=True)
    unsigned = packet.Packet(packet.Header.check(header, fmt), ciphertext, "")
    namespace = packet.NAMESPACE if fmt >= 2 else packet.NAMESPACE_V1
    signature = sshsig.sign(pem(SENDER_SEED), namespace, unsigned.signed)
    return unsigned.signed + signature.encode()


def make_card(seed: bytes, age_secret: str, officer: str, name: str, grade: str) -> bytes:
    key = public(seed)
    body = {
        "format": 1,
        "kind": "handover-identity-card",
        "officer": {"id": officer, "name": name, "grade": grade},
        "age_recipient": recipient(age_secret),
        "signing_key": key.openssh,
        "fingerprint": key.fingerprint,
        "created": CREATED.isoformat(),
    }
    return SignedDocument.create(
        card.MAGIC, body, lambda m: sshsig.sign(pem(seed), card.NAMESPACE, m)
    ).to_bytes()


def make_receipt(packet_bytes: bytes, packet_id: str = PACKET_ID) -> bytes:
    key = public(RECIPIENT_SEED)
    body = {
        "format": 1,
        "kind": "handover-receipt",
        "packet_id": packet_id,
        "packet_sha256": packet.sha256(packet_bytes),
        "post": "collector-ahmedabad",
        "from": "ias-0042",
        "to": {"officer": "ias-0077", "signing_key": key.openssh, "fingerprint": key.fingerprint},
        "claimed": packet.iso(CREATED + dt.timedelta(days=1)),
        "accounts": 2,
    }
    return SignedDocument.create(
        claim.RECEIPT_MAGIC,
        body,
        lambda m: sshsig.sign(pem(RECIPIENT_SEED), claim.RECEIPT_NAMESPACE, m),
    ).to_bytes()


def make_report(escrow: bool = True) -> bytes:
    """Ravi's rotation report (format 2): both accounts rotated, the login of one changed, the new
    credentials inside an escrow copy to the IT cell's escrow key."""
    key = public(RECIPIENT_SEED)
    accounts = []
    for item in content()["accounts"]:
        facts = {k: v for k, v in item.items() if k != "secrets"}
        facts["changed"] = {**facts["changed"], "password_changed_at": "2026-01-03T09:00:00+00:00"}
        if facts["platform"] == "facebook":
            facts["login_email"] = "collector.ahd@gujarat.gov.in"
        accounts.append({**facts, "rotation_due": False})
    recipients = [recipient(ESCROW_AGE)] if escrow else []
    copy = None
    if escrow:
        document = {
            "format": 1,
            "kind": "handover-escrow-copy",
            "post": {"slug": "collector-ahmedabad"},
            "accounts": [
                {"platform": a["platform"], "handle": a["handle"],
                 "secrets": {"password": f"rotated-{a['platform']}"}}
                for a in accounts
            ],
        }  # fmt: skip
        copy = bytes(
            pyrage.encrypt(
                canonical(document), [pyrage.x25519.Recipient.from_str(recipients[0])], armored=True
            )
        ).decode()
    body = {
        "format": 2,
        "kind": "handover-rotation-report",
        "post": "collector-ahmedabad",
        "officer": {"officer": "ias-0077", "signing_key": key.openssh,
                    "fingerprint": key.fingerprint},
        "reported": "2026-01-03T09:30:00.000000Z",
        "accounts": accounts,
        "escrow": {"recipients": recipients, "copy": copy},
    }  # fmt: skip
    return SignedDocument.create(
        claim.REPORT_MAGIC,
        body,
        lambda m: sshsig.sign(pem(RECIPIENT_SEED), claim.REPORT_NAMESPACE, m),
    ).to_bytes()


V2_ITCELL_ID = "3d2c1b0a-9f8e-4d7c-8b6a-5f4e3d2c1b0a"


def vectors() -> dict[str, Any]:
    """Every vector, by file name: a function that makes it (some need another's bytes)."""
    return {
        "v1-basic.handover": lambda have: make_packet(),
        "v1-escrow.handover": lambda have: make_packet(
            escrow=True, packet_id="0a9e7d3c-5b1f-4e2a-8c6d-9f0b1a2c3d4e"
        ),
        "v1-basic.receipt": lambda have: make_receipt(have("v1-basic.handover")),
        "v1-asha.card": lambda have: make_card(
            SENDER_SEED, SENDER_AGE, "ias-0042", "Asha Mehta", "super time scale"
        ),
        "v1-ravi.card": lambda have: make_card(
            RECIPIENT_SEED, RECIPIENT_AGE, "ias-0077", "Ravi Desai", "selection grade"
        ),
        "v2-basic.handover": lambda have: make_packet(fmt=2, escrow=True),
        "v2-basic.receipt": lambda have: make_receipt(have("v2-basic.handover")),
        "v2-itcell.handover": lambda have: make_packet(
            fmt=2,
            escrow=True,
            packet_id=V2_ITCELL_ID,
            capacity="it-cell",
            reason="post vacant since the transfer order GAD/2026/114",
            sequence=2,
            previous=packet.sha256(have("v2-basic.receipt")),
        ),
        "v2-basic.rotation": lambda have: make_report(),
    }


def main() -> None:
    """Write the vectors that are not there yet; a committed vector is never rewritten."""

    def have(name: str) -> bytes:
        return (HERE / name).read_bytes()

    for name, make in vectors().items():
        path = HERE / name
        if not path.exists():
            path.write_bytes(make(have))


if __name__ == "__main__":
    main()
