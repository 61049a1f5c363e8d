"""The issues' sessions, run as written: the installed ``handover`` command in a shell, with a
fresh process per command, exactly as an officer types them."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import BACKEND, HANDOVER, dump

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
        (f"HANDOVER_REGISTRY={b} handover init --no-escrow", 0),
        (
            f'HANDOVER_REGISTRY={b} handover officer add ias-0077 --name "Ravi Desai" '
            '--grade "selection grade"',
            0,
        ),
        (f"HANDOVER_REGISTRY={b} handover identity create --officer ias-0077", 0),
        (f"HANDOVER_REGISTRY={b} handover identity card -o ravi.card", 0),
        (
            f"HANDOVER_REGISTRY={b} handover officer import-card asha.card "
            '--confirmed "phone call with Asha Mehta"',
            0,
        ),
        (
            "HANDOVER_REGISTRY=$A handover officer import-card ravi.card "
            '--confirmed "phone call with Ravi Desai"',
            0,
        ),
        (
            "HANDOVER_REGISTRY=$A handover packet create --post collector-ahmedabad --to ias-0077 "
            "-o p.handover",
            0,
        ),
        (f"HANDOVER_REGISTRY={b} handover packet inspect p.handover", 0),
        (f"HANDOVER_REGISTRY={b} handover packet claim p.handover --receipt r.receipt", 0),
        (f"HANDOVER_REGISTRY={b} handover account show x:@CollectorAhd --reveal --json", 0),
        (f"HANDOVER_REGISTRY={b} handover packet claim p.handover", 0),  # the same receipt, again
        ("HANDOVER_REGISTRY=$A handover packet receipt r.receipt", 0),
    ]


AUDIT = [
    ("handover audit --format json", 0),
    ("handover audit --fail-on high", 3),
    ("handover log verify", 0),
]
TAMPER = [
    (
        'sqlite3 "$HANDOVER_REGISTRY" "DROP TRIGGER events_no_update; UPDATE events SET actor = '
        "'mallory' WHERE seq = 3\"",
        0,
    ),
    ("handover log verify", 3),
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
    (tmp_path / "escrow-pw").write_text("the escrow's own passphrase\n")
    (tmp_path / "wrong").write_text("not it\n")
    registry = new_location("r") if BACKEND != "sqlite" else str(tmp_path / "r.db")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDOVER_")}
    env.update(
        {
            "PATH": f"{Path(HANDOVER).parent}:{env['PATH']}",
            "HANDOVER_REGISTRY": registry,
            "HANDOVER_PASSPHRASE_FILE": str(tmp_path / "pw"),
            "HANDOVER_ESCROW_PASSPHRASE_FILE": str(tmp_path / "escrow-pw"),
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


# The authority issue's session, as written (lines marked "setup" make the world it starts from:
# Asha holds the post in A, B records her as its holder, M is Mallory's own registry).
AUTHORITY: list[tuple[str, str, int]] = [
    ("A", "handover init", 0),
    ("A", "handover config domains add gujarat.gov.in", 0),  # setup
    (
        "A",
        'handover post add collector-ahmedabad --title "Collector, Ahmedabad" --level district '
        "--district Ahmedabad --email collector.ahd@gujarat.gov.in --phone +919978400001",
        0,
    ),  # setup
    ("A", 'handover officer add ias-0042 --name "Asha Mehta"', 0),  # setup
    ("A", 'handover officer add ias-0099 --name "Somebody Else"', 0),  # setup
    ("A", "handover officer assign ias-0042 collector-ahmedabad --from 2026-01-01", 0),  # setup
    (
        "A",
        "handover account add x:@CollectorAhd --post collector-ahmedabad "
        "--login-email collector.ahd@gujarat.gov.in",
        0,
    ),  # setup
    (
        "A",
        "handover account add facebook:collectorahd --post collector-ahmedabad "
        '--login-email collector.ahd.page@gmail.com --allow-personal "legacy page"',
        0,
    ),  # setup
    ("A", "printf 'Old-X-Passw0rd!\\n' | handover account set-password x:@CollectorAhd", 0),
    ("A", "handover identity create --officer ias-0042", 0),  # setup
    ("A", "handover identity create --officer ias-0099", 0),  # setup
    ("A", "handover identity card --officer ias-0042 -o ../asha.card", 0),  # setup
    ("B", "handover init --no-escrow", 0),  # setup
    ("B", "handover config domains add gujarat.gov.in", 0),  # setup
    ("B", 'handover officer add ias-0077 --name "Ravi Desai"', 0),  # setup
    ("B", "handover identity create --officer ias-0077", 0),  # setup
    ("B", "handover identity card -o ../ravi.card", 0),  # setup
    (
        "B",
        'handover post add collector-ahmedabad --title "Collector, Ahmedabad" --level district '
        "--district Ahmedabad",
        0,
    ),  # setup
    ("B", 'handover officer add ias-0042 --name "Asha Mehta"', 0),  # setup
    ("B", "handover officer assign ias-0042 collector-ahmedabad --from 2026-01-01", 0),  # setup
    ("M", "handover init --no-escrow", 0),  # setup
    ("M", 'handover officer add mal-0001 --name "Mallory"', 0),  # setup
    ("M", "handover identity create --officer mal-0001", 0),  # setup
    ("M", "handover identity card -o ../mal.card", 0),  # setup
    (
        "M",
        'handover post add collector-ahmedabad --title "Collector, Ahmedabad" --level district '
        "--district Ahmedabad",
        0,
    ),  # setup
    ("M", "handover officer assign mal-0001 collector-ahmedabad", 0),  # setup
    ("M", 'handover officer import-card ../ravi.card --confirmed "phone"', 0),  # setup
    ("B", 'handover officer import-card ../mal.card --confirmed "phone"', 0),  # setup
    ("A", 'handover officer import-card ../ravi.card --confirmed "phone"', 0),  # setup
    (
        "A",
        "handover packet create --post collector-ahmedabad --to ias-0077 --from ias-0099 "
        "-o ../x.handover",
        1,
    ),
    ("M", "handover packet create --post collector-ahmedabad --to ias-0077 -o ../m.handover", 0),
    ("B", "handover packet claim ../m.handover", 1),
    ("A", "handover packet create --post collector-ahmedabad --to ias-0077 -o ../p.handover", 0),
    (
        "B",
        'handover officer import-card ../asha.card --confirmed "phone call with Asha Mehta, '
        '2026-12-01"',
        0,
    ),
    ("B", "handover packet claim ../p.handover --receipt ../p.receipt", 0),
    ("B", "printf 'Ravi-X-Passw0rd-2026!\\n' > new-password", 0),  # setup
    ("B", "handover account rotate x:@CollectorAhd  <  new-password", 0),
    ("B", "printf 'Ravi-FB-2026!!\\n' | handover account rotate facebook:collectorahd", 0),
    (
        "B",
        "handover account edit facebook:collectorahd --login-email collector.ahd@gujarat.gov.in",
        0,
    ),
    ("B", "handover packet report --post collector-ahmedabad -o ../p.rotation", 0),
    ("A", "handover packet receipt ../p.receipt", 0),
    ("A", "handover packet receipt ../p.rotation", 0),
    ("A", "handover account show facebook:collectorahd --json", 0),
    ("A", "handover audit --json", 0),
    (
        "A",
        "handover escrow open --post collector-ahmedabad --escrow-identity escrow.identity "
        '--reason "holder on leave, page hacked"',
        0,
    ),
    ("A", "handover identity create --officer ias-0042 --replace", 0),  # setup
    ("A", "handover identity card --officer ias-0042 -o ../asha-newkey.card", 0),  # setup
    ("B", "handover officer import-card ../asha-newkey.card", 1),
]


def test_authority_session_as_written(tmp_path: Path, new_location) -> None:  # type: ignore[no-untyped-def]
    """Each of A, B and M has its own HOME, registry and identity; B stays unchanged when it
    refuses Mallory's packet; A learns what B did, keeps it escrowed, and can break glass."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("HANDOVER_")}
    base["PATH"] = f"{Path(HANDOVER).parent}:{base['PATH']}"
    envs = {}
    for who in ("A", "B", "M"):
        home = tmp_path / who
        home.mkdir()
        (home / "pw").write_text(f"the registry passphrase of {who}\n")
        (home / "escrow-pw").write_text(f"the escrow passphrase of {who}\n")
        registry = new_location(who.lower()) if BACKEND != "sqlite" else str(home / "r.db")
        envs[who] = {
            **base,
            "HOME": str(home),
            "HANDOVER_REGISTRY": registry,
            "HANDOVER_PASSPHRASE_FILE": str(home / "pw"),
            "HANDOVER_ESCROW_PASSPHRASE_FILE": str(home / "escrow-pw"),
        }
    outputs: dict[str, str] = {}
    for who, command, expected in AUTHORITY:
        mallorys = command == "handover packet claim ../m.handover"
        before = dump(envs["B"]["HANDOVER_REGISTRY"]) if mallorys else None
        outputs[command] = run_session([(command, expected)], tmp_path / who, envs[who])[0]
        if mallorys:
            assert dump(envs["B"]["HANDOVER_REGISTRY"]) == before
    assert (
        "2 of 2 accounts of collector-ahmedabad rotated"
        in outputs["handover packet receipt ../p.rotation"]
    )
    shown = json.loads(outputs["handover account show facebook:collectorahd --json"])
    assert shown["login_email"] == "collector.ahd@gujarat.gov.in"
    assert shown["credentials"]["state"] == "escrowed"
    findings = json.loads(outputs["handover audit --json"])["findings"]
    assert not [
        f
        for f in findings
        if f["rule"] == "credential.missing" and f["post"] == "collector-ahmedabad"
    ]
    assert (tmp_path / "A" / "escrow.identity").exists()
