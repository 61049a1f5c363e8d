"""No command can leave a registry without a working way in.

Every command that issues a recovery code writes it out (to the terminal, or a file) before it
commits, and commits nothing if that write fails. Shown two ways: a full output (``>/dev/full``),
and ``kill -9`` at every write the command makes (strace stops it at the Nth write, fsync,
rename or unlink, for every N until it runs to the end). After each, the registry opens with the
old secret, or with the new recovery code that was written out.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import BACKEND, HANDOVER, Cli

WRITES = "write,pwrite64,fsync,fdatasync,unlink,unlinkat,rename,renameat,renameat2,link,linkat"
# Page writes inside a transaction are all alike (nothing is committed until the log's last
# frame and its fdatasync), so the kill points are every write except SQLite's page writes,
# plus every durability point: each a moment at which the file system changes state for good.
KILL_AT = "write,fsync,fdatasync,unlink,unlinkat,rename,renameat,renameat2,link,linkat"


def opens_with(location: str, secret_file: Path) -> bool:
    """Whether the registry opens with the passphrase or recovery code in ``secret_file``."""
    from vault.crypto.unlock import Unlocker, registry_key
    from vault.errors import VaultError
    from vault.store import location as where
    from vault.store import storage

    if not secret_file.exists():
        return False
    try:
        reg = storage.open_registry(
            where.resolve(location),
            actor="test",
            clock=lambda: dt.datetime.now(dt.UTC),
            unlocker=Unlocker(passphrase_file=secret_file, use_keyring=False),
        )
    except VaultError:
        return False
    try:
        with reg.read() as conn:
            registry_key(conn, reg)
        return True
    except VaultError:
        return False
    finally:
        reg.close()


def run_killed(
    args: list[str], env: dict[str, str], cwd: Path, at: int | None
) -> subprocess.CompletedProcess[str]:
    """``handover ARGS``, killed with SIGKILL at its ``at``-th write (or run whole)."""
    command = [HANDOVER, *args]
    if at is not None:
        command = [
            "strace", "-f", "-qq", "-o", "/dev/null", "-e", f"trace={WRITES}",
            "-e", f"inject={KILL_AT}:signal=KILL:when={at}", *command,
        ]  # fmt: skip
    return subprocess.run(
        command, env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def kill_at_every_write(
    args: list[str],
    env: dict[str, str],
    cwd: Path,
    reset: Callable[[], None],
    check: Callable[[int], None],
) -> int:
    """Run the command killed at write 1, 2, 3, ... until it completes; ``check`` after each."""
    assert shutil.which("strace"), "strace is missing: run scripts/system-deps"
    at = 1
    while True:
        reset()
        proc = run_killed(args, env, cwd, at)
        check(at)
        if proc.returncode != -9:
            assert proc.returncode == 0, proc.stderr
            return at
        at += 1


def _env(cli: Cli, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDOVER_")}
    env.update(
        {
            "HANDOVER_REGISTRY": cli.location,
            "HANDOVER_PASSPHRASE_FILE": str(cli.passphrase_file),
            "HANDOVER_ESCROW_PASSPHRASE_FILE": str(cli.home / "escrow-pw"),
            "HANDOVER_NO_KEYRING": "1",
            **extra,
        }
    )
    return env


def _copy(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite registry (the online backup API), replacing ``target``."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    src.backup(dst)
    src.close()
    dst.close()


@pytest.mark.slow
@pytest.mark.sqlite_only
def test_init_killed_at_every_write(make_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli: Cli = make_cli("fresh", init=False)
    registry, code = Path(cli.location), tmp_path / "rc"
    escrow = tmp_path / "escrow.identity"

    def reset() -> None:
        for path in (registry, code, escrow):
            path.unlink(missing_ok=True)

    def check(at: int) -> None:
        if registry.exists():
            assert opens_with(cli.location, code), f"killed at write {at}: no way in"

    points = kill_at_every_write(
        ["init", "--recovery-code-file", str(code), "--escrow-identity-file", str(escrow)],
        _env(cli),
        tmp_path,
        reset,
        check,
    )
    assert points > 5
    assert opens_with(cli.location, code) and opens_with(cli.location, cli.passphrase_file)


@pytest.mark.slow
@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    "args",
    [
        ["key", "rotate", "--recovery-code-file"],
        ["key", "add-slot", "recovery", "--label", "spare", "--recovery-code-file"],
    ],
    ids=["rotate", "add-slot"],
)
def test_recovery_code_flows_killed_at_every_write(
    cli: Cli, tmp_path: Path, args: list[str]
) -> None:
    """Opened with the recovery code itself (the passphrase slot cannot then be re-wrapped),
    a rotation is the riskiest: the only way in afterwards is the new code."""
    base = tmp_path / "base.db"
    _copy(Path(cli.location), base)
    old_code = cli.home / "recovery-code"
    new_code = tmp_path / "new-code"
    env = _env(cli, HANDOVER_PASSPHRASE_FILE=str(old_code))

    def reset() -> None:
        _copy(base, Path(cli.location))
        new_code.unlink(missing_ok=True)

    def check(at: int) -> None:
        ways_in = opens_with(cli.location, old_code) or opens_with(cli.location, new_code)
        assert ways_in, f"killed at write {at}: neither the old nor the new code opens"

    points = kill_at_every_write([*args, str(new_code)], env, tmp_path, reset, check)
    assert points > 3
    assert opens_with(cli.location, new_code)


@pytest.mark.parametrize(
    "args",
    [
        ["key", "rotate"],
        ["key", "rotate", "--json"],
        ["key", "add-slot", "recovery", "--label", "spare"],
    ],
    ids=["rotate", "rotate-json", "add-slot"],
)
def test_a_code_that_cannot_be_shown_changes_nothing(cli: Cli, args: list[str]) -> None:
    """``>/dev/full``: the new code cannot reach anyone, so nothing is saved; the old
    passphrase and recovery code still open the registry."""
    env = _env(cli, HANDOVER_PASSPHRASE_FILE=str(cli.home / "recovery-code"))
    before = cli.dump()
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [HANDOVER, *args], env=env, stdout=full, stderr=subprocess.PIPE, text=True,
            timeout=120, check=False,
        )  # fmt: skip
    assert proc.returncode == 1
    assert proc.stderr.strip() == "handover: cannot write the output: No space left on device"
    assert cli.dump() == before
    assert opens_with(cli.location, cli.home / "recovery-code")
    assert opens_with(cli.location, cli.passphrase_file)


def test_init_whose_code_cannot_be_shown_leaves_nothing(make_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli: Cli = make_cli("full", init=False)
    escrow = tmp_path / "escrow.identity"
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [HANDOVER, "init", "--escrow-identity-file", str(escrow)], env=_env(cli),
            cwd=tmp_path, stdout=full, stderr=subprocess.PIPE, text=True, timeout=120,
            check=False,
        )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert "No space left on device" in proc.stderr
    assert not escrow.exists()
    if BACKEND == "sqlite":
        assert not Path(cli.location).exists()
        assert list(Path(cli.location).parent.glob(f".{Path(cli.location).name}*")) == []
    cli.ok("init", "--recovery-code-file", str(tmp_path / "rc"))  # the path is free
