"""Errors of the handover layer (packets, receipts, identity cards and the command line).

Like :class:`vault.errors.VaultError`, each carries a one-line message for the user; the command
line turns both families into a message and an exit code in one place.
"""

from __future__ import annotations


class HandoverError(Exception):
    """Base of every deliberate error of the handover layer."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(HandoverError):
    """The command was called wrongly; exit code 2, like any other usage error."""

    exit_code = 2


class FileError(HandoverError):
    """An input file cannot be read, or an output file cannot be written."""


class SecretInArgvError(UsageError):
    """A secret was given on the command line, where ``ps`` and shell history can see it."""
