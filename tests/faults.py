"""Fault injection shared by the tests: ``kill -9`` at every write a command makes.

strace stops the command with SIGKILL at its Nth write, fsync, rename or unlink, for every N
until it runs to the end; after each, the test checks what a crash at that moment leaves.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

from tests.conftest import HANDOVER, Cli

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


def env_for(cli: Cli, **extra: str) -> dict[str, str]:
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


def copy_registry(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite registry (the online backup API), replacing ``target``."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    src.backup(dst)
    src.close()
    dst.close()
