"""What an officer installs works on its own: the wheel built from this tree, installed into a
fresh environment (as pipx does), runs a whole guided handover, in Gujarati, with its own fonts
and catalogs, far from the source tree."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.sqlite_only]


def test_the_wheel_installs_and_hands_over_a_post(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(ROOT)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    (wheel,) = dist.glob("handover-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    installed = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", str(wheel)],
        capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    handover = str(venv / "bin" / "handover")
    home = tmp_path / "officers"
    home.mkdir()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("HANDOVER_", "PYTHON"))}
    (home / "a.pw").write_text("the outgoing registry's passphrase\n")
    (home / "b.pw").write_text("the incoming officer's passphrase\n")
    (home / "escrow.pw").write_text("the department's escrow passphrase\n")
    a = {**base, "HANDOVER_REGISTRY": str(home / "a.db"), "HANDOVER_ACTOR": "it-cell",
         "HANDOVER_PASSPHRASE_FILE": str(home / "a.pw"),
         "HANDOVER_ESCROW_PASSPHRASE_FILE": str(home / "escrow.pw")}  # fmt: skip
    b = {**base, "HANDOVER_REGISTRY": str(home / "b.db"), "HANDOVER_ACTOR": "ias-0077",
         "HANDOVER_PASSPHRASE_FILE": str(home / "b.pw")}  # fmt: skip

    def run(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [handover, *args], env=env, cwd=home, input=stdin, capture_output=True, text=True,
            timeout=300, check=False,
        )  # fmt: skip
        assert done.returncode == 0, (args, done.stderr)
        return done.stdout

    run(a, "init", "--recovery-code-file", "a.code")
    run(a, "config", "domains", "add", "gujarat.gov.in")
    run(a, "post", "add", "collector-kheda", "--title", "Collector, Kheda", "--level",
        "district", "--district", "Kheda", "--email", "collector.kheda@gujarat.gov.in")  # fmt: skip
    run(a, "officer", "add", "ias-0042", "--name", "Asha Mehta")
    run(a, "officer", "assign", "ias-0042", "collector-kheda")
    run(a, "account", "add", "x:@CollectorKheda", "--post", "collector-kheda",
        "--login-email", "collector.kheda@gujarat.gov.in")  # fmt: skip
    run(a, "account", "set-password", "x:@CollectorKheda", stdin="Kheda-Handed-Over-7\n")
    run(a, "identity", "create", "--officer", "ias-0042")
    run(b, "init", "--recovery-code-file", "b.code", "--no-escrow")
    run(b, "officer", "add", "ias-0077", "--name", "Ravi Desai")
    run(b, "identity", "create", "--officer", "ias-0077")
    run(b, "identity", "card", "-o", "ravi.card")

    given = run(a, "--lang", "gu", "give", "--to-card", "ravi.card", "--confirmed", "call",
                "--yes")  # fmt: skip
    assert "ગ" in given or "પ" in given  # Gujarati, from the installed catalog
    (folder,) = home.glob("handover-collector-kheda-*")
    taken = run(b, "take", str(folder / "collector-kheda.handover"), "--confirmed", "call",
                "--yes", "--generate")  # fmt: skip
    assert "Every account is changed" in taken
    run(a, "packet", "receipt", str(folder / "collector-kheda.receipt"))
    run(a, "packet", "receipt", str(folder / "collector-kheda.rotation"))
    fonts = subprocess.run(["pdffonts", str(folder / "charge-report.pdf")], capture_output=True,
                           text=True, check=True).stdout  # fmt: skip
    assert "NotoSans" in fonts
    assert "NotoSansGujarati" in fonts  # the Gujarati labels beside the English ones
