"""A PostgreSQL server restarted under writers, and a command started while it is down.

The server is a private one (tests/pgserver.py): the suite's own must stay up. Every command
either succeeds or says, in one line and without the driver's detail or the connection string,
that the server was unavailable and whether its change was saved; a command that changed
nothing is run again by itself and succeeds once the server is back; nothing is lost or
half-written, and the log verifies.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import HANDOVER
from tests.pgserver import Server

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]

UNAVAILABLE = "handover: the database server is unavailable: "
UNKNOWN = "handover: the connection to the database server ("


@pytest.fixture
def server() -> Iterator[Server]:
    made = Server()
    made.start()
    try:
        yield made
    finally:
        made.remove()


def _env(url: str, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDOVER_")}
    (home / "pw").write_text("the registry passphrase, long enough\n")
    env.update(
        {
            "HANDOVER_REGISTRY": url,
            "HANDOVER_PASSPHRASE_FILE": str(home / "pw"),
            "HANDOVER_NO_KEYRING": "1",
            "HANDOVER_ACTOR": "tester",
        }
    )
    return env


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HANDOVER, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_a_restart_under_writers_loses_nothing(server: Server, tmp_path: Path) -> None:
    url = server.create_database("outage")
    env = _env(url, tmp_path)
    assert (
        _run(env, "init", "--no-escrow", "--recovery-code-file", str(tmp_path / "rc")).returncode
        == 0
    )
    assert _run(env, "post", "add", "collector-x", "--title", "Collector", "--level", "district",
                "--district", "Kheda").returncode == 0  # fmt: skip

    results: list[tuple[str, subprocess.CompletedProcess[str]]] = []
    stop = threading.Event()

    def writer(w: int) -> None:
        n = 0
        while not stop.is_set():
            handle = f"@w{w}n{n}"
            results.append(
                (handle, _run(env, "account", "add", f"x:{handle}", "--post", "collector-x"))
            )
            n += 1

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(3)]
    for t in threads:
        t.start()
    time.sleep(3)
    server.stop("fast")  # terminates every connection in flight
    # A command that starts while the server is down waits for it, and succeeds.
    late = subprocess.Popen(
        [HANDOVER, "account", "add", "x:@late", "--post", "collector-x"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    time.sleep(2)
    server.start()
    time.sleep(3)
    stop.set()
    for t in threads:
        t.join(timeout=180)
    _out, err = late.communicate(timeout=120)
    assert late.returncode == 0, err
    assert err == ""

    unknown = set()
    for handle, done in results:
        if done.returncode == 0:
            continue
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr
        assert lines[0].startswith((UNAVAILABLE, UNKNOWN)), lines[0]
        if lines[0].startswith(UNKNOWN):
            unknown.add(handle)
    for _, done in results:
        assert "psycopg" not in done.stderr and "postgresql+psycopg" not in done.stderr

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        handles = set(conn.execute(sa.text("SELECT handle FROM accounts")).scalars())
    engine.dispose()
    succeeded = {h for h, done in results if done.returncode == 0} | {"@late"}
    failed = {h for h, done in results if done.returncode != 0} - unknown
    story = [(h, d.returncode, d.stderr.strip()) for h, d in results]
    assert succeeded <= handles, (succeeded - handles, story)
    assert not failed & handles, (failed & handles, story)
    assert handles <= succeeded | unknown, (handles - succeeded - unknown, story)
    assert len(succeeded) > 3, story
    assert _run(env, "log", "verify").returncode == 0


def test_a_server_that_stays_down_is_one_line(server: Server, tmp_path: Path) -> None:
    url = server.create_database("down")
    env = _env(url, tmp_path)
    assert (
        _run(env, "init", "--no-escrow", "--recovery-code-file", str(tmp_path / "rc")).returncode
        == 0
    )
    server.stop("fast")
    started = time.monotonic()
    done = _run(env, "post", "list")
    waited = time.monotonic() - started
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (
        f"{UNAVAILABLE}no server is listening there ({server.dir}/down); nothing was changed\n"
    )
    assert waited > 10  # it was tried again for a while before giving up
