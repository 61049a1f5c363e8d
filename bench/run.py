"""``make bench``: each ``handover`` command against its floor, as ratios measured in one run.

On these shared machines absolute times move by a quarter and more from run to run, so a budget in
seconds cannot be held. Each command is instead paired with its *floor*, the same work done with
plain tools: ``bench/floors.py`` (the standard library and ``cryptography``), the ``sqlite3``
shell, a tiny typer app. Command and floor run as fresh processes, in turn (command first in even
rounds, floor first in odd ones), and the rounds go over every operation at every size, so that
the load of the machine at any moment falls on both sides alike. Each process is reaped with
``os.wait4``: CPU time (user + system), wall time and peak resident memory. The table gives, for
each operation and size, the median over rounds of the per-round ratios command / floor, and the
growth of the per-account cost with size; it is printed and written between the markers of
``docs/performance.md`` with the machine, the versions and the date (the analysis around them is
kept).

Registries are built once per size and per version of the code and kept in ``bench/out/cache``;
each writing command (import, rotation, packets) works on a fresh copy in every round.

    python bench/run.py                            # 1,000, 10,000 and 100,000 accounts
    python bench/run.py --sizes 1000 --rounds 3    # a quick look
    python bench/run.py --profile                  # and a cProfile of every missed target
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import dataset  # noqa: E402 - after the path above

HANDOVER = str(Path(sys.executable).with_name("handover"))
FLOOR = [sys.executable, "-c", "from bench.floors import main; main()"]
SQLITE3 = shutil.which("sqlite3") or "sqlite3"
PASSPHRASE = "benchmark passphrase, not a secret"  # noqa: S105 - a throw-away registry
ESCROW_PASSPHRASE = "benchmark escrow passphrase"  # noqa: S105
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
DEFAULT_SIZES = "1000,10000,100000"
PACKET_ACCOUNTS = 200
HEAVY = 100_000  # from this size, import, audit and rotation run fewer rounds, no warm-up
SETUP_VERSION = "2"  # bump when the cached registries are built differently

# ``account list --json``: the columns, joins, filter and order of the product's listing
# (``account list --json``), with the ``ref`` it adds; the table form: its columns
# (handover/cli/accounts.py, LIST_COLUMNS).
LIST_FROM = (
    " FROM accounts a LEFT OUTER JOIN posts p ON p.id = a.post_id"
    " LEFT OUTER JOIN officers o ON o.id = a.officer_id"
    " WHERE a.archived_at IS NULL ORDER BY a.platform, a.handle_key"
)
LIST_JSON = (
    "SELECT a.id, a.platform || ':' || a.handle AS ref, a.platform, a.handle, a.url, "
    "p.slug AS post, o.service_id AS officer, a.kind, a.disclaimer, a.login_email, "
    "a.login_phone, a.recovery_email, a.recovery_phone, a.twofa_method, a.twofa_phone, "
    "a.twofa_holder, a.verification, a.verification_date, a.password_changed_at, "
    "a.totp_changed_at, a.recovery_codes_changed_at, a.notes_changed_at, a.rotation_due_at, "
    "a.rotation_reason" + LIST_FROM
)
LIST_TABLE = (
    "SELECT a.platform || ':' || a.handle AS account, p.slug AS post, a.kind, "
    'a.verification, a.login_email AS "login email", a.login_phone AS "login phone", '
    'a.twofa_method AS "2fa", a.rotation_due_at AS "rotation due"' + LIST_FROM
)


@dataclass(frozen=True)
class Target:
    """Issue 16's target for an operation: the largest CPU-time ratio to its floor, at the
    sizes it is set for (all when ``sizes`` is empty), and the largest peak-memory ratio."""

    ratio: float
    sizes: tuple[int, ...] = ()
    memory: float | None = None
    floor: str = ""


TARGETS = {
    "handover --help": Target(1.5, floor="a tiny typer app (one option, one command)"),
    "account show": Target(
        3, floor="stdlib sqlite3: the account, post, officer, history, overrides, roles; printed"
    ),
    "account list --json": Target(2, floor="`sqlite3 -json`: same columns, joins and order"),
    "account list (table)": Target(3, floor="`sqlite3 -column -header`: the table's columns"),
    "audit --format json": Target(
        2,
        (10_000,),
        floor="Argon2id unlock with the slot's parameters + AES-GCM open of every sealed field",
    ),
    "import accounts": Target(
        2.5,
        (100_000,),
        1.5,
        floor="stdlib executemany of the same rows, secrets sealed, 5,000-row batches, "
        "one transaction, same table and indexes",
    ),
    "key rotate": Target(
        2,
        (100_000,),
        floor="open and re-seal every sealed field, UPDATE executemany, one transaction",
    ),
    "packet create": Target(
        2.5, floor="open the post's sealed fields, age-encrypt the JSON, sign (Ed25519)"
    ),
    "packet claim": Target(2.5, floor="Argon2id unlock + 2,000 AES-GCM opens"),
}
# Per-account cost at the largest size against that at 10,000: at most this much more.
GROWTH_TARGETS = {"audit --format json": 0.10, "import accounts": 0.15}


class BenchError(Exception):
    pass


@dataclass(frozen=True)
class Proc:
    """One process to start: its arguments, environment, and the exit codes that mean success."""

    argv: list[str]
    env: dict[str, str]
    ok: tuple[int, ...] = (0,)


@dataclass(frozen=True)
class Sample:
    cpu: float  # seconds of user + system time
    wall: float  # seconds
    kib: int  # peak resident memory


def measure(proc: Proc, cwd: Path) -> Sample:
    """Run one fresh process to its end: its own CPU time and peak memory, from ``wait4``."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(
            proc.argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=proc.env,
            cwd=cwd,
        )
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode not in proc.ok:
            err.seek(0)
            raise BenchError(
                f"{' '.join(proc.argv[-6:])} exited {child.returncode}: "
                f"{err.read().decode(errors='replace')[-2000:]}"
            )
    return Sample(usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss)


