"""Encryption at rest through the CLI: sealing, unlocking, slots, rotation, TOTP."""

from __future__ import annotations

import base64
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import Cli, engine_for, seed_collectorate

PASSWORD = "S3cret-Passw0rd!"
SEED = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
URI = f"otpauth://totp/X:CollectorAhd?secret={SEED}&digits=8&period=30"
CODES = "rc-11111-aaaa\nrc-22222-bbbb\n"
NOTES = "security question: first posting -> Dholka"


def _with_secrets(make, root):  # type: ignore[no-untyped-def]
    cli = make()
    seed_collectorate(cli)
    cli.ok("account", "set-password", "x:@CollectorAhd", input=PASSWORD + "\n")
    cli.ok("account", "set-totp", "x:@CollectorAhd", input=URI + "\n")
    cli.ok("account", "set-recovery-codes", "x:@CollectorAhd", input=CODES)
    cli.ok("account", "set-notes", "x:@CollectorAhd", input=NOTES)
    return cli


@pytest.fixture
def secret(templates, clone) -> Cli:  # type: ignore[no-untyped-def]
    """The seeded registry with every kind of secret set on x:@CollectorAhd."""
    made: Cli = clone(templates("secrets", _with_secrets))
    return made


def revealed(cli: Cli, env: dict[str, str] | None = None) -> dict[str, object]:
    secrets: dict[str, object] = cli.json(
        "account", "show", "x:@CollectorAhd", "--reveal", env=env
    )["secrets"]
    return secrets


def test_secrets_session(secret: Cli) -> None:
    assert (
        secret.ok("totp", "x:@CollectorAhd", "--at", "59").stdout.strip()
        == "94287082  (valid for 1 more second)"
    )
    got = revealed(secret)
    assert got["password"] == PASSWORD
    assert got["totp"]["secret"] == SEED  # type: ignore[index]
    assert got["recovery_codes"] == ["rc-11111-aaaa", "rc-22222-bbbb"]
    assert got["notes"] == NOTES
    plain = secret.json("account", "show", "x:@CollectorAhd")
    assert "secrets" not in plain
    assert plain["twofa_method"] == "totp"
    assert plain["credentials"]["password_changed_at"] is not None


def _needles() -> list[bytes]:
    raw_seed = base64.b32decode(SEED)
    return [
        PASSWORD.encode(),
        SEED.encode(),
        raw_seed,
        b"rc-11111-aaaa",
        b"Dholka",
        PASSWORD.encode("utf-16-le"),
    ]


@pytest.mark.sqlite_only
def test_file_and_wal_hold_no_secret(seeded: Cli) -> None:
    # A reader held open keeps the WAL from being checkpointed away when the CLI exits.
    reader = sqlite3.connect(seeded.location)
    reader.execute("SELECT count(*) FROM accounts").fetchone()
    seeded.ok("account", "set-password", "x:@CollectorAhd", input=PASSWORD + "\n")
    seeded.ok("account", "set-totp", "x:@CollectorAhd", input=URI + "\n")
    seeded.ok("account", "set-recovery-codes", "x:@CollectorAhd", input=CODES)
    seeded.ok("account", "set-notes", "x:@CollectorAhd", input=NOTES)
    wal = Path(seeded.location + "-wal")
    assert wal.exists() and wal.stat().st_size > 0
    for path in (Path(seeded.location), wal):
        data = path.read_bytes()
        for needle in _needles():
            assert needle not in data, (path.name, needle)
    reader.close()
    assert revealed(seeded)["password"] == PASSWORD


def test_a_dump_of_the_database_holds_no_secret(secret: Cli) -> None:
    text = repr(secret.dump()).encode()
    for needle in _needles():
        assert needle not in text


def _swap(location: str, sql: str) -> None:
    engine = engine_for(location)
    with engine.begin() as conn:
        conn.execute(sa.text(sql))
    engine.dispose()


def test_ciphertext_moved_to_another_row_or_column_does_not_open(secret: Cli) -> None:
    secret.ok("account", "add", "youtube:@CollectorAhd", "--post", "collector-ahmedabad")
    secret.ok("account", "set-password", "youtube:@CollectorAhd", input="other-password\n")
    _swap(
        secret.location,
        "UPDATE accounts SET password_sealed = (SELECT password_sealed FROM accounts "
        "WHERE platform = 'x') WHERE platform = 'youtube'",
    )
    line = secret.fails("account", "show", "youtube:@CollectorAhd", "--reveal")
    assert line == (
        "handover: sealed data failed to open: it was altered, moved or sealed under another key"
    )
    _swap(
        secret.location, "UPDATE accounts SET notes_sealed = password_sealed WHERE platform = 'x'"
    )
    assert "failed to open" in secret.fails("account", "show", "x:@CollectorAhd", "--reveal")


