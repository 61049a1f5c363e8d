"""Who may sign, claim, acknowledge or report for a post, enforced by each registry's own records.

Three registries, as in the authority issue: A is the IT cell's, where Asha (ias-0042) holds
collector-ahmedabad; B is Ravi's (ias-0077), which records Asha as the holder; M is Mallory's
(mal-0001), a known officer who holds no post and made a registry of her own in which she does.
Every refusal is one clear line, and leaves the registry exactly as it was; the suite runs on
SQLite and on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli

POST = "collector-ahmedabad"


@dataclass
class World:
    a: Cli  # the IT cell's registry; Asha's identity is sealed in it
    a_elsewhere: Cli  # a copy of A (Asha's laptop): packets made there, A never sees
    b: Cli  # Ravi's registry
    m: Cli  # Mallory's registry
    dir: Path

    def card(self, name: str) -> str:
        return str(self.dir / name)

    def packet(self, name: str = "p.handover", *extra: str, source: Cli | None = None) -> Path:
        path = self.dir / name
        (source or self.a).ok(
            "packet", "create", "--post", POST, "--to", "ias-0077", "-o", str(path), *extra
        )
        return path

    def trust_asha(self) -> None:
        self.b.ok("officer", "import-card", self.card("asha.card"), "--confirmed", "phone call")

    def claim(self, packet: Path, receipt: str = "p.receipt") -> Path:
        path = self.dir / receipt
        self.b.ok("packet", "claim", str(packet), "--receipt", str(path))
        return path


def _district_post(cli: Cli) -> None:
    cli.ok("post", "add", POST, "--title", "Collector, Ahmedabad", "--level", "district",
           "--district", "Ahmedabad", "--email", "collector.ahd@gujarat.gov.in", "--phone",
           "+919978400001")  # fmt: skip


def build_world(make: Callable[..., Cli], root: Path) -> World:
    a = make("a")
    a.ok("config", "domains", "add", "gujarat.gov.in")
    _district_post(a)
    a.ok("officer", "add", "ias-0042", "--name", "Asha Mehta", "--phone", "+919978400042")
    a.ok("officer", "add", "ias-0099", "--name", "Somebody Else")
    a.ok("officer", "assign", "ias-0042", POST, "--from", "2026-01-01")
    a.ok("account", "add", "x:@CollectorAhd", "--post", POST, "--login-email",
         "collector.ahd@gujarat.gov.in", "--login-phone", "+919978400001")  # fmt: skip
    a.ok("account", "add", "facebook:collectorahd", "--post", POST, "--login-email",
         "collector.ahd.page@gmail.com", "--allow-personal", "legacy page")  # fmt: skip
    a.ok("account", "set-password", "x:@CollectorAhd", input="Old-X-Passw0rd!\n")
    a.ok("account", "set-password", "facebook:collectorahd", input="Old-FB-Passw0rd!\n")
    a.ok("identity", "create", "--officer", "ias-0042")
    a.ok("identity", "create", "--officer", "ias-0099")
    a.ok("identity", "card", "--officer", "ias-0042", "-o", str(root / "asha.card"))

    b = make("b")
    b.ok("config", "domains", "add", "gujarat.gov.in")
    b.ok("officer", "add", "ias-0077", "--name", "Ravi Desai")
    b.ok("identity", "create", "--officer", "ias-0077")
    b.ok("identity", "card", "-o", str(root / "ravi.card"))
    _district_post(b)
    b.ok("officer", "add", "ias-0042", "--name", "Asha Mehta")
    b.ok("officer", "assign", "ias-0042", POST, "--from", "2026-01-01")

    m = make("m")
    m.ok("config", "domains", "add", "gujarat.gov.in")
    m.ok("officer", "add", "mal-0001", "--name", "Mallory")
    m.ok("identity", "create", "--officer", "mal-0001")
    m.ok("identity", "card", "-o", str(root / "mal.card"))
    _district_post(m)
    m.ok("officer", "assign", "mal-0001", POST)
    m.ok("officer", "import-card", str(root / "ravi.card"), "--confirmed", "phone call")

    for cli, cards in ((a, ("ravi.card", "mal.card")), (b, ("mal.card",))):
        for name in cards:
            cli.ok("officer", "import-card", str(root / name), "--confirmed", "phone call")
    return World(a, a, b, m, root)


@pytest.fixture
def world(templates, clone, tmp_path: Path) -> World:  # type: ignore[no-untyped-def]
    template: World = templates("authority", build_world)
    for name in ("asha.card", "ravi.card", "mal.card"):
        shutil.copy(template.dir / name, tmp_path / name)
    elsewhere = _second_clone(clone, template.a)
    return World(clone(template.a), elsewhere, clone(template.b), clone(template.m), tmp_path)


def _second_clone(clone: Callable[[Cli], Cli], template: Cli) -> Cli:
    """Another copy of A, in a home of its own: Asha's laptop, with the same keys."""
    home = template.home.with_name(template.home.name + "-laptop")
    if not home.exists():
        shutil.copytree(template.home, home)
    laptop = Cli(template.location, home, home / template.passphrase_file.name, dict(template.env))
    return clone(laptop)


