"""``make bench`` works end to end: the harness at a tiny size, one round, into a scratch copy of
the performance doc. Nothing here is timed; it proves that every command and every floor still
runs, that the table lands between the markers, and that the listing floor reads what the
listing prints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import run  # noqa: E402 - after the path above

# The harness makes its own SQLite registries; about 12 s of CPU, more on a busy machine.
pytestmark = [pytest.mark.sqlite_only, pytest.mark.slow]

OPERATIONS = (
    "handover --help",
    "import accounts",
    "account show",
    "account list --json",
    "account list (table)",
    "audit --format json",
    "key rotate",
    "packet create",
    "packet claim",
)


def test_bench_writes_its_table_between_the_markers(tmp_path: Path) -> None:
    doc = tmp_path / "performance.md"
    doc.write_text(f"# Performance\n\nbefore\n\n{run.BEGIN}\nold table\n{run.END}\n\nafter\n")
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--sizes", "200", "--rounds", "1",
         "--no-warmup", "--out", str(out), "--doc", str(doc)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    text = doc.read_text()
    assert text.startswith(f"# Performance\n\nbefore\n\n{run.BEGIN}\nMeasured ")
    assert text.endswith(f"{run.END}\n\nafter\n")
    assert "old table" not in text
    block = text.split(run.BEGIN)[1].split(run.END)[0]
    assert "Machine: " in block
    assert "SQLAlchemy " in block
    for operation in OPERATIONS:
        assert f"| {operation} | " in block, operation
    assert "| account show | 200 | " in block

    # The listing's floor selects what the listing prints, in the same order.
    (registry,) = out.glob("cache/accounts-200-*/full.db")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDOVER_")}
    listed = json.loads(
        subprocess.run(
            [run.HANDOVER, "account", "list", "--json"],
            env={**env, "HANDOVER_REGISTRY": str(registry)},
            capture_output=True, text=True, check=True,
        ).stdout
    )  # fmt: skip
    floor = json.loads(
        subprocess.run(
            [run.SQLITE3, "-readonly", "-json", str(registry), run.LIST_JSON],
            capture_output=True, text=True, check=True,
        ).stdout
    )  # fmt: skip
    assert len(listed) == len(floor) == 200
    assert list(floor[0]) == list(listed[0])
    assert [r["ref"] for r in floor] == [r["ref"] for r in listed]


def _pairs(operation: str, cpu: dict[int, float], kib: int = 100_000) -> list[run.Pair]:
    """An operation's pairs at three sizes, each with one round whose floor costs a tenth."""

    def never() -> run.Proc:
        raise AssertionError("not run")

    pairs = []
    for size, seconds in cpu.items():
        pair = run.Pair(operation, size, never, never, rounds=1)
        pair.commands.append(run.Sample(seconds, seconds, kib))
        pair.floors.append(run.Sample(seconds / 10, seconds / 10, kib))
        pairs.append(pair)
    return pairs


def test_the_growth_targets_count_among_the_targets_met() -> None:
    """Each growth target the bench judges counts once in "Targets met", met or missed: the
    count once looked for a verdict at the end of the line, where the floor's figures are."""
    linear = {1_000: 1.0, 10_000: 10.0, 100_000: 100.0}
    steeper = {1_000: 1.0, 10_000: 10.0, 100_000: 112.0}  # +13% per account beyond 10,000
    lines, met = run.growth(
        _pairs("audit --format json", steeper) + _pairs("import accounts", linear)
    )
    # The audit's growth (target +10%), the import's (+15%), the audit's memory.
    assert met == [False, True, True]
    assert "— **missed**. Its floor" in lines[0]
    assert "— met. Its floor" in lines[1]
    pairs = _pairs("import accounts", steeper)
    table = [verdict for verdict in (p.met() for p in pairs) if verdict is not None]
    counted = f"Targets met: {sum(table) + 1} of {len(table) + 1}."  # and the growth, met
    assert counted in run.report(pairs, "make bench", "1 round", 1.0)
