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


@pytest.mark.parametrize(
    "args",
    [
        ["account", "list"],
        ["account", "list", "--json"],
        ["account", "list", "--format", "csv", "--district", "Ahmedabad"],
        ["account", "show", "x:@CollectorAhd"],
        ["account", "show", "x:@CollectorAhd", "--json"],
        ["audit", "--no-secrets", "--format", "json"],
    ],
    ids=" ".join,
)
def test_reading_commands_import_only_what_they_use(
    seeded: Cli, tmp_path: Path, args: list[str]
) -> None:
    """``account show``, ``account list`` and the audit read and print: on SQLite with the
    standard library alone (no SQLAlchemy, no tabulate), on PostgreSQL with SQLAlchemy and its
    driver; never the keyring, cryptography, migrations or the PDF, QR and catalog libraries
    (an audit without secrets opens nothing)."""
    loaded = modules_after(args, tmp_path, {"HANDOVER_REGISTRY": seeded.location})
    assert "vault" in loaded
    on_postgresql = seeded.location.startswith("postgresql")
    assert ("sqlalchemy" in loaded) == on_postgresql
    assert ("psycopg" in loaded) == on_postgresql
    assert ("logging" in loaded) == on_postgresql  # the driver's null handler, on PostgreSQL
    assert not loaded & (set(HEAVY) - {"sqlalchemy", "psycopg"}), loaded & set(HEAVY)


def test_a_group_built_for_one_command_still_offers_them_all() -> None:
    """A group builds only the command named after it (:class:`handover.cli.HandoverGroup`);
    its help, a misspelt command and a nested group still see every command."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HANDOVER_")}
        code = "import sys; from handover.cli import main; sys.argv[0] = 'handover'; main()"
        return subprocess.run(
            [sys.executable, "-c", code, *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )

    listed = run("account", "--help")
    assert listed.returncode == 0
    for command in ("add", "show", "list", "rotate", "set-password", "role", "purge"):
        assert f"  {command} " in listed.stdout
    typo = run("account", "shw", "x:@a")
    assert typo.returncode == 2
    assert "No such command 'shw'. Did you mean 'show'?" in typo.stderr
    assert "Usage: handover account show" in run("account", "show", "--help").stdout
    assert "Usage: handover account role end" in run("account", "role", "end", "--help").stdout
    assert "Usage: handover config domains add" in run("config", "domains", "add", "--help").stdout
    assert "Usage: handover backup" in run("backup", "--help").stdout
    repeated = run("audit", "audit")  # a one-command module is no group
    assert repeated.returncode == 2
    assert "unexpected extra argument" in repeated.stderr


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