def _open(cli: Cli) -> Any:
    from vault.crypto.unlock import Unlocker
    from vault.store import location, storage

    return storage.open_registry(
        location.resolve(cli.location),
        actor="test",
        clock=lambda: dt.datetime.now(dt.UTC),
        unlocker=Unlocker(passphrase_file=cli.passphrase_file),
    )


def signing_key_of(cli: Cli, officer: str) -> bytes:
    """An officer's private signing key, from the registry that seals it (a forger's tool)."""
    from vault.crypto import identities

    reg = _open(cli)
    try:
        with reg.read() as conn:
            row = identities.own_identity(conn, reg, officer)
            return identities.private_keys(conn, reg, row).signing_pem
    finally:
        reg.close()


def forge(w: World, name: str, header_changes: dict[str, Any]) -> Path:
    """A packet *signed with Asha's real key*, with header (and manifest) facts changed: the
    signature is good, so only the rules can refuse it."""
    import pyrage

    from handover.packet import NAMESPACE, Packet
    from vault.canonical import canonical
    from vault.crypto import sshsig

    genuine = Packet.from_bytes(w.packet(f"genuine-{name}").read_bytes())
    header = {**genuine.header.raw, "packet_id": str(uuid.uuid4()), **header_changes}
    repeated = {k: header[k] for k in ("packet_id", "created", "expires", "from", "to", "escrow",
                                       "capacity", "reason", "sequence", "previous")}  # fmt: skip
    manifest = {
        "format": 2,
        "kind": "handover-manifest",
        **repeated,
        "post": {"slug": POST, "title": "x", "level": "district"},
        "accounts": [],
        "groups": [],
        "tenures": [],
    }
    header["accounts"] = 0
    recipient = pyrage.x25519.Recipient.from_str(header["to"]["recipient"])
    age_block = pyrage.encrypt(canonical(manifest), [recipient], armored=True)
    fmt = header["format"] if type(header["format"]) is int else 2
    signed = f"HANDOVER-PACKET/{fmt}\n".encode() + canonical(header) + b"\n" + bytes(age_block)
    signature = sshsig.sign(signing_key_of(w.a, "ias-0042"), NAMESPACE, signed)
    path = w.dir / name
    path.write_bytes(signed + signature.encode())
    return path


