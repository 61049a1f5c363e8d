"""``scripts/run-tests`` reports both suites, even when the first one fails."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import BACKEND

ROOT = Path(__file__).resolve().parents[1]
FAIL_ON = os.environ.get("HANDOVER_TEST_FAIL_ON")


def test_a_failure_planted_on_one_backend() -> None:
    """Passes, unless the runner test below asks it to fail on this backend."""
    if FAIL_ON is None:
        pytest.skip("only run by test_both_suites_are_reported_when_one_fails")
    assert BACKEND != FAIL_ON, f"planted failure on {BACKEND}"


@pytest.mark.slow
@pytest.mark.sqlite_only  # it runs both suites itself; once is enough
def test_both_suites_are_reported_when_one_fails() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDOVER_")}
    env["HANDOVER_TEST_FAIL_ON"] = "sqlite"
    proc = subprocess.run(
        [str(ROOT / "scripts" / "run-tests"), "-k", "planted"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "== test suite on PostgreSQL" in out, out
    assert "1 failed" in out and "1 passed" in out, out
    assert "results: SQLite FAILED (exit 1); PostgreSQL passed" in out, out
