"""No command can leave a registry without a working way in.

Every command that issues a recovery code writes it out (to the terminal, or a file) before it
commits, and commits nothing if that write fails. Shown two ways: a full output (``>/dev/full``),
and ``kill -9`` at every write the command makes (strace stops it at the Nth write, fsync,
rename or unlink, for every N until it runs to the end). After each, the registry opens with the
old secret, or with the new recovery code that was written out.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import BACKEND, HANDOVER, Cli
from tests.faults import copy_registry, env_for, kill_at_every_write, opens_with


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
        else:  # nothing at the path that init would refuse or nothing else would open
            assert not list(registry.parent.glob(f"{registry.name}*")), f"killed at write {at}"

    points = kill_at_every_write(
        ["init", "--recovery-code-file", str(code), "--escrow-identity-file", str(escrow)],
        env_for(cli),
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
    copy_registry(Path(cli.location), base)
    old_code = cli.home / "recovery-code"
    new_code = tmp_path / "new-code"
    env = env_for(cli, HANDOVER_PASSPHRASE_FILE=str(old_code))

    def reset() -> None:
        copy_registry(base, Path(cli.location))
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
    env = env_for(cli, HANDOVER_PASSPHRASE_FILE=str(cli.home / "recovery-code"))
    before = cli.dump()
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [HANDOVER, *args], env=env, stdout=full, stderr=subprocess.PIPE, text=True,
            timeout=120, check=False,
        )  # fmt: skip
    assert proc.returncode == 1
    said = "cannot write the output: No space left on device"
    json_line = '{"error": "' + said + '", "code": 1}'
    assert proc.stderr.strip() == (json_line if "--json" in args else f"handover: {said}")
    assert cli.dump() == before
    assert opens_with(cli.location, cli.home / "recovery-code")
    assert opens_with(cli.location, cli.passphrase_file)


def test_init_whose_code_cannot_be_shown_leaves_nothing(make_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli: Cli = make_cli("full", init=False)
    escrow = tmp_path / "escrow.identity"
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [HANDOVER, "init", "--escrow-identity-file", str(escrow)], env=env_for(cli),
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
