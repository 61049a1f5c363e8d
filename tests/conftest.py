"""Test fixtures: real registries on the backend under test, and the CLI as a user runs it.

``HANDOVER_TEST_DATABASE`` chooses the backend: ``sqlite`` (a file per registry) or
``postgresql`` (a new database per registry on the server named by
``HANDOVER_TEST_PG_ADMIN_URL``, which ``scripts/with-postgres`` starts). Nothing is mocked.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

BACKEND = os.environ.get("HANDOVER_TEST_DATABASE", "sqlite")
PG_ADMIN_URL = os.environ.get("HANDOVER_TEST_PG_ADMIN_URL")
PASSPHRASE = "correct horse battery staple"
HANDOVER = str(Path(sys.executable).with_name("handover"))

if BACKEND == "postgresql" and not PG_ADMIN_URL:
    raise RuntimeError(
        "HANDOVER_TEST_DATABASE=postgresql needs HANDOVER_TEST_PG_ADMIN_URL "
        "(run the suite through scripts/run-tests)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if BACKEND != "sqlite" and item.get_closest_marker("sqlite_only"):
            item.add_marker(pytest.mark.skip(reason="inspects the SQLite file itself"))
        if BACKEND != "postgresql" and item.get_closest_marker("postgres_only"):
            item.add_marker(pytest.mark.skip(reason="needs the PostgreSQL run"))


_admin_engine: sa.Engine | None = None


def _admin() -> sa.Engine:
    global _admin_engine  # noqa: PLW0603 - one admin connection pool per test process
    if _admin_engine is None:
        assert PG_ADMIN_URL
        _admin_engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    return _admin_engine


def _new_location(directory: Path, name: str, made: list[str]) -> str:
    if BACKEND == "sqlite":
        return str(directory / f"{name}.db")
    db = f"t_{name}_{uuid.uuid4().hex[:12]}"
    with _admin().connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{db}"'))
    made.append(db)
    return _pg_url(db)


def _pg_url(db: str) -> str:
    assert PG_ADMIN_URL
    return sa.make_url(PG_ADMIN_URL).set(database=db).render_as_string(hide_password=False)


def _drop(made: list[str]) -> None:
    for db in made:
        with _admin().connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))


def _clone_location(source: str, directory: Path, name: str, made: list[str]) -> str:
    """A copy of a registry: the SQLite online backup, or a PostgreSQL template database."""
    if BACKEND == "sqlite":
        target = directory / f"{name}.db"
        src, dst = sqlite3.connect(source), sqlite3.connect(target)
        src.backup(dst)
        src.close()
        dst.close()
        return str(target)
    db = f"t_{name}_{uuid.uuid4().hex[:12]}"
    template = sa.make_url(source).database
    with _admin().connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{db}" TEMPLATE "{template}"'))
    made.append(db)
    return _pg_url(db)


@pytest.fixture
def new_location(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """A factory of fresh, empty registry locations (file paths or PostgreSQL URLs)."""
    made: list[str] = []
    yield lambda name="r": _new_location(tmp_path, name, made)
    _drop(made)


def engine_for(location: str) -> sa.Engine:
    url = location if "://" in location else f"sqlite:///{location}"
    return sa.create_engine(url, poolclass=sa.pool.NullPool)


def dump(location: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a stable order: equal dumps mean an unchanged registry."""
    engine = engine_for(location)
    try:
        meta = sa.MetaData()
        meta.reflect(engine)
        out: dict[str, list[tuple[Any, ...]]] = {}
        with engine.connect() as conn:
            for name, table in sorted(meta.tables.items()):
                rows = conn.execute(sa.select(table)).all()
                out[name] = sorted((tuple(r) for r in rows), key=repr)
        return out
    finally:
        engine.dispose()


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