@dataclass
class Pair:
    """An operation at one size: the command and its floor, each made ready (fresh copies of
    the files it writes) by a call that returns the process to start."""

    operation: str
    size: int | None  # accounts; None for start-up
    command: Callable[[], Proc]
    floor: Callable[[], Proc]
    rounds: int
    warmup: bool = True
    commands: list[Sample] = field(default_factory=list)
    floors: list[Sample] = field(default_factory=list)

    def ratio(self, of: Callable[[Sample], float]) -> float:
        return statistics.median(
            of(c) / of(f) for c, f in zip(self.commands, self.floors, strict=True)
        )

    @property
    def cpu_ratio(self) -> float:
        return self.ratio(lambda s: s.cpu)

    @property
    def wall_ratio(self) -> float:
        return self.ratio(lambda s: s.wall)

    @property
    def memory_ratio(self) -> float:
        return self.ratio(lambda s: s.kib)

    def cpu(self, side: list[Sample]) -> float:
        return statistics.median(s.cpu for s in side)

    def target(self) -> Target | None:
        target = TARGETS.get(self.operation)
        if target is None or (target.sizes and self.size not in target.sizes):
            return None
        return target

    def met(self) -> bool | None:
        target = self.target()
        if target is None:
            return None
        return self.cpu_ratio <= target.ratio and (
            target.memory is None or self.memory_ratio <= target.memory
        )


