"""Every command is atomic as the user sees it: crashes, full disks, read-only disks, a registry
replaced under a writer, and whatever else lies at the registry's path.

``kill -9`` at every write (tests/faults.py) of ``restore --force``, ``packet claim`` and
``backup``; after each: the registry opens, its log verifies, it holds the old state or the new
one whole, and a run to the end afterwards succeeds and leaves no temporary file behind.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import HANDOVER, Cli, dump
from tests.faults import copy_registry, env_for, kill_at_every_write
from tests.integration.fixtures import Pair

pytestmark = pytest.mark.sqlite_only


def _leftovers(folder: Path) -> list[str]:
    """Hidden temporary or staging files: what a crash may leave, and the next run removes."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") and ".tmp" in p.name)


def _verifies(cli: Cli, env: dict[str, str]) -> bool:
    proc = subprocess.run(
        [HANDOVER, "log", "verify"], env=env, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip
    return proc.returncode == 0


# --- what lies at the registry's path -------------------------------------------------------


def _sqlite_without_registry(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (text)")
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    ("make", "at_init", "at_open"),
    [
        (
            lambda p: p.write_bytes(b""),
            "exists and is empty (not a registry): delete it, then run 'handover init' again, "
            "or choose another --registry",
            "is an empty file, not a registry: delete it and run 'handover init', or choose "
            "another --registry",
        ),
        (
            lambda p: p.write_text("name,post\n"),
            "exists and is not a handover registry (not a SQLite database): move it aside, or "
            "choose another --registry",
            "is not a handover registry (not a SQLite database): choose another --registry",
        ),
        (
            _sqlite_without_registry,
            "is a SQLite database, but not a handover registry: move it aside, or choose "
            "another --registry",
            "is a SQLite database, but not a handover registry: choose another --registry",
        ),
    ],
    ids=["empty", "text", "other-sqlite"],
)
def test_a_file_that_is_not_a_registry_is_named_and_kept(  # type: ignore[no-untyped-def]
    make_cli, make, at_init: str, at_open: str
) -> None:
    cli: Cli = make_cli("other", init=False)
    path = Path(cli.location)
    make(path)
    before = path.read_bytes()
    assert cli.fails("init") == f"handover: {path} {at_init}"
    assert cli.fails("post", "list") == f"handover: {path} {at_open}"
    assert path.read_bytes() == before
    path.unlink()
    cli.ok("init", "--recovery-code-file", str(cli.home / "rc"))
    assert cli.fails("init") == (
        f"handover: a registry already exists at {path}: choose another --registry"
    )


# --- read-only ------------------------------------------------------------------------------

READ_ONLY_SCRIPT = """
set -e
mount -t tmpfs -o size=16m tmpfs "$MOUNT"
cp "$SOURCE"* "$MOUNT"/
mount -o remount,ro "$MOUNT"
for command in "log verify" "account list" "post list" "audit --format json" \\
               "account show x:@CollectorAhd --reveal --json"; do
    echo "== $command"
    $HANDOVER $command 2>&1 && echo "exit 0" || echo "exit $?"
done
echo "== post add"
$HANDOVER post add extra --title Extra --level state 2>&1 && echo "exit 0" || echo "exit $?"
"""


def _on_a_read_only_mount(cli: Cli, tmp_path: Path) -> dict[str, str]:
    """Run reading commands, and one writing command, on a copy of the registry on a file
    system mounted read-only (in a mount namespace of its own)."""
    mount = tmp_path / "ro"
    mount.mkdir()
    env = env_for(cli, HANDOVER_REGISTRY=str(mount / Path(cli.location).name))
    env.update({"MOUNT": str(mount), "SOURCE": cli.location, "HANDOVER": HANDOVER})
    namespace = ["unshare", "-m"] if os.geteuid() == 0 else ["unshare", "-rm"]
    proc = subprocess.run(
        [*namespace, "sh", "-c", READ_ONLY_SCRIPT], env=env, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    sections = proc.stdout.split("== ")[1:]
    return {s.split("\n", 1)[0]: s.split("\n", 1)[1] for s in sections}


@pytest.mark.parametrize("with_wal", [False, True], ids=["checkpointed", "with-wal"])
def test_a_read_only_registry_can_be_read(seeded: Cli, tmp_path: Path, with_wal: bool) -> None:
    """Reading never needs write access, with or without a write-ahead log beside the file."""
    seeded.ok("account", "set-password", "x:@CollectorAhd", input="read-only-pw\n")
    holder = None
    if with_wal:
        # A connection left open keeps the -wal and -shm files, as a running writer would.
        holder = sqlite3.connect(seeded.location)
        holder.execute("PRAGMA wal_autocheckpoint=0")
        holder.execute("UPDATE settings SET value = value WHERE name = 'registry_id'")
        holder.commit()
        assert Path(f"{seeded.location}-wal").exists()
    try:
        out = _on_a_read_only_mount(seeded, tmp_path)
    finally:
        if holder is not None:
            holder.close()
    for command in ("log verify", "account list", "post list", "audit --format json"):
        assert out[command].rstrip().endswith(("exit 0", "exit 1")), out[command]
        assert "handover:" not in out[command], out[command]
    assert out["log verify"].startswith("log verified:")
    assert '"password": "read-only-pw"' in out["account show x:@CollectorAhd --reveal --json"]
    assert out["post add"].splitlines() == [
        f"handover: {tmp_path}/ro/{Path(seeded.location).name} cannot be written here (a read-only "
        "file, folder or file system): this command changes the registry, so nothing was done",
        "exit 1",
    ]


# --- a registry replaced under a waiting writer ---------------------------------------------


def _blocked_in_sqlite_busy_wait(pid: int) -> bool:
    """Whether the process is sleeping in SQLite's busy handler (nanosleep or clock_nanosleep),
    i.e. waiting for the writer lock."""
    try:
        number = Path(f"/proc/{pid}/syscall").read_text().split()[0]
    except (OSError, IndexError):
        return False
    return number in ("35", "230")


def test_a_writer_never_commits_into_a_replaced_file(seeded: Cli, tmp_path: Path) -> None:
    """The writer waits for the lock on the old file; meanwhile the file at the path is
    replaced by another registry. When the lock is released, the writer must notice, and write
    into the registry now at the path: a change made against the old file's pages would lose
    the replacement's own account, or corrupt it."""
    path = Path(seeded.location)
    replacement = tmp_path / "replacement.db"
    copy_registry(path, replacement)
    env = env_for(seeded)
    subprocess.run(
        [HANDOVER, "account", "add", "x:@OnlyInTheReplacement", "--post", "collector-ahmedabad"],
        env={**env, "HANDOVER_REGISTRY": str(replacement)}, check=True, capture_output=True,
    )  # fmt: skip
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    writer = subprocess.Popen(
        [HANDOVER, "account", "add", "x:@Waited", "--post", "collector-ahmedabad"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not _blocked_in_sqlite_busy_wait(writer.pid):
        assert writer.poll() is None, writer.communicate()
        assert time.monotonic() < deadline, "the writer never waited for the lock"
        time.sleep(0.05)
    os.replace(replacement, path)
    blocker.rollback()
    blocker.close()
    _, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    handles = {r[0] for r in conn.execute("SELECT handle FROM accounts")}
    conn.close()
    assert {"@OnlyInTheReplacement", "@Waited"} <= handles
    assert _verifies(seeded, env)


# --- kill -9 at every write -----------------------------------------------------------------


@pytest.mark.slow
def test_restore_killed_at_every_write(seeded: Cli, tmp_path: Path) -> None:
    """Over an existing registry: afterwards it is the old registry or the restored one,
    whole, and it verifies."""
    env = env_for(seeded)
    backup = tmp_path / "r.backup"
    seeded.ok("backup", "-o", str(backup))
    restored = seeded.dump()
    seeded.ok("account", "add", "x:@AfterTheBackup", "--post", "collector-ahmedabad")
    base = tmp_path / "base.db"
    copy_registry(Path(seeded.location), base)
    current = seeded.dump()
    folder = Path(seeded.location).parent

    def reset() -> None:
        copy_registry(base, Path(seeded.location))
        for old in folder.glob(f"{Path(seeded.location).name}.before-restore.*"):
            old.unlink()

    def check(at: int) -> None:
        now = dump(seeded.location)
        assert now in (current, restored), f"killed at write {at}: neither old nor restored"
        assert _verifies(seeded, env), f"killed at write {at}: the log does not verify"

    points = kill_at_every_write(["restore", "--force", str(backup)], env, tmp_path, reset, check)
    assert points > 5
    assert seeded.dump() == restored
    kept = list(folder.glob(f"{Path(seeded.location).name}.before-restore.*.bak"))
    assert len(kept) == 1
    assert dump(str(kept[0])) == current
    assert _leftovers(folder) == []


@pytest.mark.slow
def test_claim_killed_at_every_write(pair: Pair) -> None:
    """No receipt ever vouches for a claim that did not commit; a claim that committed but lost
    its receipt gets the same receipt again when run again."""
    packet = pair.packet()
    b = pair.b
    env = env_for(b)
    base = pair.dir / "b-base.db"
    copy_registry(Path(b.location), base)
    receipt = pair.dir / "r.receipt"
    args = ["packet", "claim", str(packet), "--receipt", str(receipt)]

    def reset() -> None:
        copy_registry(base, Path(b.location))
        receipt.unlink(missing_ok=True)

    def claimed() -> bool:
        return any("received" in row for row in dump(b.location)["custody"])

    def check(at: int) -> None:
        assert _verifies(b, env), f"killed at write {at}: the log does not verify"
        if receipt.exists():
            assert claimed(), f"killed at write {at}: a receipt for a claim that did not commit"
        if claimed():
            again = subprocess.run(
                [HANDOVER, *args], env=env, capture_output=True, text=True, timeout=120,
                check=False,
            )  # fmt: skip
            assert again.returncode == 0, again.stderr
            assert "this packet was claimed here on" in again.stdout
            assert receipt.exists()

    points = kill_at_every_write(args, env, pair.dir, reset, check)
    assert points > 5
    assert _leftovers(pair.dir) == []
    assert pair.a.json("packet", "receipt", str(receipt))["incoming"] == "ias-0077"


@pytest.mark.slow
def test_backup_killed_at_every_write(seeded: Cli, tmp_path: Path) -> None:
    """A killed backup leaves no backup file, or a whole one; what it left beside the target
    is removed by the next backup."""
    env = env_for(seeded)
    target = tmp_path / "out" / "r.backup"
    target.parent.mkdir()

    def reset() -> None:
        target.unlink(missing_ok=True)

    def check(at: int) -> None:
        if target.exists():
            restored = tmp_path / f"restored-{at}.db"
            proc = subprocess.run(
                [HANDOVER, "restore", str(target)], env={**env, "HANDOVER_REGISTRY": str(restored)},
                capture_output=True, text=True, timeout=120, check=False,
            )  # fmt: skip
            assert proc.returncode == 0, f"killed at write {at}: {proc.stderr}"
            assert dump(str(restored)) == dump(seeded.location)
            restored.unlink()

    points = kill_at_every_write(["backup", "-o", str(target)], env, tmp_path, reset, check)
    assert points >= 3
    assert _leftovers(target.parent) == []


# --- restore under a running writer ---------------------------------------------------------


def _lock_held(path: str) -> bool:
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        probe.close()


@pytest.mark.slow
def test_restore_while_an_import_runs_loses_nothing(seeded: Cli, tmp_path: Path) -> None:
    """restore --force takes the writer lock first: the import running then finishes, its rows
    go into the dated copy of the registry the restore replaces, and nothing is committed into
    a file that is no longer the registry."""
    backup = tmp_path / "r.backup"
    seeded.ok("backup", "-o", str(backup))
    rows = ["platform,handle,post"] + [f"x,@bulk{n},collector-ahmedabad" for n in range(5000)]
    csv = tmp_path / "accounts.csv"
    csv.write_text("\n".join(rows) + "\n")
    env = env_for(seeded)
    importer = subprocess.Popen(
        [HANDOVER, "import", "accounts", str(csv)], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not _lock_held(seeded.location):
        assert importer.poll() is None, importer.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    restore = subprocess.run(
        [HANDOVER, "restore", "--force", str(backup)], env=env, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    _, err = importer.communicate(timeout=300)
    assert importer.returncode == 0, err
    assert restore.returncode == 0, restore.stderr
    folder = Path(seeded.location).parent
    (kept,) = folder.glob(f"{Path(seeded.location).name}.before-restore.*.bak")
    copied = {r[0] for r in sqlite3.connect(kept).execute("SELECT handle FROM accounts")}
    live = {r[0] for r in sqlite3.connect(seeded.location).execute("SELECT handle FROM accounts")}
    assert {f"@bulk{n}" for n in range(5000)} <= copied
    assert not any(h.startswith("@bulk") for h in live)
    assert _verifies(seeded, env)


# --- a full disk ----------------------------------------------------------------------------

FULL_DISK_SCRIPT = r"""
import json, os, shutil, sqlite3, subprocess, sys
mount, source, handover, csv = sys.argv[1:5]
tiny = os.path.join(mount, "tiny")
subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mount], check=True)
os.mkdir(tiny)
subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4k", "tmpfs", tiny], check=True)
registry = os.path.join(mount, "r.db")
shutil.copy(source, registry)
env = {**os.environ, "HANDOVER_REGISTRY": registry}
filler = os.path.join(mount, "filler")

def run(*args):
    p = subprocess.run([handover, *args], env=env, capture_output=True, text=True)
    return {"code": p.returncode, "out": p.stdout, "err": p.stderr}

def fill(leave):
    # Fill the file system, then free ``leave`` bytes.
    with open(filler, "ab") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    os.truncate(filler, max(0, os.path.getsize(filler) - leave))

def state():
    c = sqlite3.connect(registry)
    n = c.execute("SELECT count(*) FROM accounts").fetchone()[0]
    sent = c.execute("SELECT count(*) FROM custody WHERE direction = 'sent'").fetchone()[0]
    c.close()
    return n, sent

out = {"before": state()}
fill(256 * 1024)
out["import"] = run("import", "accounts", csv)
out["backup"] = run("backup", "-o", os.path.join(tiny, "r.backup"))
out["packet"] = run("packet", "create", "--post", "collector-ahmedabad", "--to", "ias-0077",
                    "-o", os.path.join(tiny, "p.handover"))
out["tiny"] = sorted(os.listdir(tiny))
os.truncate(filler, 0)
fill(0)
out["add"] = run("account", "add", "x:@NoRoom", "--post", "collector-ahmedabad")
os.unlink(filler)
out["after"] = state()
out["verify"] = run("log", "verify")
print(json.dumps(out))
"""


@pytest.mark.slow
def test_a_full_disk_changes_nothing_and_says_so(pair: Pair, tmp_path: Path) -> None:
    """On small file systems filled up: an import, a backup, a packet and an account each
    fail with one line, and leave the registry as it was, its log verifying, with no partial
    file."""
    rows = ["platform,handle,post"] + [f"x,@bulk{n},collector-ahmedabad" for n in range(20000)]
    csv = tmp_path / "accounts.csv"
    csv.write_text("\n".join(rows) + "\n")
    mount = tmp_path / "small"
    mount.mkdir()
    namespace = ["unshare", "-m"] if os.geteuid() == 0 else ["unshare", "-rm"]
    proc = subprocess.run(
        [*namespace, sys.executable, "-c", FULL_DISK_SCRIPT, str(mount), pair.a.location,
         HANDOVER, str(csv)],
        env=env_for(pair.a), capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    registry = f"{mount}/r.db"
    expected = {
        "import": f"handover: cannot write {registry}: the disk is full; nothing was changed",
        "backup": f"handover: cannot write {mount}/tiny/r.backup: No space left on device",
        "packet": f"handover: cannot write {mount}/tiny/p.handover: No space left on device",
        "add": f"handover: cannot write {registry}: the disk is full; nothing was changed",
    }
    for step, line in expected.items():
        assert (out[step]["code"], out[step]["err"]) == (1, line + "\n"), step
    assert out["tiny"] == []
    assert out["after"] == out["before"]
    assert out["verify"]["code"] == 0, out["verify"]


def test_output_that_cannot_be_written_is_one_line(seeded: Cli) -> None:
    """``>/dev/full``: a listing fails with one line and exit 1; nothing changes."""
    before = seeded.dump()
    for args in (["account", "list"], ["post", "list", "--json"], ["log", "list"]):
        with open("/dev/full", "w") as full:
            proc = subprocess.run(
                [HANDOVER, *args], env=env_for(seeded), stdout=full, stderr=subprocess.PIPE,
                text=True, timeout=120, check=False,
            )  # fmt: skip
        said = "cannot write the output: No space left on device"
        expected = (
            '{"error": "' + said + '", "code": 1}\n' if "--json" in args else f"handover: {said}\n"
        )
        assert (proc.returncode, proc.stderr) == (1, expected), args
    assert seeded.dump() == before