def forge_receipt(w: World, packet: Path, signer_registry: Cli, officer: str) -> Path:
    """A receipt for ``packet`` signed by ``officer``'s real key: authentic, but not theirs to
    sign."""
    from handover import claim
    from handover.packet import Packet, sha256
    from vault.crypto import identities, sshsig
    from vault.crypto.signed import SignedDocument

    data = packet.read_bytes()
    header = Packet.from_bytes(data).header
    reg = _open(signer_registry)
    try:
        with reg.read() as conn:
            row = identities.own_identity(conn, reg, officer)
            pem = identities.private_keys(conn, reg, row).signing_pem
            key = sshsig.PublicKey.parse(row.signing_key)
    finally:
        reg.close()
    body = {
        "format": 1,
        "kind": "handover-receipt",
        "packet_id": str(header.packet_id),
        "packet_sha256": sha256(data),
        "post": POST,
        "from": "ias-0042",
        "to": {"officer": officer, "signing_key": key.openssh, "fingerprint": key.fingerprint},
        "claimed": dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "accounts": header.accounts,
    }
    doc = SignedDocument.create(
        claim.RECEIPT_MAGIC, body, lambda m: sshsig.sign(pem, claim.RECEIPT_NAMESPACE, m)
    )
    path = w.dir / f"{officer}.receipt"
    path.write_bytes(doc.to_bytes())
    return path


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# Each rule: the setup (which may change registries), then the command that must be refused,
# run on the registry that must refuse it: (registry, arguments, what the one line says, env).
Refusal = tuple[Cli, list[str], str, dict[str, str]]


def unentitled_signer(w: World) -> Refusal:
    out = str(w.dir / "x.handover")
    args = ["packet", "create", "--post", POST, "--to", "ias-0077", "--from", "ias-0099", "-o", out]
    return w.a, args, "ias-0099 is neither", {}


def no_holder_at_hand(w: World) -> Refusal:
    w.a.ok("officer", "relieve", "ias-0042", POST)
    args = ["packet", "create", "--post", POST, "--to", "ias-0077", "-o", str(w.dir / "x")]
    return w.a, args, "is vacant: only an IT cell member", {}


def it_cell_without_reason(w: World) -> Refusal:
    w.a.ok("member", "add", "ias-0099")
    out = str(w.dir / "x.handover")
    args = ["packet", "create", "--post", POST, "--to", "ias-0077", "--from", "ias-0099", "-o", out]
    return w.a, args, "give --reason", {}


def foreign_held_post(w: World) -> Refusal:
    m_packet = w.packet("m.handover", source=w.m)
    return (
        w.b,
        ["packet", "claim", str(m_packet)],
        "records ias-0042 (Asha Mehta) as the holder",
        {},
    )


def claimant_already_holds(w: World) -> Refusal:
    w.trust_asha()
    w.b.ok("officer", "assign", "ias-0077", POST)
    return w.b, ["packet", "claim", str(w.packet())], "records ias-0077 (Ravi Desai)", {}


def stale_packet(w: World) -> Refusal:
    w.trust_asha()
    older, newer = w.packet("p1.handover"), w.packet("p2.handover")
    w.claim(newer)
    w.b.ok("account", "rotate", "x:@CollectorAhd", input="Ravi-New-Passw0rd!\n")
    return w.b, ["packet", "claim", str(older)], "an older packet cannot be claimed", {}


def personal_account(w: World) -> Refusal:
    w.trust_asha()
    w.b.ok("account", "add", "x:@CollectorAhd", "--kind", "personal", "--officer", "ias-0077",
           "--disclaimer")  # fmt: skip
    return w.b, ["packet", "claim", str(w.packet())], "is a personal account in this registry", {}


def receipt_by_non_recipient(w: World) -> Refusal:
    packet = w.packet()
    receipt = forge_receipt(w, packet, w.a, "ias-0099")
    return w.a, ["packet", "receipt", str(receipt)], "was addressed to ias-0077", {}


def unwitnessed_receipt(w: World) -> Refusal:
    w.trust_asha()
    receipt = w.claim(w.packet("laptop.handover", source=w.a_elsewhere))
    return w.a, ["packet", "receipt", str(receipt)], "witnessed first", {}


def report_by_non_holder(w: World) -> Refusal:
    w.trust_asha()
    w.claim(w.packet())
    report = w.dir / "p.rotation"
    w.b.ok("packet", "report", "--post", POST, "-o", str(report))
    return w.a, ["packet", "receipt", str(report)], "ias-0077 does not hold", {}


