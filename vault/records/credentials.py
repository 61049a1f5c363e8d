"""An account's secrets: password, TOTP seed, recovery codes and notes, sealed in the registry.

Setting a secret unlocks the registry, seals the value bound to its row and column, records when
it changed, and logs that it changed (never what it is). Revealing is the only way out, and is a
separate call so that nothing prints a secret by accident.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, NamedTuple

import sqlalchemy as sa

from vault.crypto import totp
from vault.errors import ConflictError, InvalidInputError
from vault.model import N_, Account, TwoFactor, as_dict, redacted
from vault.records import accounts
from vault.records.sealing import COLUMNS, open_value, seal_value
from vault.store import schema

if TYPE_CHECKING:
    from vault.store.storage import Registry, Tx

MAX_SECRET_BYTES = 64 * 1024


def _store(tx: Tx, row: Any, kind: str, value: str, extra: dict[str, Any] | None = None) -> None:
    if len(value.encode("utf-8")) > MAX_SECRET_BYTES:
        raise InvalidInputError(f"the {kind.replace('_', ' ')} is larger than 64 KiB")
    column = COLUMNS[kind]
    values = {
        column: seal_value(tx, row, kind, value),
        f"{kind}_changed_at": tx.now,
        "updated_at": tx.now,
        **(extra or {}),
    }
    t = schema.accounts
    tx.conn.execute(t.update().where(t.c.id == row.id).values(**values))
    tx.log(
        f"credential.{kind}.set",
        "account",
        row.id,
        accounts.ref_of(row),
        **{k: v for k, v in (extra or {}).items() if k != "rotation_reason"},
    )


def set_password(registry: Registry, ref: str, password: str, *, rotate: bool = False) -> Account:
    """Seal a new password. Any rotation mark is cleared: the credential has just changed.

    With ``rotate`` the new password must differ from the current one, so that a rotation after a
    handover cannot be recorded without one.
    """
    if not password:
        raise InvalidInputError(N_("the password is empty"))
    with registry.write() as tx:
        row = accounts.row_by_ref(tx.conn, ref)
        if rotate and open_value(tx.conn, registry, row, "password") == password:
            raise ConflictError(
                f"{accounts.ref_of(row)}: the new password is the same as the "
                "current one; a rotation needs a new password"
            )
        _store(tx, row, "password", password, {"rotation_due_at": None, "rotation_reason": None})
        if row.rotation_due_at is not None:
            tx.log(
                "credential.rotated",
                "account",
                row.id,
                accounts.ref_of(row),
                was_due=row.rotation_due_at,
            )
        return accounts.show_in(tx.conn, accounts.row_by_ref(tx.conn, ref))


def set_totp(registry: Registry, ref: str, text: str) -> tuple[Account, totp.TotpSeed]:
    seed = totp.parse(text)
    with registry.write() as tx:
        row = accounts.row_by_ref(tx.conn, ref)
        _store(tx, row, "totp", seed.to_json(), {"twofa_method": TwoFactor.TOTP.value})
        return accounts.show_in(tx.conn, accounts.row_by_ref(tx.conn, ref)), seed


def set_recovery_codes(registry: Registry, ref: str, text: str) -> tuple[Account, int]:
    codes = [line.strip() for line in text.splitlines() if line.strip()]
    if not codes:
        raise InvalidInputError(N_("no recovery codes were given on standard input"))
    with registry.write() as tx:
        row = accounts.row_by_ref(tx.conn, ref)
        _store(tx, row, "recovery_codes", json.dumps(codes), {})
        return accounts.show_in(tx.conn, accounts.row_by_ref(tx.conn, ref)), len(codes)


def set_notes(registry: Registry, ref: str, text: str) -> Account:
    if not text.strip():
        raise InvalidInputError(N_("the notes are empty"))
    with registry.write() as tx:
        row = accounts.row_by_ref(tx.conn, ref)
        _store(tx, row, "notes", text, {})
        return accounts.show_in(tx.conn, accounts.row_by_ref(tx.conn, ref))


class Secrets(NamedTuple):
    password: str | None
    totp: dict[str, Any] | None
    recovery_codes: list[str] | None
    notes: str | None

    def __repr__(self) -> str:
        return redacted(self, *self._fields)

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


def secrets_of(conn: sa.Connection, registry: Registry, row: Any) -> Secrets:
    seed_json = open_value(conn, registry, row, "totp")
    codes = open_value(conn, registry, row, "recovery_codes")
    seed = totp.TotpSeed.from_json(seed_json) if seed_json else None
    return Secrets(
        open_value(conn, registry, row, "password"),
        {**seed._asdict(), "uri": seed.uri()} if seed else None,
        json.loads(codes) if codes else None,
        open_value(conn, registry, row, "notes"),
    )


def reveal(registry: Registry, ref: str) -> tuple[Account, Secrets]:
    with registry.read() as conn:
        row = accounts.row_by_ref(conn, ref)
        return accounts.show_in(conn, row), secrets_of(conn, registry, row)


def totp_code(registry: Registry, ref: str, at: int | None = None) -> tuple[str, int, int]:
    """The current (or ``at``) code of an account's seed: code, seconds valid, Unix time used."""
    with registry.read() as conn:
        row = accounts.row_by_ref(conn, ref)
        seed_json = open_value(conn, registry, row, "totp")
        if seed_json is None:
            raise InvalidInputError(
                f"{accounts.ref_of(row)} has no TOTP seed in the registry; "
                "add one with 'handover account set-totp'"
            )
        when = int(registry.clock().timestamp()) if at is None else at
    if when < 0:
        raise InvalidInputError(N_("--at must be a Unix time of 0 or later"))
    code, remaining = totp.TotpSeed.from_json(seed_json).code(when)
    return code, remaining, when