@dataclass
class Cli:
    """The ``handover`` command bound to one registry, run in-process or as a real process."""

    location: str
    home: Path
    passphrase_file: Path
    env: dict[str, str] = field(default_factory=dict)
    recovery_code: str | None = None

    def _env(self, extra: dict[str, str] | None) -> dict[str, str]:
        env = {
            "HANDOVER_REGISTRY": self.location,
            "HANDOVER_PASSPHRASE_FILE": str(self.passphrase_file),
            "HANDOVER_ESCROW_PASSPHRASE_FILE": str(self.home / "escrow-pw"),
            "HANDOVER_ESCROW_IDENTITY_FILE": str(self.home / "escrow.identity"),
            "HANDOVER_ACTOR": "tester",
            # What handover keeps in the user's data folder (a PostgreSQL registry replaced by
            # a restore) stays in this test's folder.
            "XDG_DATA_HOME": str(self.home / "data"),
            **self.env,
        }
        env.update(extra or {})
        return env

    def __call__(
        self, *args: str, input: str | None = None, env: dict[str, str] | None = None
    ) -> Result:
        """Run in this process through typer's runner; an unexpected error fails the test."""
        from handover.cli import app

        result = CliRunner().invoke(
            app, list(args), input=input, env=self._env(env), catch_exceptions=False
        )
        out = Result(result.exit_code, result.stdout, result.stderr)
        assert "handover: unexpected" not in out.stderr, out.stderr
        return out

    def ok(self, *args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        result = self(*args, input=input, env=env)
        assert result.code == 0, f"{args} failed ({result.code}): {result.stderr}"
        return result

    def json(self, *args: str, input: str | None = None, env: dict[str, str] | None = None) -> Any:
        return self.ok(*args, "--json", input=input, env=env).json()

    def fails(
        self, *args: str, code: int = 1, input: str | None = None, env: dict[str, str] | None = None
    ) -> str:
        """Run a command that must fail with ``code`` and one line on stderr; return it."""
        result = self(*args, input=input, env=env)
        assert result.code == code, (
            f"{args}: expected exit {code}, got {result.code}: {result.stdout}{result.stderr}"
        )
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert "Traceback" not in result.stderr
        return lines[0]

    def run(
        self,
        *args: str,
        input: str | None = None,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> Result:
        """Run the installed ``handover`` console script in a fresh process."""
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("HANDOVER_")}
        full_env.update(self._env(env))
        proc = subprocess.run(
            [HANDOVER, *args],
            input=input,
            capture_output=True,
            text=True,
            env=full_env,
            cwd=cwd or self.home,
            timeout=120,
            check=False,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        return dump(self.location)


ESCROW_PASSPHRASE = "the department's escrow, kept in the safe"


def _cli_factory(directory: Path, location: Callable[[str], str]) -> Callable[..., Cli]:
    def make(name: str = "r", *, init: bool = True, passphrase: str = PASSPHRASE) -> Cli:
        home = directory / name
        home.mkdir(exist_ok=True)
        pw = home / "pw"
        pw.write_text(passphrase + "\n")
        (home / "escrow-pw").write_text(ESCROW_PASSPHRASE + "\n")
        cli = Cli(location(name), home, pw)
        if init:
            code_file = home / "recovery-code"
            cli.ok("init", "--recovery-code-file", str(code_file))
            cli.recovery_code = code_file.read_text().strip()
        return cli

    return make


@pytest.fixture
def make_cli(tmp_path: Path, new_location: Callable[[str], str]) -> Callable[..., Cli]:
    """A factory of CLIs, each on its own new registry; ``init=True`` also runs init."""
    return _cli_factory(tmp_path, new_location)


Builder = Callable[[Callable[..., Cli], Path], Any]


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str, Builder], Any]]:
    """Registries built once per test process, for tests to clone (see :func:`clone`).

    Building a registry costs an init, Argon2id unlocks and a dozen commands; cloning it costs a
    file copy or a template database.
    """
    cache: dict[str, Any] = {}
    made: list[str] = []

    def get(name: str, build: Builder) -> Any:
        if name not in cache:
            root = tmp_path_factory.mktemp(f"template-{name}")
            cache[name] = build(_cli_factory(root, lambda n: _new_location(root, n, made)), root)
        return cache[name]

    yield get
    _drop(made)


@pytest.fixture
def clone(tmp_path: Path) -> Iterator[Callable[[Cli], Cli]]:
    """Copy a template registry (and its home folder of files) for one test to change."""
    made: list[str] = []

    def do(template: Cli) -> Cli:
        home = tmp_path / template.home.name
        shutil.copytree(template.home, home)
        location = _clone_location(template.location, tmp_path, template.home.name, made)
        return Cli(
            location,
            home,
            home / template.passphrase_file.name,
            dict(template.env),
            template.recovery_code,
        )

    yield do
    _drop(made)


def seed_collectorate(cli: Cli) -> None:
    """The registry of the foundation issue's session: one district post, holder, account."""
    cli.ok("config", "domains", "add", "gujarat.gov.in")
    cli.ok(
        "post",
        "add",
        "collector-ahmedabad",
        "--title",
        "Collector, Ahmedabad",
        "--level",
        "district",
        "--district",
        "Ahmedabad",
        "--email",
        "collector.ahd@gujarat.gov.in",
        "--phone",
        "+919978400001",
    )
    cli.ok("officer", "add", "ias-0042", "--name", "Asha Mehta", "--grade", "super time scale")
    cli.ok("officer", "assign", "ias-0042", "collector-ahmedabad", "--from", "2026-01-01")
    cli.ok(
        "account",
        "add",
        "x:@CollectorAhd",
        "--post",
        "collector-ahmedabad",
        "--login-email",
        "collector.ahd@gujarat.gov.in",
        "--login-phone",
        "+919978400001",
    )


def _seeded(make: Callable[..., Cli], root: Path) -> Cli:
    cli = make()
    seed_collectorate(cli)
    return cli


@pytest.fixture
def seeded(templates: Callable[[str, Builder], Any], clone: Callable[[Cli], Cli]) -> Cli:
    """A registry holding the foundation issue's session."""
    return clone(templates("seeded", _seeded))


@pytest.fixture
def cli(templates: Callable[[str, Builder], Any], clone: Callable[[Cli], Cli]) -> Cli:
    """A new, initialised, empty registry."""
    return clone(templates("blank", lambda make, root: make()))