def copy_registry(source: Path, target: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    for suffix in ("", "-wal"):
        if Path(f"{source}{suffix}").exists():
            shutil.copyfile(f"{source}{suffix}", f"{target}{suffix}")
    return target


def code_version() -> str:
    """A digest of what a cached registry depends on: the product's code, its dependencies,
    the dataset and the way the cache is built."""
    digest = hashlib.sha256(SETUP_VERSION.encode())
    files = [ROOT / "pyproject.toml", ROOT / "bench" / "dataset.py"]
    for package in ("vault", "handover"):
        files += sorted((ROOT / package).rglob("*.py"))
    for path in files:
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


class Bench:
    def __init__(self, out: Path, rounds: int, heavy_rounds: int, warmup: bool) -> None:
        self.cache = out / "cache"
        self.work = out / "run"
        shutil.rmtree(self.work, ignore_errors=True)
        self.work.mkdir(parents=True)
        self.cache.mkdir(parents=True, exist_ok=True)
        self.version = code_version()
        self.rounds, self.heavy_rounds, self.warmup = rounds, heavy_rounds, warmup
        self.pw = self.work / "pw"
        self.pw.write_text(PASSPHRASE + "\n")
        self.escrow_pw = self.work / "escrow-pw"
        self.escrow_pw.write_text(ESCROW_PASSPHRASE + "\n")
        base = {k: v for k, v in os.environ.items() if not k.startswith("HANDOVER_")}
        self.env = {
            **base,
            "HANDOVER_PASSPHRASE_FILE": str(self.pw),
            "HANDOVER_ESCROW_PASSPHRASE_FILE": str(self.escrow_pw),
            "HANDOVER_ACTOR": "bench",
        }
        # The floors import ``bench.floors`` from the checkout (compiled, as the product is).
        self.floor_env = {**base, "PYTHONPATH": str(ROOT)}
        self.pairs: list[Pair] = []

    # -- processes -------------------------------------------------------------------------

    def handover(self, args: Iterable[str], registry: Path, ok: tuple[int, ...] = (0,)) -> Proc:
        return Proc([HANDOVER, *args], {**self.env, "HANDOVER_REGISTRY": str(registry)}, ok)

    def floor(self, *args: str | Path) -> Proc:
        return Proc([*FLOOR, *map(str, args)], self.floor_env)

    def sqlite(self, *args: str | Path) -> Proc:
        return Proc([SQLITE3, "-init", os.devnull, *map(str, args)], self.floor_env)

    def setup(self, args: Iterable[str], registry: Path, cwd: Path) -> None:
        measure(self.handover(args, registry), cwd)

    def cached(self, name: str, build: Callable[[Path], None]) -> Path:
        """``cache/NAME-VERSION``, built by ``build`` into a fresh folder when missing; copies
        of other versions of it are removed."""
        folder = self.cache / f"{name}-{self.version}"
        if folder.exists():
            return folder
        for old in self.cache.glob(f"{name}-*"):
            shutil.rmtree(old, ignore_errors=True)
        building = self.cache / f"{name}.building"
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir()
        start = time.perf_counter()
        build(building)
        building.rename(folder)
        print(f"  built {name} in {time.perf_counter() - start:.1f} s", flush=True)
        return folder

    def new_registry(self, folder: Path, registry: Path) -> None:
        self.setup(
            [
                "init",
                "--recovery-code-file",
                str(folder / f"{registry.stem}.recovery"),
                "--escrow-identity-file",
                str(folder / f"{registry.stem}-escrow.identity"),
            ],
            registry,
            folder,
        )
        self.setup(["config", "domains", "add", dataset.DOMAIN], registry, folder)

    # -- the operations --------------------------------------------------------------------

    def add(self, operation: str, size: int | None, command: Callable[[], Proc],
            floor: Callable[[], Proc], *, heavy: bool = False) -> None:  # fmt: skip
        rounds = min(self.rounds, self.heavy_rounds) if heavy else self.rounds
        self.pairs.append(Pair(operation, size, command, floor, rounds, warmup=not heavy))

    def startup(self) -> None:
        self.add(
            "handover --help",
            None,
            lambda: Proc([HANDOVER, "--help"], self.env),
            lambda: self.floor("help", "--help"),
        )

    def accounts(self, size: int) -> None:
        def build(folder: Path) -> None:
            data = dataset.write(folder / "data", size)
            base = folder / "base.db"
            self.new_registry(folder, base)
            self.setup(["import", "posts", str(data.posts)], base, folder)
            self.setup(["import", "officers", str(data.officers)], base, folder)
            full = copy_registry(base, folder / "full.db")
            self.setup(["import", "accounts", str(data.accounts)], full, folder)

        folder = self.cached(f"accounts-{size}", build)
        csv, base = folder / "data" / "accounts.csv", folder / "base.db"
        full = copy_registry(folder / "full.db", self.work / f"full-{size}.db")
        heavy = size >= HEAVY

        def fresh(source: Path, name: str) -> Callable[[], Path]:
            return lambda: copy_registry(source, self.work / f"{name}-{size}.db")

        cmd_base, floor_base = fresh(base, "import-cmd"), fresh(base, "import-floor")
        self.add(
            "import accounts",
            size,
            lambda: self.handover(["import", "accounts", str(csv)], cmd_base()),
            lambda: self.floor("import", floor_base(), csv, self.pw),
            heavy=heavy,
        )
        slug = dataset.post_slugs(size)[0][0]
        handle = "@" + slug.replace("-", "_") + "_x"
        self.add(
            "account show",
            size,
            lambda: self.handover(["account", "show", f"x:{handle}"], full),
            lambda: self.floor("show", full, "x", handle),
        )
        self.add(
            "account list --json",
            size,
            lambda: self.handover(["account", "list", "--json"], full),
            lambda: self.sqlite("-readonly", "-json", full, LIST_JSON),
        )
        self.add(
            "account list (table)",
            size,
            lambda: self.handover(["account", "list"], full),
            lambda: self.sqlite("-readonly", "-column", "-header", full, LIST_TABLE),
        )
        self.add(
            "audit --format json",
            size,
            # Exit code 3: the audit ran and found what it reports.
            lambda: self.handover(["audit", "--format", "json"], full, ok=(0, 3)),
            lambda: self.floor("audit", full, self.pw),
            heavy=heavy,
        )
        cmd_full, floor_full = fresh(full, "rotate-cmd"), fresh(full, "rotate-floor")
        self.add(
            "key rotate",
            size,
            lambda: self.handover(["key", "rotate"], cmd_full()),
            lambda: self.floor("rotate", floor_full(), self.pw),
            heavy=heavy,
        )

    def packets(self, accounts: int = PACKET_ACCOUNTS) -> None:
        """A post with ``accounts`` accounts in registry ``a``, held by ias-0042; registry ``b``
        of ias-0077, who receives it; each has the other's card."""

        def build(folder: Path) -> None:
            data = dataset.write_post(folder / "data", accounts)
            a, b = folder / "a.db", folder / "b.db"
            for registry in (a, b):
                self.new_registry(folder, registry)
            for kind in ("posts", "officers", "accounts"):
                self.setup(["import", kind, str(getattr(data, kind))], a, folder)
            self.setup(["officer", "add", "ias-0077", "--name", "Ravi Desai"], b, folder)
            for registry, officer in ((a, "ias-0042"), (b, "ias-0077")):
                self.setup(["identity", "create", "--officer", officer], registry, folder)
                card = str(folder / f"{officer}.card")
                self.setup(["identity", "card", "-o", card], registry, folder)
            for registry, card in ((a, "ias-0077"), (b, "ias-0042")):
                args = ["officer", "import-card", str(folder / f"{card}.card")]
                self.setup([*args, "--confirmed", "the benchmark"], registry, folder)
            measure(self.floor("claim-fixture", b, self.pw, folder / "claim.fixture"), folder)

        folder = self.cached(f"packet-{accounts}", build)
        a, b, fixture = folder / "a.db", folder / "b.db", folder / "claim.fixture"
        # The packet every claim round claims: made now (packets expire), on a copy.
        packet = self.work / "claimed.handover"
        create = ["packet", "create", "--post", "collector-bench", "--to", "ias-0077", "-o"]
        scratch = copy_registry(a, self.work / "packet-setup.db")
        self.setup([*create, str(packet)], scratch, self.work)

        def created(side: str) -> tuple[Path, Path]:
            out = self.work / f"created-{side}.handover"
            out.unlink(missing_ok=True)
            return copy_registry(a, self.work / f"create-{side}.db"), out

        def create_cmd() -> Proc:
            registry, out = created("cmd")
            return self.handover([*create, str(out)], registry)

        def create_floor() -> Proc:
            registry, out = created("floor")
            return self.floor("create", registry, "collector-bench", "ias-0077", out, self.pw)

        self.add("packet create", accounts, create_cmd, create_floor)

        def claim_cmd() -> Proc:
            registry = copy_registry(b, self.work / "claim-cmd.db")
            receipt = self.work / "claim.receipt"
            receipt.unlink(missing_ok=True)
            return self.handover(
                ["packet", "claim", str(packet), "--receipt", str(receipt)], registry
            )

        self.add(
            "packet claim",
            accounts,
            claim_cmd,
            lambda: self.floor("claim", packet, fixture, b, self.pw),
        )

    # -- the rounds ------------------------------------------------------------------------

    def run(self) -> None:
        if self.warmup:
            print("warm-up (not counted)", flush=True)
            for pair in self.pairs:
                if pair.warmup:
                    measure(pair.command(), self.work)
                    measure(pair.floor(), self.work)
        for r in range(max(p.rounds for p in self.pairs)):
            print(f"round {r + 1}", flush=True)
            for pair in self.pairs:
                if r >= pair.rounds:
                    continue
                sides = [(pair.command, pair.commands), (pair.floor, pair.floors)]
                for make, samples in sides if r % 2 == 0 else sides[::-1]:
                    samples.append(measure(make(), self.work))
                c, f = pair.commands[-1], pair.floors[-1]
                print(
                    f"  {pair.operation:<22} {size_text(pair.size):>8}  command {c.cpu:7.3f} s  "
                    f"floor {f.cpu:7.3f} s  CPU {c.cpu / f.cpu:5.1f}×",
                    flush=True,
                )

    def profile(self, pairs: list[Pair]) -> list[Path]:
        """Two more runs of each command: under cProfile (functions by own and by cumulative
        time) and with ``-X importtime`` (the costliest imports: most misses are start-up)."""
        import pstats
        import re

        folder = self.work.parent / "profiles"
        folder.mkdir(exist_ok=True)
        written = []
        for pair in pairs:
            name = re.sub(r"[^a-z0-9]+", "-", f"{pair.operation} {pair.size or ''}").strip("-")
            raw, text = folder / f"{name}.prof", folder / f"{name}.txt"
            proc = pair.command()
            profiled = [sys.executable, "-m", "cProfile", "-o", str(raw), *proc.argv]
            measure(Proc(profiled, proc.env, proc.ok), self.work)
            proc = pair.command()
            timed = [sys.executable, "-X", "importtime", *proc.argv]
            imports = subprocess.run(
                timed, env=proc.env, cwd=self.work, capture_output=True, text=True, check=False
            ).stderr.splitlines()
            # "import time: self [us] | cumulative | imported package"
            rows = [line.split("|") for line in imports if line.startswith("import time:")]
            costly = sorted(
                ((int(r[1]), r[2].rstrip()) for r in rows if r[1].strip().isdigit()),
                reverse=True,
            )
            with text.open("w") as f:
                f.write(f"{pair.operation}, {size_text(pair.size)} accounts: {proc.argv}\n\n")
                f.write("Costliest imports (cumulative µs, module):\n")
                f.writelines(f"{us:>10}  {module}\n" for us, module in costly[:25])
                f.write("\n")
                stats = pstats.Stats(str(raw), stream=f)
                stats.sort_stats("tottime").print_stats(25)
                stats.sort_stats("cumulative").print_stats(40)
            written.append(text)
        return written


# -- the report --------------------------------------------------------------------------


def size_text(size: int | None) -> str:
    return "-" if size is None else f"{size:,}"


def mib(kib: float) -> str:
    return f"{kib / 1024:.0f} MiB"


def table(pairs: list[Pair]) -> str:
    lines = [
        "| operation | accounts | CPU ratio | wall ratio | command CPU | floor CPU "
        "| peak memory: command / floor | rounds | target (CPU) | verdict |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for p in pairs:
        target, met = p.target(), p.met()
        goal = ""
        if target is not None:
            goal = f"≤ {target.ratio:g}×" + (
                f", memory ≤ {target.memory:g}×" if target.memory else ""
            )
        verdict = "" if met is None else ("met" if met else "**missed**")
        memory = f"{mib(max(s.kib for s in p.commands))} / {mib(max(s.kib for s in p.floors))}"
        if p.operation in ("import accounts", "audit --format json"):
            memory += f" ({p.memory_ratio:.1f}×)"
        lines.append(
            f"| {p.operation} | {size_text(p.size)} | {p.cpu_ratio:.1f}× | {p.wall_ratio:.1f}× "
            f"| {p.cpu(p.commands):.3f} s | {p.cpu(p.floors):.3f} s | {memory} "
            f"| {len(p.commands)} | {goal} | {verdict} |"
        )
    return "\n".join(lines)


def slopes(
    pairs: tuple[Pair, Pair, Pair], side: Callable[[Pair], list[Sample]]
) -> tuple[float, float, list[float]]:
    """Seconds of CPU per account added from the first size to the second, and from the second
    to the third, and the relative change between the two: each worked out within a round (the
    three sizes run in the same round, so a busy moment weighs on all three). The medians of the
    slopes, and the changes of every round."""
    size = [p.size or 0 for p in pairs]
    below, above, change = [], [], []
    for r in range(min(len(side(p)) for p in pairs)):
        cpu = [side(p)[r].cpu for p in pairs]
        below.append((cpu[1] - cpu[0]) / (size[1] - size[0]))
        above.append((cpu[2] - cpu[1]) / (size[2] - size[1]))
        change.append(above[-1] / max(below[-1], 1e-9) - 1)
    return statistics.median(below), statistics.median(above), change


def growth(pairs: list[Pair]) -> tuple[list[str], list[bool]]:
    """Per-account cost against size, for the operations issue 16 wants linear: a line for
    each, and whether each judged target is met.

    The cost per account at a size is the slope up to it: (CPU at this size - CPU at the size
    below) / (accounts added), so that start-up, the unlock and other fixed costs cancel out;
    the change is the median of the rounds' changes. Needs three sizes; the middle one is
    normally 10,000. Also the audit's peak memory."""
    lines: list[str] = []
    met: list[bool] = []
    for operation, limit in GROWTH_TARGETS.items():
        found = sorted(
            (p for p in pairs if p.operation == operation and p.size),
            key=lambda p: p.size or 0,
        )
        if len(found) < 3:
            lines.append(f"- `{operation}`: per-account growth needs three sizes (see --sizes).")
            continue
        lo, mid, hi = found[-3:]
        below, above, changes = slopes((lo, mid, hi), lambda p: p.commands)
        f_below, f_above, f_changes = slopes((lo, mid, hi), lambda p: p.floors)
        change, f_change = statistics.median(changes), statistics.median(f_changes)
        verdict = "met" if change <= limit else "**missed**"
        if (mid.size, hi.size) != (10_000, HEAVY):
            verdict = "no target at these sizes"
        else:
            met.append(change <= limit)
        unit = "row" if operation == "import accounts" else "account"
        lines.append(
            f"- `{operation}`: {below * 1e6:.1f} µs of CPU per {unit} from {lo.size:,} to "
            f"{mid.size:,}, {above * 1e6:.1f} µs from {mid.size:,} to {hi.size:,}: "
            f"{change:+.0%} (rounds from {min(changes):+.0%} to {max(changes):+.0%}; "
            f"target ≤ {limit:+.0%}) — {verdict}. Its floor: "
            f"{f_below * 1e6:.1f} µs, {f_above * 1e6:.1f} µs ({f_change:+.0%})."
        )
    audits = sorted(
        (p for p in pairs if p.operation == "audit --format json" and p.size),
        key=lambda p: p.size or 0,
    )
    if len(audits) >= 3:
        peaks = [max(s.kib for s in p.commands) for p in audits[-3:]]
        sizes = [p.size or 0 for p in audits[-3:]]
        below = (peaks[1] - peaks[0]) / (sizes[1] - sizes[0])
        above = (peaks[2] - peaks[1]) / (sizes[2] - sizes[1])
        # Flat: under 16 MiB more at the largest size; linear: no more per account than below.
        flat = peaks[2] - peaks[1] < 16 * 1024
        shape = "flat" if flat else ("linear" if above <= below * 1.15 else "super-linear")
        judged = sizes[1:] == [10_000, HEAVY]
        if judged:
            met.append(shape != "super-linear")
        lines.append(
            "- `audit` peak memory: "
            + ", ".join(f"{mib(k)} at {s:,}" for k, s in zip(peaks, sizes, strict=True))
            + f"; {below:.1f} KiB per account up to {sizes[1]:,}, {above:.1f} KiB beyond: "
            f"{shape} (target: flat or linear) — "
            + (
                ("met" if shape != "super-linear" else "**missed**")
                if judged
                else "no target at these sizes"
            )
            + "."
        )
    return lines, met


def versions() -> str:
    from importlib import metadata

    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "absent"

    try:
        shell = subprocess.run(
            [SQLITE3, "--version"], capture_output=True, text=True, check=True
        ).stdout.split()[0]
    except (OSError, subprocess.CalledProcessError, IndexError):
        shell = "absent"
    rev = subprocess.run(
        ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return (
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version} (shell {shell}), "
        f"cryptography {version('cryptography')}, SQLAlchemy {version('sqlalchemy')}, "
        f"typer {version('typer')}; handover at {rev or 'unknown revision'}"
    )


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    memory = "unknown memory"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{mem_kib / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return f"{cpu}, {os.cpu_count()} cores, {memory}; {platform.system()} {platform.release()}"


def report(pairs: list[Pair], command: str, rounds: str, seconds: float) -> str:
    met = [verdict for verdict in (p.met() for p in pairs) if verdict is not None]
    growth_lines, growth_met = growth(pairs)
    met += growth_met
    floors = "\n".join(
        f"- `{name}`: {target.floor}." for name, target in TARGETS.items() if target.floor
    )
    return (
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC with `{command}` ({rounds}) in "
        f"{seconds / 60:.0f} min.\n"
        f"Machine: {machine()}.\nVersions: {versions()}.\n\n"
        f"{table(pairs)}\n\n"
        "Ratios are medians over rounds of command / floor in the same round; CPU time is user + "
        "system of the process, from `wait4`. Growth with size:\n\n"
        + "\n".join(growth_lines)
        + f"\n\nTargets met: {sum(met)} of {len(met)}.\n\nThe floors:\n\n{floors}"
    )


def write_doc(path: Path, text: str) -> None:
    old = path.read_text() if path.exists() else f"# Performance\n\n{BEGIN}\n{END}\n"
    if BEGIN not in old:
        old += f"\n{BEGIN}\n{END}\n"
    head, _, rest = old.partition(BEGIN)
    _, _, tail = rest.partition(END)
    path.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="accounts, comma-separated")
    parser.add_argument("--rounds", type=int, default=9, help="rounds of each pair")
    parser.add_argument(
        "--heavy-rounds",
        type=int,
        default=9,
        help=f"rounds of import, audit and rotation from {HEAVY:,} accounts (no warm-up)",
    )
    parser.add_argument("--no-warmup", action="store_true", help="count the first runs too")
    parser.add_argument("--no-packets", action="store_true", help="skip packet create/claim")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out", help="work folder")
    parser.add_argument("--doc", type=Path, default=ROOT / "docs" / "performance.md")
    parser.add_argument("--no-doc", action="store_true", help="do not rewrite the doc")
    parser.add_argument(
        "--profile", action="store_true", help="profile each command that misses its target"
    )
    args = parser.parse_args(argv)
    if shutil.which(SQLITE3) is None:
        raise SystemExit("bench: the sqlite3 shell is missing (make deps installs it)")
    started = time.perf_counter()
    # Commands and floors load their modules from compiled caches, as an installed tool does.
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", *(str(ROOT / p) for p in ("vault", "handover",
                                                                         "bench"))],
        check=True,
    )  # fmt: skip
    bench = Bench(args.out, args.rounds, args.heavy_rounds, not args.no_warmup)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    print(f"setting up (code version {bench.version})", flush=True)
    bench.startup()
    for size in sizes:
        bench.accounts(size)
    if not args.no_packets:
        bench.packets()
    try:
        bench.run()
    except BenchError as e:
        raise SystemExit(f"bench: {e}") from None
    seconds = time.perf_counter() - started
    command = "make bench" if args.sizes == DEFAULT_SIZES and argv is None else (
        f"python bench/run.py --sizes {args.sizes} --rounds {args.rounds}"
    )  # fmt: skip
    heavy = min(args.rounds, args.heavy_rounds)
    rounds = f"{args.rounds} rounds" + (
        f", {heavy} for import, audit and rotation from {HEAVY:,} accounts"
        if heavy < args.rounds and any(s >= HEAVY for s in sizes)
        else ""
    )
    rounds += (
        ", no warm-up"
        if args.no_warmup
        else f" after a warm-up run, but none for import, audit and rotation from {HEAVY:,}"
    )
    text = report(bench.pairs, command, rounds, seconds)
    print()
    print(text)
    if not args.no_doc:
        write_doc(args.doc, text)
        print(f"\nwritten to {args.doc}")
    if args.profile:
        missed = [p for p in bench.pairs if p.met() is False]
        for path in bench.profile(missed):
            print(f"profile: {path}")


if __name__ == "__main__":
    main()
