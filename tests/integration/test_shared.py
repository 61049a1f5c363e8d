"""A department-wide registry with per-post keys: each officer opens only the posts they hold.

Runs on both backends (the key design does not depend on the database); the suite's PostgreSQL
run is the shared server case.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import Cli, engine_for

DENIED = (
    "handover: none of your identities can open these secrets: they belong to a post you "
    "do not hold"
)


class Officer:
    """One officer at their own machine: their identity file and its passphrase."""

    def __init__(self, cli: Cli, service_id: str) -> None:
        self.cli = cli
        self.id = service_id
        self.pw = cli.home / f"{service_id}.pw"
        self.file = cli.home / f"{service_id}.identity"

    @property
    def env(self) -> dict[str, str]:
        return {
            "HANDOVER_PASSPHRASE_FILE": str(self.pw),
            "HANDOVER_IDENTITY": str(self.file),
            "HANDOVER_IDENTITY_PASSPHRASE_FILE": str(self.pw),
        }

    def ok(self, *args: str, input: str | None = None) -> Any:
        return self.cli.ok(*args, input=input, env=self.env)

    def fails(self, *args: str, input: str | None = None) -> str:
        return self.cli.fails(*args, input=input, env=self.env)

    def reveal(self, ref: str) -> str:
        return str(
            self.cli.json("account", "show", ref, "--reveal", env=self.env)["secrets"]["password"]
        )


def build_shared(make, root: Path) -> Cli:  # type: ignore[no-untyped-def]
    cli: Cli = make("shared", init=False)
    cli.ok("init", "--shared", "--recovery-code-file", str(cli.home / "rc"))
    cli.ok("config", "domains", "add", "gujarat.gov.in")
    for slug, district, phone in (
        ("collector-ahmedabad", "Ahmedabad", "+919978400001"),
        ("collector-kheda", "Kheda", "+919978400003"),
    ):
        cli.ok(
            "post",
            "add",
            slug,
            "--title",
            slug,
            "--level",
            "district",
            "--district",
            district,
            "--phone",
            phone,
        )
    for service_id in ("ias-0042", "ias-0077", "ias-0099", "itc-0001", "itc-0002"):
        cli.ok("officer", "add", service_id, "--name", f"Officer {service_id}")
        officer = Officer(cli, service_id)
        officer.pw.write_text(f"passphrase of {service_id}\n")
        cli.ok(
            "identity",
            "create",
            "--officer",
            service_id,
            "--identity-file",
            str(officer.file),
            env={"HANDOVER_IDENTITY_PASSPHRASE_FILE": str(officer.pw)},
        )
    cli.ok("member", "add", "itc-0001")
    cli.ok("officer", "assign", "ias-0042", "collector-ahmedabad")
    cli.ok("officer", "assign", "ias-0077", "collector-kheda")
    cli.ok("account", "add", "x:@CollectorAhd", "--post", "collector-ahmedabad")
    cli.ok("account", "add", "x:@CollectorKheda", "--post", "collector-kheda")
    Officer(cli, "ias-0042").ok(
        "account", "set-password", "x:@CollectorAhd", input="asha-password\n"
    )
    Officer(cli, "ias-0077").ok(
        "account", "set-password", "x:@CollectorKheda", input="ravi-password\n"
    )
    return cli


@pytest.fixture
def shared(templates, clone) -> Cli:  # type: ignore[no-untyped-def]
    made: Cli = clone(templates("shared", build_shared))
    return made


def test_officers_open_only_the_posts_they_hold(shared: Cli) -> None:
    asha, ravi = Officer(shared, "ias-0042"), Officer(shared, "ias-0077")
    assert asha.reveal("x:@CollectorAhd") == "asha-password"
    assert ravi.reveal("x:@CollectorKheda") == "ravi-password"
    before = shared.dump()
    assert ravi.fails("account", "show", "x:@CollectorAhd", "--reveal") == DENIED
    assert asha.fails("account", "set-password", "x:@CollectorKheda", input="x\n") == DENIED
    assert shared.dump() == before
    member = Officer(shared, "itc-0001")
    assert member.reveal("x:@CollectorAhd") == "asha-password"
    assert member.reveal("x:@CollectorKheda") == "ravi-password"


def test_the_shared_database_holds_no_private_key_or_secret(shared: Cli) -> None:
    text = repr(shared.dump())
    for secret in ("asha-password", "ravi-password", "AGE-SECRET-KEY", "OPENSSH PRIVATE KEY"):
        assert secret not in text


def test_after_a_handover_the_outgoing_officer_is_locked_out(shared: Cli) -> None:
    asha, successor = Officer(shared, "ias-0042"), Officer(shared, "ias-0099")
    engine = engine_for(shared.location)
    with engine.connect() as conn:
        old_blob = conn.execute(
            sa.text("SELECT password_sealed FROM accounts WHERE handle = '@CollectorAhd'")
        ).scalar()
    asha.ok("officer", "assign", "ias-0099", "collector-ahmedabad")
    with engine.connect() as conn:
        new_blob = conn.execute(
            sa.text("SELECT password_sealed FROM accounts WHERE handle = '@CollectorAhd'")
        ).scalar()
        keys = conn.execute(
            sa.text(
                "SELECT count(*) FROM data_keys WHERE scope = 'post' AND retired_at IS NOT NULL"
            )
        ).scalar()
    engine.dispose()
    assert bytes(new_blob)[1:17] != bytes(old_blob)[1:17]  # sealed under a new key
    assert keys == 1
    assert asha.fails("account", "show", "x:@CollectorAhd", "--reveal") == DENIED
    assert successor.reveal("x:@CollectorAhd") == "asha-password"
    shown = shared.json("account", "show", "x:@CollectorAhd")
    assert shown["credentials"]["rotation_reason"] == "handover from ias-0042 to ias-0099"
    # The audit sees a recorded handover, not an unrecorded change of holder.
    rules = {
        f["rule"] for f in shared.ok("audit", "--no-secrets", "--format", "json").json()["findings"]
    }
    assert "post.unrecorded-handover" not in rules
    assert "rotation.due" in rules


def test_a_handover_needs_someone_who_can_open_the_post(shared: Cli) -> None:
    ravi = Officer(shared, "ias-0077")
    before = shared.dump()
    line = ravi.fails("officer", "assign", "ias-0099", "collector-ahmedabad")
    assert "re-keying post collector-ahmedabad needs its current key" in line
    assert shared.dump() == before


def test_members_added_and_removed(shared: Cli) -> None:
    first, second = Officer(shared, "itc-0001"), Officer(shared, "itc-0002")
    assert second.fails("account", "show", "x:@CollectorAhd", "--reveal") == DENIED
    first.ok("member", "add", "itc-0002")
    assert second.reveal("x:@CollectorKheda") == "ravi-password"
    assert [m["officer"] for m in shared.json("member", "list")] == ["itc-0001", "itc-0002"]
    change = second.cli.json("member", "remove", "itc-0001", env=second.env)
    assert change["posts"] == 2
    assert change["credentials_marked"] == 2
    assert first.fails("account", "show", "x:@CollectorAhd", "--reveal") == DENIED
    assert second.reveal("x:@CollectorAhd") == "asha-password"
    marked = shared.json("account", "show", "x:@CollectorKheda")["credentials"]
    assert marked["rotation_reason"] == "IT cell member itc-0001 removed"
    assert [m["officer"] for m in shared.json("member", "list")] == ["itc-0002"]


def test_private_keys_never_enter_a_shared_registry(shared: Cli) -> None:
    line = shared.fails("identity", "create", "--officer", "ias-0099", "--replace")
    assert "--identity-file" in line


def test_wrong_identity_passphrase(shared: Cli, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong"
    wrong.write_text("nope\n")
    asha = Officer(shared, "ias-0042")
    line = shared.fails(
        "account",
        "show",
        "x:@CollectorAhd",
        "--reveal",
        env={**asha.env, "HANDOVER_IDENTITY_PASSPHRASE_FILE": str(wrong)},
    )
    assert line.startswith("handover: wrong passphrase for the identity file")


def test_an_account_moved_to_another_post_follows_its_key(shared: Cli) -> None:
    member, ravi = Officer(shared, "itc-0001"), Officer(shared, "ias-0077")
    member.ok("account", "edit", "x:@CollectorAhd", "--post", "collector-kheda")
    assert ravi.reveal("x:@CollectorAhd") == "asha-password"


def test_members_of_a_registry_with_one_key_only_act_for_the_department(seeded: Cli) -> None:
    """On an IT cell's own registry a member is a record of who may act for the department; no
    key is wrapped to them."""
    seeded.ok("officer", "add", "itc-0001", "--name", "IT cell")
    assert "identity" in seeded.fails("member", "add", "itc-0001")
    seeded.ok("identity", "create", "--officer", "itc-0001")
    slots = len(seeded.json("key", "slots"))
    assert "IT cell member" in seeded.ok("member", "add", "itc-0001").stdout
    assert [m["officer"] for m in seeded.json("member", "list")] == ["itc-0001"]
    assert len(seeded.json("key", "slots")) == slots
    seeded.ok("member", "remove", "itc-0001")
    assert seeded.json("member", "list") == []


def test_an_identity_kept_in_the_os_keyring(shared: Cli) -> None:
    import keyring

    from tests.integration.test_keyring import MemoryKeyring

    previous = keyring.get_keyring()
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    try:
        shared.ok("officer", "add", "ias-0123", "--name", "Keyring Officer")
        shared.ok("identity", "create", "--officer", "ias-0123", "--keyring")
        assert len(memory.entries) == 1
        assert "AGE-SECRET-KEY" not in repr(shared.dump())
        Officer(shared, "ias-0042").ok("officer", "assign", "ias-0123", "collector-ahmedabad")
        env = {"HANDOVER_IDENTITY": "keyring:ias-0123", "HANDOVER_PASSPHRASE_FILE": ""}
        shown = shared.json("account", "show", "x:@CollectorAhd", "--reveal", env=env)
        assert shown["secrets"]["password"] == "asha-password"
        memory.entries.clear()
        line = shared.fails("account", "show", "x:@CollectorAhd", "--reveal", env=env)
        assert "holds no identity of ias-0123" in line
    finally:
        keyring.set_keyring(previous)


def test_a_claim_hands_the_post_key_to_the_claimant(shared: Cli, tmp_path: Path) -> None:
    """A packet made and claimed in the same shared registry: the claim re-keys the post to its
    new holder in the same transaction, so he opens what he claimed and the sender no longer
    does."""
    asha, successor = Officer(shared, "ias-0042"), Officer(shared, "ias-0099")
    packet = tmp_path / "p.handover"
    asha.ok(
        "packet", "create", "--post", "collector-ahmedabad", "--to", "ias-0099", "-o", str(packet)
    )
    claimed = successor.ok("packet", "claim", str(packet), "--json").json()
    assert claimed["previous_holder"] == "ias-0042"
    assert successor.reveal("x:@CollectorAhd") == "asha-password"
    assert asha.fails("account", "show", "x:@CollectorAhd", "--reveal") == DENIED
    assert Officer(shared, "itc-0001").reveal("x:@CollectorAhd") == "asha-password"
    assert shared.ok("log", "verify").code == 0


def test_a_claim_that_would_strand_a_secret_is_refused(shared: Cli, tmp_path: Path) -> None:
    """A secret added after the packet was made is not in it: the claimant could not re-seal
    it, so the claim is refused whole rather than leave it under a key nobody holds."""
    asha, successor = Officer(shared, "ias-0042"), Officer(shared, "ias-0099")
    packet = tmp_path / "p.handover"
    asha.ok(
        "packet", "create", "--post", "collector-ahmedabad", "--to", "ias-0099", "-o", str(packet)
    )
    asha.ok("account", "add", "facebook:CollectorAhd", "--post", "collector-ahmedabad")
    asha.ok("account", "set-password", "facebook:CollectorAhd", input="late-password\n")
    before = shared.dump()
    line = successor.fails("packet", "claim", str(packet))
    assert line == (
        "handover: facebook:CollectorAhd has secrets here that the packet does not carry (it "
        "changed after the packet was made): ask the sender for a new packet; nothing was claimed"
    )
    assert shared.dump() == before
