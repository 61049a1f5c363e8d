"""Errors the registry core raises on purpose.

Every error a user can cause derives from :class:`VaultError`; its message is one line written for
that user. The command line maps the whole family to a message and exit code in one place, so a new
error needs no change there. Failures to open sealed data all look alike from outside
(:class:`SealError`), like Fernet's ``InvalidToken``, so that an attacker learns nothing about which
check failed.
"""

from __future__ import annotations


class VaultError(Exception):
    """Base of every deliberate error of the registry core."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class RegistryError(VaultError):
    """The registry cannot be opened or created where it was asked for."""


class SchemaError(RegistryError):
    """The registry was written by a newer handover than this one."""


class ClockError(VaultError):
    """The clock is behind the registry's record of time: a change now would be dated before
    changes already logged."""


class StorageError(VaultError):
    """The database refused or failed an operation (connection, lock, disk)."""


class WriteError(VaultError):
    """A file could not be written (a full disk, a folder one may not write); nothing of it was
    left behind."""


class ServerUnavailable(StorageError):
    """The database server could not be reached, or the connection to it was lost.

    ``saved`` says what became of the change: ``False`` when it failed before the commit was
    sent (nothing was changed, and the whole command may be run again), ``None`` when the
    connection was lost during the commit (it may or may not have been saved)."""

    def __init__(self, message: str, saved: bool | None) -> None:
        super().__init__(message)
        self.saved = saved


class NotFoundError(VaultError):
    """A post, officer, account or other object named by the user does not exist."""


class AlreadyExistsError(VaultError):
    """The object the user asked to create exists already."""


class InvalidInputError(VaultError):
    """A value given by the user is malformed (an email, a phone number, a date, a handle)."""


class PersonalContactError(InvalidInputError):
    """An official account would depend on a contact that is not official."""


class TransitionError(VaultError):
    """A verification status change that the state machine does not allow."""


class ConflictError(VaultError):
    """The change contradicts what the registry already holds (an open tenure, a last slot)."""


class AuthorityError(VaultError):
    """An authentic document from someone who had no right to do what it does: a packet signed by
    an officer who does not hold the post, a receipt from someone the packet was not addressed
    to, a report from someone who no longer holds the post, an older document after a newer."""


class UnlockError(VaultError):
    """No key slot opened with what the user gave (passphrase, recovery code, keyring, identity)."""


class AccessError(VaultError):
    """The user holds no key that opens these secrets (a post they do not hold)."""


class KeyringError(VaultError):
    """The OS keyring is missing, insecure or refused the request."""


class SealError(VaultError):
    """A sealed value or wrapped key failed to open. Deliberately says nothing about why."""

    def __init__(
        self,
        message: str = "sealed data failed to open: it was altered, moved or "
        "sealed under another key",
    ) -> None:
        super().__init__(message)


class SignatureError(VaultError):
    """A signature or signed file did not verify. Deliberately says nothing about why."""


class LogIntegrityError(VaultError):
    """The event log's hash chain or a checkpoint does not verify."""
