"""The desktop's clipboard, where there is one: a password copied there need not be read off the
screen. The text goes to the clipboard program on its standard input, never in its arguments."""

from __future__ import annotations

import os
import shutil
import subprocess

# Programs that put their standard input on the clipboard, and what each needs to run.
PROGRAMS = (
    ("wl-copy", (), "WAYLAND_DISPLAY"),
    ("xclip", ("-selection", "clipboard"), "DISPLAY"),
    ("xsel", ("-b", "-i"), "DISPLAY"),  # -b: the clipboard selection; -i: from stdin
    ("pbcopy", (), None),
)


def program() -> list[str] | None:
    """The clipboard program to use here, or ``None`` (no desktop session, or none installed)."""
    for name, args, needs in PROGRAMS:
        path = shutil.which(name)
        if path and (needs is None or os.environ.get(needs)):
            return [path, *args]
    return None


def copy(text: str) -> bool:
    """Put ``text`` on the clipboard; whether it worked."""
    command = program()
    if command is None:
        return False
    try:
        done = subprocess.run(  # noqa: S603 - a program found by name in PROGRAMS
            command, input=text.encode(), capture_output=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0
