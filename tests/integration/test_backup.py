"""Encrypted backup and restore: an identical registry elsewhere, and every refusal clean."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import BACKEND, Cli
from tests.integration.test_audit import STRONG_X


@pytest.fixture
def full(templates, clone) -> Cli:  # type: ignore[no-untyped-def]
    """A registry with posts, officers, accounts, secrets, identities and a long event log."""
    from tests.integration.test_audit import build_clean

    made: Cli = clone(templates("audit-clean", build_clean))
    return made


def test_backup_restore_gives_an_identical_registry(
    full: Cli, new_location: Callable[[str], str], tmp_path: Path
) -> None:
    backup = tmp_path / "registry.backup"
    made = full.json("backup", "-o", str(backup))
    assert made["tables"]["accounts"] == 3
    assert backup.stat().st_mode & 0o077 == 0
    assert STRONG_X.encode() not in backup.read_bytes()
    target = Cli(new_location("restored"), full.home, full.passphrase_file)
    restored = target.json("restore", str(backup))
    assert restored["log_entries"] == len(full.json("log", "list"))
    assert target.dump() == full.dump()
    assert target.ok("log", "verify").code == 0
    shown = target.json("account", "show", "x:@CollectorAhd", "--reveal")
    assert shown["secrets"]["password"] == STRONG_X


def test_restore_with_the_recovery_code(
    full: Cli, new_location: Callable[[str], str], tmp_path: Path
) -> None:
    backup = tmp_path / "b"
    full.ok("backup", "-o", str(backup))
    code = tmp_path / "code"
    code.write_text(full.recovery_code or "")
    target = Cli(new_location("restored"), full.home, code)
    target.ok("restore", str(backup))
    assert target.dump() == full.dump()


def test_restore_never_overwrites_without_force(full: Cli, cli: Cli, tmp_path: Path) -> None:
    """And with --force, what it replaces is kept: on SQLite a copy of the file beside it; on
    PostgreSQL a backup file in the user's data folder, opened like the backup that replaced
    it, whose restore brings the registry back as it was."""
    backup = tmp_path / "b"
    full.ok("backup", "-o", str(backup))
    before = cli.dump()
    line = cli.fails("restore", str(backup))
    assert "restore over it only with --force" in line
    assert cli.dump() == before
    with_full_key = {"HANDOVER_PASSPHRASE_FILE": str(full.passphrase_file)}
    done = cli.json("restore", str(backup), "--force", env=with_full_key)
    assert cli.dump() == full.dump()
    kept = Path(done["previous"])
    assert kept.stat().st_mode & 0o077 == 0
    if BACKEND == "sqlite":
        assert kept.parent == Path(cli.location).parent
        assert dataclasses.replace(cli, location=str(kept)).dump() == before
    else:
        assert kept.is_relative_to(cli.home)
        assert kept.name.endswith(".backup")
        cli.ok("restore", str(kept), "--force", env=with_full_key)
        assert cli.dump() == before
        cli.ok("log", "verify")


def test_a_backup_with_a_wrong_or_missing_key_is_refused(full: Cli, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong"
    wrong.write_text("not it\n")
    out = tmp_path / "b"
    assert (
        full.fails("backup", "-o", str(out), env={"HANDOVER_PASSPHRASE_FILE": str(wrong)})
        == "handover: wrong passphrase or recovery code"
    )
    assert "locked" in full.fails("backup", "-o", str(out), env={"HANDOVER_PASSPHRASE_FILE": ""})
    assert not out.exists()


@pytest.mark.parametrize("where", [20, 200, -20])
def test_a_corrupted_backup_is_refused(
    full: Cli, new_location: Callable[[str], str], tmp_path: Path, where: int
) -> None:
    backup = tmp_path / "b"
    full.ok("backup", "-o", str(backup))
    data = bytearray(backup.read_bytes())
    data[where] ^= 1
    backup.write_bytes(bytes(data))
    target = Cli(new_location("restored"), full.home, full.passphrase_file)
    line = target.fails("restore", str(backup))
    assert line in (
        "handover: the backup is damaged or not authentic",
        "handover: wrong passphrase or recovery code",
    )
    if BACKEND == "sqlite":
        assert not Path(target.location).exists()
    else:
        assert "holds no handover registry" in target.fails("post", "list")


def test_restore_with_a_wrong_passphrase_changes_nothing(
    full: Cli, new_location: Callable[[str], str], tmp_path: Path
) -> None:
    backup = tmp_path / "b"
    full.ok("backup", "-o", str(backup))
    wrong = tmp_path / "wrong"
    wrong.write_text("nope\n")
    target = Cli(new_location("restored"), full.home, wrong)
    assert target.fails("restore", str(backup)) == "handover: wrong passphrase or recovery code"


def test_a_restore_that_fails_keeps_the_registry_and_no_copy(
    full: Cli, cli: Cli, tmp_path: Path
) -> None:
    """A backup whose event log does not verify is refused after the registry it would
    replace was copied: the registry is as it was, and the copy is gone."""
    from tests.integration.test_audit import _tamper_log

    _tamper_log(full)
    backup = tmp_path / "b"
    full.ok("backup", "-o", str(backup))
    before = cli.dump()
    line = cli.fails(
        "restore", str(backup), "--force",
        env={"HANDOVER_PASSPHRASE_FILE": str(full.passphrase_file)},
    )  # fmt: skip
    assert line == "handover: the backup is damaged or not authentic"
    assert cli.dump() == before
    assert not list((cli.home / "data").rglob("*before-restore*"))
    if BACKEND == "sqlite":
        assert not list(Path(cli.location).parent.glob("*before-restore*"))


def test_a_restore_whose_commit_may_have_failed_keeps_the_copy(
    full: Cli, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A connection lost while the restore was being saved leaves it unknown whether the
    registry was replaced: the copy of what it replaced stays. (Here the restore did take.)"""
    from vault.errors import ServerUnavailable
    from vault.store import storage

    backup = tmp_path / "b"
    full.ok("backup", "-o", str(backup))
    close = storage.Registry.close
    lost = ServerUnavailable("lost while the change was being saved", saved=None)

    def close_once(self: storage.Registry) -> None:
        monkeypatch.setattr(storage.Registry, "close", close)
        close(self)
        raise lost

    monkeypatch.setattr(storage.Registry, "close", close_once)
    line = cli.fails(
        "restore", str(backup), "--force",
        env={"HANDOVER_PASSPHRASE_FILE": str(full.passphrase_file)},
    )  # fmt: skip
    assert line == "handover: lost while the change was being saved"
    assert cli.dump() == full.dump()
    kept = [
        *(cli.home / "data").rglob("*before-restore*"),
        *(Path(cli.location).parent.glob("*before-restore*") if BACKEND == "sqlite" else []),
    ]
    assert len(kept) == 1


@pytest.mark.postgres_only
def test_a_restore_that_cannot_keep_a_copy_restores_nothing(
    full: Cli, cli: Cli, tmp_path: Path
) -> None:
    backup = tmp_path / "b"
    full.ok("backup", "-o", str(backup))
    before = cli.dump()
    not_a_folder = tmp_path / "data"
    not_a_folder.write_text("a file where the data folder should be\n")
    line = cli.fails(
        "restore", str(backup), "--force",
        env={"HANDOVER_PASSPHRASE_FILE": str(full.passphrase_file),
             "XDG_DATA_HOME": str(not_a_folder)},
    )  # fmt: skip
    assert line.startswith("handover: cannot keep a copy of the registry the backup would")
    assert line.endswith("; nothing was restored")
    assert cli.dump() == before
