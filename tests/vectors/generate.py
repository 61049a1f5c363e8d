"""Generator of the committed test vectors: packets, a receipt and a card of format version 1.

Keys and clock are fixed, and published here: they are test keys, never to be used for anything
else. Age encryption is randomised, so each run writes different bytes; the committed files are
one such run, and every later version of handover must still read, verify, open and claim them
(``tests/test_vectors.py``). Run ``python -m tests.vectors.generate`` only when adding vectors.
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


def people(escrow: bool) -> dict[str, Any]:
    return {
        "from": {
            "officer": "ias-0042",
            "name": "Asha Mehta",
            "signing_key": public(SENDER_SEED).openssh,
            "fingerprint": public(SENDER_SEED).fingerprint,
        },
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


def make_packet(*, escrow: bool = False, packet_id: str = PACKET_ID) -> bytes:
    """A packet built exactly as ``handover packet create`` builds one, from fixed inputs."""
    times = {"packet_id": packet_id, "created": packet.iso(CREATED), "expires": packet.iso(EXPIRES)}
    who = people(escrow)
    body = content()
    manifest = {
        "format": 1,
        "kind": "handover-manifest",
        **times,
        **who,
        **body,
        "log_head": {"size": 42, "hash": "ab" * 32},
    }
    header = {
        "format": 1,
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
    unsigned = packet.Packet(packet.Header.check(header), ciphertext, "")
    signature = sshsig.sign(pem(SENDER_SEED), packet.NAMESPACE, unsigned.signed)
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


def make_receipt(packet_bytes: bytes) -> bytes:
    key = public(RECIPIENT_SEED)
    body = {
        "format": 1,
        "kind": "handover-receipt",
        "packet_id": PACKET_ID,
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


def main() -> None:
    basic = make_packet()
    (HERE / "v1-basic.handover").write_bytes(basic)
    (HERE / "v1-escrow.handover").write_bytes(
        make_packet(escrow=True, packet_id="0a9e7d3c-5b1f-4e2a-8c6d-9f0b1a2c3d4e")
    )
    (HERE / "v1-basic.receipt").write_bytes(make_receipt(basic))
    (HERE / "v1-asha.card").write_bytes(
        make_card(SENDER_SEED, SENDER_AGE, "ias-0042", "Asha Mehta", "super time scale")
    )
    (HERE / "v1-ravi.card").write_bytes(
        make_card(RECIPIENT_SEED, RECIPIENT_AGE, "ias-0077", "Ravi Desai", "selection grade")
    )


if __name__ == "__main__":
    main()