def older_report(w: World) -> Refusal:
    w.trust_asha()
    w.a.ok("packet", "receipt", str(w.claim(w.packet())))
    first, second = w.dir / "r1.rotation", w.dir / "r2.rotation"
    w.b.ok("packet", "report", "--post", POST, "-o", str(first))
    w.b.ok("account", "rotate", "x:@CollectorAhd", input="Ravi-New-Passw0rd!\n")
    w.b.ok("packet", "report", "--post", POST, "-o", str(second))
    w.a.ok("packet", "receipt", str(second))
    return w.a, ["packet", "receipt", str(first)], "an older report cannot override", {}


def key_replacement(w: World) -> Refusal:
    w.trust_asha()
    w.a.ok("identity", "create", "--officer", "ias-0042", "--replace")
    new_card = str(w.dir / "asha-new.card")
    w.a.ok("identity", "card", "--officer", "ias-0042", "-o", new_card)
    return w.b, ["officer", "import-card", new_card], "--replace-key --reason", {}


def lifetime_over_90_days(w: World) -> Refusal:
    w.trust_asha()
    now = dt.datetime.now(dt.UTC)
    packet = forge(w, "long.handover", {"expires": _iso(now + dt.timedelta(days=91))})
    return w.b, ["packet", "claim", str(packet)], "more than 90 days", {}


def created_in_the_future(w: World) -> Refusal:
    w.trust_asha()
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    changes = {"created": _iso(later), "expires": _iso(later + dt.timedelta(days=14))}
    packet = forge(w, "future.handover", changes)
    return w.b, ["packet", "claim", str(packet)], "in the future", {}


def type_exact_header(w: World) -> Refusal:
    w.trust_asha()
    packet = forge(w, "typed.handover", {"format": True})
    return w.b, ["packet", "claim", str(packet)], "the packet is damaged or not authentic", {}


def back_dated_clock(w: World) -> Refusal:
    args = ["account", "edit", "x:@CollectorAhd", "--url", "https://x.com/CollectorAhd"]
    return w.a, args, "before the event log's last entry", {"HANDOVER_NOW": "2020-01-01T00:00Z"}


RULES: dict[str, Callable[[World], Refusal]] = {
    "unentitled signer": unentitled_signer,
    "no holder identity at hand, no fallback": no_holder_at_hand,
    "it cell without a reason": it_cell_without_reason,
    "foreign-held post": foreign_held_post,
    "post the claimant holds": claimant_already_holds,
    "stale packet": stale_packet,
    "personal account": personal_account,
    "receipt by non-recipient": receipt_by_non_recipient,
    "unwitnessed receipt": unwitnessed_receipt,
    "report by non-holder": report_by_non_holder,
    "older report": older_report,
    "key replacement": key_replacement,
    "lifetime over 90 days": lifetime_over_90_days,
    "created in the future": created_in_the_future,
    "type-exact header": type_exact_header,
    "back-dated clock": back_dated_clock,
}


@pytest.mark.parametrize("rule", RULES)
def test_each_rule_refuses_with_one_line_and_changes_nothing(world: World, rule: str) -> None:
    cli, args, says, env = RULES[rule](world)
    before = cli.dump()
    line = cli.fails(*args, env=env)
    assert says in line, line
    assert cli.dump() == before


def test_expires_is_limited_to_90_days(world: World) -> None:
    line = world.a.fails("packet", "create", "--post", POST, "--to", "ias-0077", "--expires",
                         "91d", "-o", str(world.dir / "x"), code=2)  # fmt: skip
    assert "90 days" in line
    assert "90 days" in world.a.fails("config", "set", "packet_expiry_days", "120")


