"""Start-up stays light: what a fresh interpreter imports for help, version and listing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Cli

HEAVY = (
    "sqlalchemy", "cryptography", "keyring", "tabulate", "alembic", "pyrage", "psycopg",
    "fpdf", "segno", "babel", "uharfbuzz", "fontTools", "PIL",
)  # fmt: skip
PROBE = """
import json, sys
sys.argv = ["handover", *json.loads(sys.argv[1])]
try:
    from handover.cli import main
    main()
except SystemExit:
    pass
with open(OUT, "w") as out:
    json.dump(sorted(sys.modules), out)
"""


def modules_after(args: list[str], tmp_path: Path, env: dict[str, str] | None = None) -> set[str]:
    out = tmp_path / "modules.json"
    code = PROBE.replace("OUT", repr(str(out)))
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("HANDOVER_")}
    full_env.update(env or {})
    subprocess.run(
        [sys.executable, "-c", code, json.dumps(args)],
        env=full_env,
        capture_output=True,
        check=True,
        timeout=60,
    )
    return {name.partition(".")[0] for name in json.loads(out.read_text())}


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        ["account", "add", "--help"],
        ["key", "--help"],
        ["give", "--help"],
        ["take", "--help"],
        ["report", "charge", "--help"],
    ],
)
def test_help_and_version_import_nothing_heavy(args: list[str], tmp_path: Path) -> None:
    loaded = modules_after(args, tmp_path)
    assert "typer" in loaded
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_listing_does_not_import_keyring_or_crypto(seeded: Cli, tmp_path: Path) -> None:
    loaded = modules_after(
        ["account", "list", "--json"], tmp_path, {"HANDOVER_REGISTRY": seeded.location}
    )
    # On SQLite the listing reads with the standard library; on PostgreSQL through SQLAlchemy.
    assert ("sqlalchemy" in loaded) == seeded.location.startswith("postgresql")
    assert "keyring" not in loaded
    assert "cryptography" not in loaded
    assert not loaded & {"fpdf", "segno", "babel"}
    assert "alembic" not in loaded


def test_generated_docs_are_current() -> None:
    """docs/audit.md and docs/commands.md are generated from the code and must match it."""
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run(
        [sys.executable, str(root / "scripts" / "gen-docs"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
