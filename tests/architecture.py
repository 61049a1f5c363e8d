"""The import structure of a source tree, read from the code itself (no module is imported).

Every ``import`` and ``from ... import`` counts, at module level or inside a function, and so do
those under ``if TYPE_CHECKING:``: a function-local import exists for start-up speed, never to
dodge a cycle, and an annotation that needs a cycle to be written is a cycle in the design.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Module:
    name: str
    path: Path
    is_package: bool
    imports: set[str] = field(default_factory=set)
    private: list[str] = field(default_factory=list)


def _name_of(root: Path, path: Path) -> tuple[str, bool]:
    rel = path.relative_to(root).with_suffix("")
    if rel.name == "__init__":
        return ".".join(rel.parts[:-1]), True
    return ".".join(rel.parts), False


def load(root: Path, packages: Iterable[str], skip: Iterable[str] = ()) -> dict[str, Module]:
    """Every module under ``root/package`` for each package, with the modules it imports."""
    skipped = tuple(skip)
    modules: dict[str, Module] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            if any(part in str(path.relative_to(root)) for part in skipped):
                continue
            name, is_package = _name_of(root, path)
            modules[name] = Module(name, path, is_package)
    for module in modules.values():
        _read_imports(module, modules)
    return modules


def _known(name: str, modules: dict[str, Module]) -> str | None:
    """The module a dotted name falls in: itself, or the nearest enclosing module we know."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _read_imports(module: Module, modules: dict[str, Module]) -> None:
    tree = ast.parse(module.path.read_text(), str(module.path))
    aliases: dict[str, str] = {}  # local name -> module it stands for
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = _known(alias.name, modules)
                if target is not None:
                    module.imports.add(target)
                    aliases[alias.asname or alias.name.partition(".")[0]] = target
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = module.name.split(".")
                if not module.is_package:
                    parts = parts[:-1]
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join([*parts, base] if base else parts)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                if full in modules:  # a submodule: ``from vault.store import schema``
                    module.imports.add(full)
                    aliases[alias.asname or alias.name] = full
                    continue
                target = _known(base, modules)
                if target is None:
                    continue
                module.imports.add(target)
                # gettext's "_" is the one name with a leading underscore that is public.
                private = alias.name.startswith("_") and alias.name not in ("_", "__")
                private = private and not alias.name.startswith("__")
                if private and target != module.name:
                    module.private.append(f"imports {alias.name} from {target}")
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and aliases[node.value.id] != module.name
        ):
            module.private.append(f"uses {aliases[node.value.id]}.{node.attr}")
    module.imports.discard(module.name)


def cycles(modules: dict[str, Module]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted.

    A package's ``__init__`` importing its own submodules, which import nothing back, is no
    cycle; one that they import back is.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(modules[v].imports):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for name in sorted(modules):
        if name not in index:
            visit(name)
    return found


def room_of(name: str, rooms: dict[str, int]) -> str | None:
    """The longest room name that ``name`` is, or lies inside."""
    best = None
    for room in rooms:
        inside = name == room or name.startswith(room + ".")
        if inside and (best is None or len(room) > len(best)):
            best = room
    return best


def layering_violations(modules: dict[str, Module], rooms: dict[str, int]) -> list[str]:
    """Imports that point from a room to one of the same or a higher rank (rooms of one rank are
    peers and must not import each other); imports inside one room are free."""
    bad = []
    for module in modules.values():
        src = room_of(module.name, rooms)
        if src is None:
            continue
        for target in sorted(module.imports):
            dst = room_of(target, rooms)
            if dst is None or dst == src:
                continue
            if rooms[dst] >= rooms[src]:
                bad.append(f"{module.name} ({src}) imports {target} ({dst})")
    return bad