def test_wrong_passphrase_is_one_line_and_changes_nothing(secret: Cli, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong"
    wrong.write_text("not the passphrase\n")
    env = {"HANDOVER_PASSPHRASE_FILE": str(wrong)}
    before = secret.dump()
    for args in (
        ["account", "show", "x:@CollectorAhd", "--reveal"],
        ["account", "set-password", "x:@CollectorAhd"],
        ["totp", "x:@CollectorAhd"],
        ["key", "rotate"],
    ):
        line = secret.fails(*args, input="new-password\n", env=env)
        assert line == "handover: wrong passphrase or recovery code"
    assert secret.dump() == before
    missing = secret.fails(
        "totp", "x:@CollectorAhd", env={"HANDOVER_PASSPHRASE_FILE": str(tmp_path / "nope")}
    )
    assert "cannot read the passphrase file" in missing


def test_no_terminal_and_no_passphrase_file_is_a_clear_error(secret: Cli) -> None:
    line = secret.fails("totp", "x:@CollectorAhd", env={"HANDOVER_PASSPHRASE_FILE": ""})
    assert "locked" in line and "--passphrase-file" in line


def test_recovery_code_opens_the_registry(secret: Cli, tmp_path: Path) -> None:
    assert secret.recovery_code
    code_file = tmp_path / "code"
    for form in (secret.recovery_code, secret.recovery_code.replace("-", "").lower()):
        code_file.write_text(form + "\n")
        got = revealed(secret, env={"HANDOVER_PASSPHRASE_FILE": str(code_file)})
        assert got["password"] == PASSWORD


def test_slots_add_use_and_remove(secret: Cli, tmp_path: Path) -> None:
    deputy = tmp_path / "deputy"
    deputy.write_text("deputy collector passphrase\n")
    secret.ok(
        "key", "add-slot", "passphrase", "--label", "deputy", "--new-passphrase-file", str(deputy)
    )
    slots = secret.json("key", "slots")
    assert sorted(s["label"] for s in slots) == ["deputy", "passphrase", "recovery"]
    assert revealed(secret, env={"HANDOVER_PASSPHRASE_FILE": str(deputy)})["password"] == PASSWORD
    secret.ok("key", "remove-slot", "deputy")
    line = secret.fails("totp", "x:@CollectorAhd", env={"HANDOVER_PASSPHRASE_FILE": str(deputy)})
    assert line == "handover: wrong passphrase or recovery code"
    secret.ok("key", "remove-slot", "recovery")
    before = secret.dump()
    assert "last key slot" in secret.fails("key", "remove-slot", "passphrase")
    assert secret.dump() == before


def test_change_passphrase(secret: Cli, tmp_path: Path) -> None:
    new = tmp_path / "new"
    new.write_text("a brand new passphrase\n")
    old_file = secret.passphrase_file
    secret.ok("key", "change-passphrase", "--new-passphrase-file", str(new))
    assert revealed(secret, env={"HANDOVER_PASSPHRASE_FILE": str(new)})["password"] == PASSWORD
    assert "wrong passphrase" in secret.fails(
        "totp", "x:@CollectorAhd", env={"HANDOVER_PASSPHRASE_FILE": str(old_file)}
    )


def test_key_rotation_reseals_everything(secret: Cli, tmp_path: Path) -> None:
    secret.ok("account", "add", "youtube:@CollectorAhd", "--post", "collector-ahmedabad")
    secret.ok("account", "set-password", "youtube:@CollectorAhd", input="other-password\n")
    engine = engine_for(secret.location)
    with engine.connect() as conn:
        old_key = conn.execute(sa.text("SELECT id FROM data_keys")).scalar()
        old_blobs = {
            bytes(r[0]) for r in conn.execute(sa.text("SELECT password_sealed FROM accounts"))
        }
    result = secret.json("key", "rotate")
    assert result["secrets"] == 5
    assert result["slots_kept"] == ["passphrase", "recovery"]
    new_code = result["recovery_codes"]["recovery"]
    with engine.connect() as conn:
        keys = dict(conn.execute(sa.text("SELECT id, retired_at FROM data_keys")).all())
        slots = conn.execute(sa.text("SELECT key_id FROM key_slots")).scalars().all()
        blobs = [
            bytes(b)
            for row in conn.execute(
                sa.text(
                    "SELECT password_sealed, totp_sealed, recovery_codes_sealed, notes_sealed "
                    "FROM accounts"
                )
            )
            for b in row
            if b is not None
        ]
    engine.dispose()
    import uuid

    old_id = uuid.UUID(str(old_key))
    assert keys[old_key] is not None  # retired
    assert all(uuid.UUID(str(k)) != old_id for k in slots)
    assert len(blobs) == 5
    assert all(blob[1:17] != old_id.bytes for blob in blobs)
    assert not old_blobs & set(blobs)
    got = revealed(secret)
    assert got["password"] == PASSWORD and got["notes"] == NOTES
    code_file = tmp_path / "code"
    code_file.write_text(secret.recovery_code or "")
    assert "wrong passphrase" in secret.fails(
        "totp", "x:@CollectorAhd", env={"HANDOVER_PASSPHRASE_FILE": str(code_file)}
    )
    code_file.write_text(new_code)
    assert (
        revealed(secret, env={"HANDOVER_PASSPHRASE_FILE": str(code_file)})["password"] == PASSWORD
    )


def test_rotate_requires_a_new_password_and_clears_the_mark(secret: Cli) -> None:
    engine = engine_for(secret.location)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE accounts SET rotation_due_at = created_at, rotation_reason = 'handover'"
            )
        )
    engine.dispose()
    before = secret.dump()
    assert "same as the current" in secret.fails(
        "account", "rotate", "x:@CollectorAhd", input=PASSWORD + "\n"
    )
    assert secret.dump() == before
    shown = secret.json("account", "rotate", "x:@CollectorAhd", input="N3w-Passw0rd!\n")
    assert shown["rotation_due_at"] is None
    assert revealed(secret)["password"] == "N3w-Passw0rd!"


