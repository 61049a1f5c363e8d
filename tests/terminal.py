"""A command run on a real pseudo-terminal, driven the way a person types at it.

A person reads the prompt, then types. A test must do the same, and more precisely: a no-echo
prompt (getpass) switches echo off and flushes pending input *after* the prompt text appears, so
typing as soon as the text shows can be thrown away. :meth:`Terminal.answer_secret` waits for the
terminal to be in no-echo mode before it types. Nothing here depends on timing: every wait is for
a condition, with a generous limit only so that a hung command fails the test instead of CI.
"""

from __future__ import annotations

import os
import pty
import select
import termios
import time
from collections.abc import Sequence

LIMIT_SECONDS = 60


class Terminal:
    """One child process with a pseudo-terminal as its controlling terminal."""

    def __init__(self, argv: Sequence[str], env: dict[str, str], cwd: str | None = None) -> None:
        pid, fd = pty.fork()
        if pid == 0:  # the child: a new session whose controlling terminal is the pty
            try:
                if cwd is not None:
                    os.chdir(cwd)
                os.execve(argv[0], list(argv), env)  # noqa: S606 - our own console script
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.seen = b""
        self.closed = False
        self.status: int | None = None

    def _read_some(self, deadline: float) -> bool:
        """Read what the child wrote; ``False`` once it has closed the terminal."""
        if self.closed:
            return False
        ready, _, _ = select.select([self.fd], [], [], max(0.0, deadline - time.monotonic()))
        assert ready, f"no output for {LIMIT_SECONDS} s; so far: {self.seen!r}"
        try:
            chunk = os.read(self.fd, 4096)
        except OSError:  # EIO: the child has gone and the terminal is closed
            chunk = b""
        if not chunk:
            self.closed = True
            return False
        self.seen += chunk
        return True

    def expect(self, marker: bytes) -> None:
        """Wait until ``marker`` has appeared in the output (anywhere since the start)."""
        deadline = time.monotonic() + LIMIT_SECONDS
        while marker not in self.seen:
            assert self._read_some(deadline), f"ended before {marker!r}: {self.seen!r}"

    def expect_after(self, start: int, marker: bytes) -> int:
        """Wait for ``marker`` after offset ``start``; return the offset just past it."""
        deadline = time.monotonic() + LIMIT_SECONDS
        while (at := self.seen.find(marker, start)) < 0:
            assert self._read_some(deadline), f"ended before {marker!r}: {self.seen!r}"
        return at + len(marker)

    def wait_for_no_echo(self) -> None:
        """Wait until the terminal's echo is off (a password prompt is ready for typing)."""
        deadline = time.monotonic() + LIMIT_SECONDS
        while termios.tcgetattr(self.fd)[3] & termios.ECHO:
            assert time.monotonic() < deadline, f"echo never went off: {self.seen!r}"
            ready, _, _ = select.select([self.fd], [], [], 0.01)
            if ready:
                self._read_some(deadline)

    def send(self, text: str) -> None:
        os.write(self.fd, text.encode())

    def answer_secret(self, prompt: bytes, secret: str) -> None:
        """Wait for a no-echo ``prompt`` and type ``secret`` and Enter."""
        self.expect(prompt)
        self.wait_for_no_echo()
        self.send(secret + "\n")

    def finish(self) -> int:
        """Read everything until the child ends; return its exit code."""
        deadline = time.monotonic() + LIMIT_SECONDS
        while self._read_some(deadline):
            pass
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        self.status = os.waitstatus_to_exitcode(status)
        return self.status

    @property
    def text(self) -> str:
        return self.seen.decode("utf-8", errors="replace")
