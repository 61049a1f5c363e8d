"""Worker processes for the concurrency tests, run as ``python -m tests.integration.workers``.

``write``: add accounts, record verification changes and seal passwords until time runs out.
``claim``: wait for a shared start time, then claim a packet through the CLI, as a user would.
Both report what they did as JSON, so the test can check that nothing was lost or duplicated.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import sys
import time
import traceback
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path


def write(location: str, passphrase: str, worker: str, seconds: str, out: str) -> None:
    from vault.crypto import unlock as keys
    from vault.records import account_changes, credentials
    from vault.store import storage
    from vault.store.location import resolve

    registry = storage.open_registry(
        resolve(location),
        actor=f"worker-{worker}",
        clock=lambda: dt.datetime.now(dt.UTC),
        unlocker=keys.Unlocker(passphrase_file=Path(passphrase)),
    )
    done, errors = 0, []
    deadline = time.monotonic() + float(seconds)
    while time.monotonic() < deadline and done < 1000:
        ref = f"x:@w{worker}n{done}"
        try:
            account_changes.add(
                registry, ref, account_changes.AccountFields(post="collector-ahmedabad")
            )
            account_changes.record_verification(
                registry, ref, "applied", evidence=f"worker {worker}"
            )
            credentials.set_password(registry, ref, f"pw-{worker}-{done}")
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
            break
        done += 1
    registry.close()
    Path(out).write_text(json.dumps({"done": done, "errors": errors}))


def claim(location: str, passphrase: str, packet: str, start_at: str, out: str) -> None:
    from handover.cli import app

    os.environ.update({"HANDOVER_REGISTRY": location, "HANDOVER_PASSPHRASE_FILE": passphrase})
    time.sleep(max(0.0, float(start_at) - time.time()))
    stdout, stderr = io.StringIO(), io.StringIO()
    code = 0
    with redirect_stdout(stdout), redirect_stderr(stderr):
        try:
            app(["packet", "claim", packet, "--receipt", f"{out}.receipt"], prog_name="handover")
        except SystemExit as exc:
            code = int(exc.code or 0)
        except Exception:
            code = 99
            traceback.print_exc()
    Path(out).write_text(
        json.dumps(
            {
                "code": code,
                "stdout": stdout.getvalue(),
                "stderr": stderr.getvalue(),
                "ended": time.time(),
            }
        )
    )


if __name__ == "__main__":
    {"write": write, "claim": claim}[sys.argv[1]](*sys.argv[2:])
