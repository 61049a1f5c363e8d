"""The house: no import cycles, no reaching into another module's private names, and the rooms of
``vault`` depending one way only (docs/architecture.md draws them)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.architecture import cycles, layering_violations, load

ROOT = Path(__file__).resolve().parents[1]
SKIP = ("migrations/versions",)
# Lower ranks first: a room may import only rooms of a lower rank (and itself).
ROOMS = {
    "vault.errors": 0,
    "vault.canonical": 0,
    "vault.model": 1,
    "vault.store": 2,
    "vault.crypto": 3,
    "vault.records": 4,
    "vault.log": 5,
    "vault.audit": 6,
    "vault.exchange": 7,
    "handover": 8,
    "handover.web": 9,
    "handover.cli": 10,
    "handover.__main__": 11,
}


@pytest.fixture(scope="module")
def modules():  # type: ignore[no-untyped-def]
    return load(ROOT, ["vault", "handover"], SKIP)


def test_no_import_cycles(modules) -> None:  # type: ignore[no-untyped-def]
    assert cycles(modules) == []


def test_no_module_uses_another_modules_private_names(modules) -> None:  # type: ignore[no-untyped-def]
    found = [f"{m.name} {p}" for m in modules.values() for p in m.private]
    assert found == []


def test_rooms_depend_one_way(modules) -> None:  # type: ignore[no-untyped-def]
    assert layering_violations(modules, ROOMS) == []


def test_every_module_is_in_a_room(modules) -> None:  # type: ignore[no-untyped-def]
    """vault has no loose modules beside the base ones: a new module goes into a room."""
    loose = [
        name
        for name in modules
        if name.count(".") == 1
        and name.startswith("vault.")
        and name not in ROOMS
        and not modules[name].is_package
    ]
    assert loose == []


def test_the_architecture_document_matches_the_tree() -> None:
    """Every room and every module of vault is named in docs/architecture.md, and nothing the
    document names as a module is missing from the tree."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    named = set(re.findall(r"`(vault(?:/[a-z_]+)+\.py|vault/[a-z_]+/)`", text))
    vault = ROOT / "vault"
    present = {
        str(p.relative_to(ROOT))
        for p in vault.rglob("*.py")
        if "migrations" not in p.parts and p.name != "__init__.py"
    } | {f"{p.relative_to(ROOT)}/" for p in vault.iterdir() if (p / "__init__.py").exists()}
    assert sorted(present - named) == [], "modules missing from docs/architecture.md"
    assert sorted(named - present) == [], "docs/architecture.md names modules that do not exist"


# The checker itself, on small trees made for the purpose: a test that cannot fail is a defect.


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_the_checker_finds_a_cycle_through_a_function_local_import(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "from pkg import b\n",
            "pkg/b.py": "def f():\n    from pkg.a import x\n",
            "pkg/c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.d\n",
            "pkg/d.py": "import pkg.c\n",
        },
    )
    assert cycles(load(root, ["pkg"])) == [["pkg.a", "pkg.b"], ["pkg.c", "pkg.d"]]


def test_the_checker_finds_private_names(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "_hidden = 1\n",
            "pkg/b.py": "from pkg.a import _hidden\n",
            "pkg/c.py": "from pkg import a\nprint(a._hidden)\n",
        },
    )
    found = {m.name: m.private for m in load(root, ["pkg"]).values() if m.private}
    assert found == {"pkg.b": ["imports _hidden from pkg.a"], "pkg.c": ["uses pkg.a._hidden"]}


def test_the_checker_finds_an_upward_import(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/low/__init__.py": "",
            "pkg/low/x.py": "from pkg.high import y\n",
            "pkg/high/__init__.py": "",
            "pkg/high/y.py": "",
        },
    )
    assert layering_violations(load(root, ["pkg"]), {"pkg.low": 0, "pkg.high": 1}) == [
        "pkg.low.x (pkg.low) imports pkg.high.y (pkg.high)"
    ]