@pytest.mark.parametrize(
    "args",
    [
        ["account", "set-password", "x:@CollectorAhd", "--password", "S3cret"],
        ["account", "rotate", "x:@CollectorAhd", "--password=S3cret"],
        ["account", "set-totp", "x:@CollectorAhd", "--seed", SEED],
        ["--passphrase", "hunter2", "account", "list"],
    ],
    ids=["set-password", "rotate", "set-totp", "global-passphrase"],
)
def test_secret_on_the_command_line_is_refused(seeded: Cli, args: list[str]) -> None:
    before = seeded.dump()
    line = seeded.fails(*args, code=2)
    assert "refusing a secret on the command line" in line
    assert "S3cret" not in line and SEED not in line
    assert seeded.dump() == before


def test_totp_with_sha512_and_80_bit_seed(seeded: Cli) -> None:
    seeded.ok(
        "account",
        "set-totp",
        "x:@CollectorAhd",
        input="otpauth://totp/Y?secret=JBSWY3DPEHPK3PXP&algorithm=SHA512&digits=6\n",
    )
    out = seeded.json("totp", "x:@CollectorAhd", "--at", "1111111111")
    from vault.crypto.totp import TotpSeed

    assert out["code"] == TotpSeed("JBSWY3DPEHPK3PXP", "SHA512", 6, 30).code(1111111111)[0]
    assert out["valid_for"] == 30 - 1111111111 % 30


def test_totp_without_a_seed(seeded: Cli) -> None:
    assert "has no TOTP seed" in seeded.fails("totp", "x:@CollectorAhd", "--at", "0")


def test_bad_seed_changes_nothing(seeded: Cli) -> None:
    before = seeded.dump()
    assert "not valid base32" in seeded.fails(
        "account", "set-totp", "x:@CollectorAhd", input="hello world!\n"
    )
    assert seeded.dump() == before


def test_the_passphrase_is_asked_for_on_a_terminal(secret: Cli) -> None:
    """No passphrase file: handover asks on the terminal, without echo."""
    import os

    from tests.conftest import HANDOVER, PASSPHRASE
    from tests.terminal import Terminal

    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDOVER_")}
    env["HANDOVER_REGISTRY"] = secret.location
    term = Terminal([HANDOVER, "account", "show", "x:@CollectorAhd", "--reveal", "--json"], env)
    term.answer_secret(b"Registry passphrase or recovery code:", PASSPHRASE)
    assert term.finish() == 0, term.seen
    assert PASSWORD.encode() in term.seen
    assert PASSPHRASE.encode() not in term.seen  # typed, never echoed
