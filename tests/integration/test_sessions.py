"""The issues' sessions, run as written: the installed ``handover`` command in a shell, with a
fresh process per command, exactly as an officer types them."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import BACKEND, HANDOVER

# (command, expected exit code). Commands are the issues' own lines.
FOUNDATION = [
    ("handover init", 0),
    ("handover config domains add gujarat.gov.in", 0),
    (
        'handover post add collector-ahmedabad --title "Collector, Ahmedabad" --level district '
        "--district Ahmedabad --email collector.ahd@gujarat.gov.in --phone +919978400001",
        0,
    ),
    ('handover officer add ias-0042 --name "Asha Mehta" --grade "super time scale"', 0),
    ("handover officer assign ias-0042 collector-ahmedabad --from 2026-01-01", 0),
    (
        "handover account add x:@CollectorAhd --post collector-ahmedabad "
        "--login-email collector.ahd@gujarat.gov.in --login-phone +919978400001",
        0,
    ),
    (
        "handover account add facebook:collectorahd --post collector-ahmedabad "
        "--login-email someone@gmail.com",
        1,
    ),
    (
        "handover account add facebook:collectorahd --post collector-ahmedabad "
        '--login-email someone@gmail.com --allow-personal "legacy page, moving to official email"',
        0,
    ),
    (
        'handover account verify x:@CollectorAhd --status applied --evidence "request of '
        '2026-02-01"',
        0,
    ),
    ("handover account verify x:@CollectorAhd --status lapsed", 1),
    ("handover account list --json", 0),
    ("handover account show x:@CollectorAhd --json", 0),
]
SECRETS = [
    ("printf 'S3cret-Passw0rd!\\n' | handover account set-password x:@CollectorAhd", 0),
    (
        "printf 'otpauth://totp/X:CollectorAhd?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        "&digits=8&period=30\\n' | handover account set-totp x:@CollectorAhd",
        0,
    ),
    ("handover totp x:@CollectorAhd --at 59", 0),
    ("handover account show x:@CollectorAhd --reveal --json", 0),
    ("HANDOVER_PASSPHRASE_FILE=$PWD/wrong handover account show x:@CollectorAhd --reveal", 1),
    ("handover account set-password x:@CollectorAhd --password 'S3cret'", 2),
]


def packets(b: str) -> list[tuple[str, int]]:
    return [
        ("HANDOVER_REGISTRY=$A handover identity create --officer ias-0042", 0),
        ("HANDOVER_REGISTRY=$A handover identity card -o asha.card", 0),
        (f"HANDOVER_REGISTRY={b} handover init", 0),
        (
            f'HANDOVER_REGISTRY={b} handover officer add ias-0077 --name "Ravi Desai" '
            '--grade "selection grade"',
            0,
        ),
        (f"HANDOVER_REGISTRY={b} handover identity create --officer ias-0077", 0),
        (f"HANDOVER_REGISTRY={b} handover identity card -o ravi.card", 0),
        (f"HANDOVER_REGISTRY={b} handover officer import-card asha.card", 0),
        ("HANDOVER_REGISTRY=$A handover officer import-card ravi.card", 0),
        (
            "HANDOVER_REGISTRY=$A handover packet create --post collector-ahmedabad --to ias-0077 "
            "-o p.handover",
            0,
        ),
        (f"HANDOVER_REGISTRY={b} handover packet inspect p.handover", 0),
        (f"HANDOVER_REGISTRY={b} handover packet claim p.handover --receipt r.receipt", 0),
        (f"HANDOVER_REGISTRY={b} handover account show x:@CollectorAhd --reveal --json", 0),
        (f"HANDOVER_REGISTRY={b} handover packet claim p.handover", 1),
        ("HANDOVER_REGISTRY=$A handover packet receipt r.receipt", 0),
    ]


AUDIT = [
    ("handover audit --format json", 0),
    ("handover audit --fail-on high", 1),
    ("handover log verify", 0),
]
TAMPER = [
    (
        'sqlite3 "$HANDOVER_REGISTRY" "DROP TRIGGER events_no_update; UPDATE events SET actor = '
        "'mallory' WHERE seq = 3\"",
        0,
    ),
    ("handover log verify", 1),
]


def run_session(lines: list[tuple[str, int]], cwd: Path, env: dict[str, str]) -> list[str]:
    outputs = []
    for command, expected in lines:
        proc = subprocess.run(
            ["bash", "-c", command],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode == expected, (command, proc.returncode, proc.stderr)
        if expected != 0:
            assert len(proc.stderr.strip().splitlines()) <= 1, (command, proc.stderr)
            assert "Traceback" not in proc.stderr
        outputs.append(proc.stdout)
    return outputs


def test_sessions_as_written(tmp_path: Path, new_location) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "pw").write_text("correct horse battery staple\n")
    (tmp_path / "wrong").write_text("not it\n")
    registry = new_location("r") if BACKEND != "sqlite" else str(tmp_path / "r.db")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDOVER_")}
    env.update(
        {
            "PATH": f"{Path(HANDOVER).parent}:{env['PATH']}",
            "HANDOVER_REGISTRY": registry,
            "HANDOVER_PASSPHRASE_FILE": str(tmp_path / "pw"),
            "A": registry,
        }
    )
    out = run_session(FOUNDATION, tmp_path, env)
    listed = json.loads(out[10])
    assert [a["ref"] for a in listed] == ["facebook:collectorahd", "x:@CollectorAhd"]
    assert json.loads(out[11])["verification"] == "applied"

    out = run_session(SECRETS, tmp_path, env)
    assert out[2].startswith("94287082")
    assert "valid for 1 more second" in out[2]
    revealed = json.loads(out[3])["secrets"]
    assert revealed["password"] == "S3cret-Passw0rd!"
    assert revealed["totp"]["secret"] == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

    b = new_location("b") if BACKEND != "sqlite" else "B.db"
    out = run_session(packets(f"'{b}'"), tmp_path, env)
    assert json.loads(out[11])["secrets"]["password"] == "S3cret-Passw0rd!"

    out = run_session(AUDIT, tmp_path, env)
    findings = json.loads(out[0])["findings"]
    assert ("verification.pending", "x:@CollectorAhd") in {
        (f["rule"], f["object"]) for f in findings
    }
    assert "not verified" in " ".join(
        f["reason"] for f in findings if f["object"] == "x:@CollectorAhd"
    )
    if BACKEND == "sqlite":
        run_session(TAMPER, tmp_path, env)


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["packet", "claim", "--help"]])
def test_help_runs_in_a_fresh_process(args: list[str]) -> None:
    proc = subprocess.run(
        [HANDOVER, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0
    assert proc.stdout.strip()
