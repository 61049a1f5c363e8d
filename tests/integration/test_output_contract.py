"""What scripts rely on: one spelling of the output format everywhere, exit codes that tell
"found something" from "could not run", and errors a program can read."""

from __future__ import annotations

import importlib
import json
from typing import Any

import typer

from handover.cli import LAZY, app
from tests.conftest import Cli


def _commands() -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []

    def walk(name: str, command: Any) -> None:
        subs = getattr(command, "commands", None)
        if subs:
            for sub_name, sub in subs.items():
                walk(f"{name} {sub_name}", sub)
        else:
            found.append((name, command))

    for name, (module, _help) in LAZY.items():
        command = typer.main.get_command(importlib.import_module(module).app)
        if hasattr(command, "commands") and name in command.commands:
            command = command.commands[name]
        walk(name, command)
    assert len(found) > 50
    return found


def test_every_command_with_json_also_takes_format() -> None:
    missing = []
    for name, command in _commands():
        options = {o for p in command.params for o in getattr(p, "opts", [])}
        if "--json" in options and "--format" not in options:
            missing.append(name)
    assert missing == []
    assert typer.main.get_command(app)  # the root builds


def test_format_json_is_json(seeded: Cli) -> None:
    assert seeded.json("post", "show", "collector-ahmedabad") == json.loads(
        seeded.ok("post", "show", "collector-ahmedabad", "--format", "json").stdout
    )
    listed = seeded.ok("account", "list", "--format", "csv").stdout.splitlines()
    assert listed[0].startswith("ref,") and "x:@CollectorAhd" in listed[1]
    line = seeded.fails("post", "show", "collector-ahmedabad", "--format", "csv", code=2)
    assert line == "handover: --format csv is for lists: this command writes a table or JSON"


def test_errors_under_json_are_json(seeded: Cli) -> None:
    for args in (
        ["post", "show", "no-such-post", "--json"],
        ["post", "show", "no-such-post", "--format", "json"],
        ["account", "list", "--platform", "myspace", "--json"],
    ):
        result = seeded(*args)
        assert result.code == 1, args
        assert result.stdout == ""
        (line,) = result.stderr.splitlines()
        error = json.loads(line)
        assert set(error) == {"error", "code"} and error["code"] == 1
        assert error["error"] and not error["error"].startswith("handover:")
    assert seeded.fails("post", "show", "no-such-post").startswith("handover: ")


def test_findings_exit_3_and_failure_exits_1(seeded: Cli, make_cli) -> None:  # type: ignore[no-untyped-def]
    assert seeded("audit", "--fail-on", "medium").code == 3  # x:@CollectorAhd is unverified
    assert seeded("audit", "--fail-on", "critical").code == 0
    missing: Cli = make_cli("missing", init=False)
    assert missing("audit", "--fail-on", "medium").code == 1  # could not run at all
    as_json = missing("audit", "--fail-on", "medium", "--format", "json")
    assert as_json.code == 1
    assert json.loads(as_json.stderr)["code"] == 1
