"""Registries that several test modules build on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import Cli, seed_collectorate


@dataclass
class Pair:
    a: Cli  # the outgoing officer's registry
    b: Cli  # the incoming officer's registry
    dir: Path

    def packet(self, name: str = "p.handover", *extra: str) -> Path:
        path = self.dir / name
        self.a.ok(
            "packet",
            "create",
            "--post",
            "collector-ahmedabad",
            "--to",
            "ias-0077",
            "-o",
            str(path),
            *extra,
        )
        return path


def make_pair(make_cli: Callable[..., Cli], tmp_path: Path, *, exchange: bool = True) -> Pair:
    a = make_cli("a")
    seed_collectorate(a)
    a.ok(
        "account",
        "add",
        "facebook:collectorahd",
        "--post",
        "collector-ahmedabad",
        "--login-email",
        "collector.ahd@gujarat.gov.in",
    )
    a.ok("account", "set-password", "x:@CollectorAhd", input="S3cret-Passw0rd!\n")
    a.ok("account", "set-totp", "x:@CollectorAhd", input="GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n")
    a.ok("account", "verify", "x:@CollectorAhd", "--status", "applied", "--evidence", "req 1")
    a.ok(
        "group",
        "add",
        "ahd-district",
        "--name",
        "Ahmedabad officers",
        "--level",
        "district",
        "--district",
        "Ahmedabad",
        "--admin",
        "collector-ahmedabad",
    )
    a.ok("identity", "create", "--officer", "ias-0042")
    b = make_cli("b")
    b.ok("officer", "add", "ias-0077", "--name", "Ravi Desai", "--grade", "selection grade")
    b.ok("identity", "create", "--officer", "ias-0077")
    a.ok("identity", "card", "-o", str(tmp_path / "asha.card"))
    b.ok("identity", "card", "-o", str(tmp_path / "ravi.card"))
    if exchange:
        b.ok("officer", "import-card", str(tmp_path / "asha.card"), "--confirmed", "phone call")
        a.ok("officer", "import-card", str(tmp_path / "ravi.card"), "--confirmed", "phone call")
    return Pair(a, b, tmp_path)