def test_an_it_cell_member_signs_for_a_vacant_post_and_the_claimant_sees_it(
    world: World,
) -> None:
    """The department signs when nobody holds the post: the capacity and the reason travel in
    the signed header, and a claimant who knows the signer as IT cell takes the packet."""
    w = world
    w.a.ok("officer", "relieve", "ias-0042", POST)
    w.a.ok("member", "add", "ias-0099")
    out = w.dir / "itc.handover"
    made = w.a.json("packet", "create", "--post", POST, "--to", "ias-0077", "--from", "ias-0099",
                    "--reason", "post vacant since the transfer order", "-o", str(out))  # fmt: skip
    assert made["capacity"] == "it-cell"
    shown = w.b.json("packet", "inspect", str(out))
    assert (shown["capacity"], shown["reason"]) == (
        "it-cell",
        "post vacant since the transfer order",
    )
    card = w.dir / "itc.card"
    w.a.ok("identity", "card", "--officer", "ias-0099", "-o", str(card))
    w.b.ok("officer", "import-card", str(card), "--confirmed", "IT cell, by phone")
    assert "not an IT cell member in this registry" in w.b.fails("packet", "claim", str(out))
    w.b.ok("member", "add", "ias-0099")
    claimed = w.b.json("packet", "claim", str(out), "--receipt", str(w.dir / "itc.receipt"))
    assert (claimed["capacity"], claimed["officer"]) == ("it-cell", "ias-0077")


def test_a_witnessed_packet_is_closed_by_its_receipt(world: World) -> None:
    w = world
    w.trust_asha()
    laptop_packet = w.packet("laptop.handover", source=w.a_elsewhere)
    receipt = w.claim(laptop_packet)
    mallorys = w.packet("m.handover", source=w.m)
    assert "cannot be witnessed" in w.a.fails("packet", "witness", str(mallorys))
    witnessed = w.a.json("packet", "witness", str(laptop_packet))
    assert witnessed["escrow_copy"] is True
    assert "already on record" in w.a.fails("packet", "witness", str(laptop_packet))
    done = w.a.json("packet", "receipt", str(receipt))
    assert (done["outgoing"], done["incoming"]) == ("ias-0042", "ias-0077")


def test_the_log_names_who_acted(world: World) -> None:
    """The officer whose identity signs is the actor; else what HANDOVER_ACTOR declares; else
    the registry's configured operator; the login only as a last resort, and marked so."""
    w = world
    w.packet()
    created = [e for e in w.a.json("log", "list") if e["action"] == "packet.create"][-1]
    assert created["actor"] == "ias-0042"
    undeclared = {"HANDOVER_ACTOR": ""}
    w.a.ok("account", "edit", "x:@CollectorAhd", "--url", "https://x.com/a", env=undeclared)
    assert "no officer 'nobody'" in w.a.fails("config", "set", "operator", "nobody")
    w.a.ok("config", "set", "operator", "ias-0099")
    w.a.ok("account", "edit", "x:@CollectorAhd", "--url", "https://x.com/b", env=undeclared)
    w.a.ok("account", "edit", "x:@CollectorAhd", "--url", "https://x.com/c")
    actors = [e["actor"] for e in w.a.json("log", "list", "--object", "x:@CollectorAhd")][-3:]
    assert actors[0].endswith(" (os login)")
    assert actors[1:] == ["ias-0099 (operator)", "tester (declared)"]


