"""Every hint names an option that exists.

Errors and help tell the user what to do next, often with an option ("choose another
--receipt", "give --force"). Every ``--option`` written in the code's text must be an option
some command has: a hint that names one that does not exist sends the user nowhere.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path
from typing import Any

import typer

from handover.cli import LAZY, app

ROOT = Path(__file__).resolve().parents[1]
OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def _options() -> set[str]:
    names = {"--help"}  # every command's own, from click

    def walk(command: Any) -> None:
        for param in getattr(command, "params", []):
            names.update(getattr(param, "opts", []), getattr(param, "secondary_opts", []))
        for sub in getattr(command, "commands", {}).values():
            walk(sub)

    walk(typer.main.get_command(app))
    for module, _ in LAZY.values():
        walk(typer.main.get_command(importlib.import_module(module).app))
    return names


def _named_in_text() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for package in ("vault", "handover"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    for option in OPTION.findall(node.value):
                        found.setdefault(option, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_option_a_message_names_exists() -> None:
    named = _named_in_text()
    assert len(named) > 20  # the scan finds the hints
    missing = {option: where for option, where in named.items() if option not in _options()}
    assert missing == {}


def test_the_check_catches_a_made_up_option() -> None:
    assert "--no-such-option" not in _options()
    assert OPTION.findall("give --no-such-option, or -o") == ["--no-such-option"]