def test_an_overridden_clock_is_recorded_and_audited(world: World) -> None:
    later = _iso(dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    world.a.ok("account", "edit", "x:@CollectorAhd", "--url", "https://x.com/a",
               env={"HANDOVER_NOW": later})  # fmt: skip
    entry = world.a.json("log", "list", env={"HANDOVER_NOW": later})[-1]
    assert entry["details"]["clock"] == "HANDOVER_NOW"
    rules = {f["rule"] for f in world.a.json("audit", env={"HANDOVER_NOW": later})["findings"]}
    assert "clock.overridden" in rules


def test_registry_and_identity_file_have_separate_passphrases(world: World) -> None:
    w = world
    w.b.ok("officer", "add", "ias-0101", "--name", "File Keeper")
    secret = w.dir / "file-pw"
    secret.write_text("the identity file's own passphrase\n")
    keyfile = w.dir / "ias-0101.identity"
    w.b.ok("identity", "create", "--officer", "ias-0101", "--identity-file", str(keyfile),
           "--new-passphrase-file", str(secret))  # fmt: skip
    env = {"HANDOVER_IDENTITY": str(keyfile)}
    line = w.b.fails("identity", "card", "--officer", "ias-0101", "-o", str(w.dir / "k.card"),
                     env=env)  # fmt: skip
    assert "identity file" in line and "--identity-passphrase-file" in line
    env["HANDOVER_IDENTITY_PASSPHRASE_FILE"] = str(w.b.passphrase_file)
    assert "wrong passphrase for the identity file" in w.b.fails(
        "identity", "card", "--officer", "ias-0101", "-o", str(w.dir / "k.card"), env=env
    )
    env["HANDOVER_IDENTITY_PASSPHRASE_FILE"] = str(secret)
    w.b.ok("identity", "card", "--officer", "ias-0101", "-o", str(w.dir / "k.card"), env=env)


def test_a_packet_without_secrets_is_claimed_without_the_registry_passphrase(
    world: World,
) -> None:
    """Only secrets need the registry's key: a claimant whose own key is in an identity file
    claims a packet that carries no passwords without unlocking the registry (a wrong registry
    passphrase is never tried), and the claim is on record."""
    w = world
    w.a.ok("post", "add", "sdm-daskroi", "--title", "SDM, Daskroi", "--level", "district",
           "--district", "Ahmedabad", "--email", "sdm.daskroi@gujarat.gov.in")  # fmt: skip
    w.a.ok("officer", "assign", "ias-0042", "sdm-daskroi", "--from", "2026-01-01")
    w.a.ok("account", "add", "x:@SdmDaskroi", "--post", "sdm-daskroi", "--login-email",
           "sdm.daskroi@gujarat.gov.in")  # fmt: skip
    w.b.ok("officer", "add", "ias-0101", "--name", "File Keeper")
    secret, wrong = w.dir / "file-pw", w.dir / "wrong-pw"
    secret.write_text("the identity file's own passphrase\n")
    wrong.write_text("not the registry passphrase\n")
    keyfile = w.dir / "ias-0101.identity"
    w.b.ok("identity", "create", "--officer", "ias-0101", "--identity-file", str(keyfile),
           "--new-passphrase-file", str(secret))  # fmt: skip
    own_key = {"HANDOVER_IDENTITY": str(keyfile), "HANDOVER_IDENTITY_PASSPHRASE_FILE": str(secret)}
    w.b.ok("identity", "card", "--officer", "ias-0101", "-o", w.card("keeper.card"), env=own_key)
    w.a.ok("officer", "import-card", w.card("keeper.card"), "--confirmed", "phone call")
    packet = w.dir / "sdm.handover"
    w.a.ok("packet", "create", "--post", "sdm-daskroi", "--to", "ias-0101", "-o", str(packet))
    w.trust_asha()
    locked = {**own_key, "HANDOVER_PASSPHRASE_FILE": str(wrong)}
    claimed = w.b.json("packet", "claim", str(packet), "--receipt", str(w.dir / "sdm.receipt"),
                       env=locked)  # fmt: skip
    assert (claimed["officer"], claimed["accounts"]) == ("ias-0101", ["x:@SdmDaskroi"])
    assert w.b.json("account", "show", "x:@SdmDaskroi")["post"] == "sdm-daskroi"
    assert "wrong passphrase" in w.b.fails("account", "set-password", "x:@SdmDaskroi",
                                           input="Keeper-Passw0rd-2026!\n", env=locked)  # fmt: skip


def test_a_round_trip_leaves_the_it_cell_true_and_escrow_recovers_the_new_secrets(
    world: World,
) -> None:
    """A -> B -> A: after the receipt and Ravi's report, A's audit says nothing about the post
    that Ravi's own audit does not; A holds no stale password but an escrowed one; and escrow
    opens exactly what Ravi rotated to."""
    w = world
    w.trust_asha()
    receipt = w.claim(w.packet())
    new = {"x:@CollectorAhd": "Ravi-X-Passw0rd-2026!", "facebook:collectorahd": "Ravi-FB-2026!!"}
    for ref, password in new.items():
        w.b.ok("account", "rotate", ref, input=password + "\n")
    w.b.ok("account", "edit", "facebook:collectorahd", "--login-email",
           "collector.ahd@gujarat.gov.in")  # fmt: skip
    report = w.dir / "p.rotation"
    made = w.b.json("packet", "report", "--post", POST, "-o", str(report))
    assert (made["rotated"], made["accounts"], made["escrowed"]) == (2, 2, True)
    w.a.ok("packet", "receipt", str(receipt))
    recorded = w.a.json("packet", "receipt", str(report))
    assert (recorded["rotated"], recorded["accounts"]) == (made["rotated"], made["accounts"])
    facebook = w.a.json("account", "show", "facebook:collectorahd")
    assert facebook["login_email"] == "collector.ahd@gujarat.gov.in"
    assert facebook["credentials"]["state"] == "escrowed"
    assert facebook["credentials"]["escrowed_by"] == "ias-0077"

    def about_the_post(cli: Cli) -> set[tuple[str, str]]:
        return {(f["rule"], f["object"]) for f in cli.json("audit", "--post", POST)["findings"]}

    assert about_the_post(w.a) <= about_the_post(w.b)
    assert not {r for r, _ in about_the_post(w.a)} & {
        "credential.missing",
        "rotation.due",
        "rotation.overdue",
        "contact.override",
    }
    w.a.ok("escrow", "open", "--post", POST, "--escrow-identity", str(w.a.home / "escrow.identity"),
           "--reason", "holder on leave, page hacked")  # fmt: skip
    for ref, password in new.items():
        shown = w.a.json("account", "show", ref, "--reveal")
        assert shown["secrets"]["password"] == password
        assert shown["credentials"]["rotation_reason"].startswith("escrow opened")
    opened = [e for e in w.a.json("log", "list") if e["action"] == "escrow.open"]
    assert opened[-1]["details"]["severity"] == "critical"
    assert opened[-1]["details"]["reason"] == "holder on leave, page hacked"
    rules = {f["rule"] for f in w.a.json("audit")["findings"]}
    assert "escrow.opened" in rules
    w.a.ok("account", "rotate", "x:@CollectorAhd", input="After-Break-Glass-1!\n")
    left = {f["object"] for f in w.a.json("audit")["findings"] if f["rule"] == "escrow.opened"}
    assert left == {"facebook:collectorahd"}


def test_escrow_open_with_the_wrong_key_or_passphrase_changes_nothing(world: World) -> None:
    w = world
    w.packet()
    before = w.a.dump()
    wrong = w.dir / "wrong-pw"
    wrong.write_text("not the escrow passphrase\n")
    args = ["escrow", "open", "--post", POST, "--escrow-identity",
            str(w.a.home / "escrow.identity"), "--reason", "test"]  # fmt: skip
    assert "wrong passphrase for the identity file" in w.a.fails(
        *args, env={"HANDOVER_ESCROW_PASSPHRASE_FILE": str(wrong)}
    )
    other = w.dir / "other.age"
    import pyrage

    other.write_text(str(pyrage.x25519.Identity.generate()) + "\n")
    assert "does not open the escrow copy" in w.a.fails(
        "escrow", "open", "--post", POST, "--escrow-identity", str(other), "--reason", "test"
    )
    assert "--reason" in w.a.fails(*args[:-2], "--reason", " ")
    assert w.a.dump() == before


def test_init_makes_the_escrow_identity_and_no_escrow_is_audited(make_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli: Cli = make_cli("fresh")
    identity = cli.home / "escrow.identity"
    assert identity.stat().st_mode & 0o077 == 0
    assert b"AGE-SECRET-KEY" not in identity.read_bytes()
    assert len(cli.json("config", "escrow", "list")) == 1
    assert "AGE-SECRET-KEY" not in repr(cli.dump())  # only the recipient is in the registry
    plain = make_cli("plain", init=False)
    out = plain.ok("init", "--no-escrow", "--recovery-code-file", str(plain.home / "rc")).stdout
    assert "No escrow identity" in out
    assert not (plain.home / "escrow.identity").exists()
    rules = {f["rule"] for f in plain.json("audit")["findings"]}
    assert "escrow.none" in rules
    made = plain.json("escrow", "new-identity", "-o", str(plain.home / "later.identity"))
    assert [e["recipient"] for e in plain.json("config", "escrow", "list")] == [made["recipient"]]
