"""Importing accounts, with their secrets sealed on the way in, in batches of 5,000 rows.

Rows are matched on platform and handle; an unchanged row is skipped, a changed one updated, and a
secret that did not change is not sealed again. Secrets may come in the accounts file or in a
separate secrets file (platform, handle and secret columns only), so that the register and the
passwords can travel by different routes.
"""

from __future__ import annotations

import itertools
import json
import operator
import uuid
from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from vault.crypto import postkeys, totp
from vault.exchange.rows import (
    CONTACT_FIELDS,
    SECRET_COLUMNS,
    Progress,
    RowReader,
    changed_fields,
    optional_phone,
    parse_bool,
    reject_if_errors,
)
from vault.model import (
    AccountKind,
    Status,
    check_handle,
    handle_key,
    parse_date,
    parse_kind,
    parse_platform,
    parse_status,
    parse_twofa,
)
from vault.records import accounts, contacts
from vault.records.credentials import MAX_SECRET_BYTES
from vault.records.sealing import COLUMNS as SEALED
from vault.records.sealing import open_value
from vault.store import bulk, schema
from vault.store.settings import day_first as settings_day_first
from vault.store.settings import read

if TYPE_CHECKING:
    from vault.store.storage import Tx


def _secret_rows(reader: RowReader, text: Iterable[str]) -> dict[tuple[str, str], dict[str, str]]:
    """A separate secrets file: platform, handle and any of the secret columns."""
    found: dict[tuple[str, str], dict[str, str]] = {}
    secrets_reader = RowReader(reader.name + " (secrets)", "accounts")
    for number, row in secrets_reader.rows(text):
        platform = secrets_reader.value(number, "platform", parse_platform, row["platform"])
        if platform is not None:
            found[(platform.value, handle_key(row["handle"]))] = {
                k: row[k] for k in SECRET_COLUMNS if row.get(k)
            }
        extra = set(row) - {"platform", "handle", *SECRET_COLUMNS}
        if extra:
            secrets_reader.error(
                number,
                sorted(extra)[0],
                "only platform, handle and secret columns belong in the secrets file",
            )
    reader.errors.extend(secrets_reader.errors)
    return found


ACCOUNT_FIELDS = ("post_id", "officer_id", *accounts.DESCRIPTIVE, "verification_date")


def import_accounts(
    tx: Tx,
    reader: RowReader,
    text: Iterable[str],
    secrets_text: Iterable[str] | None,
    dry: bool,
    progress: Progress | None,
) -> tuple[int, int, int, int, int]:
    """Validate and write accounts in one pass, in batches.

    Rows are written as soon as a batch of them is validated, so memory stays flat at 100,000
    rows; the first error stops the writing (validation goes on, to report every error) and the
    transaction, which rolls back on the error raised at the end, leaves nothing imported.
    """
    rows_in = reader.rows(text)
    first = next(rows_in, None)
    if (
        not dry
        and first is not None
        and any(first[1].get(k) for k in SECRET_COLUMNS)
        and not postkeys.per_post(tx.conn)
    ):
        # Unlocking derives the key in 64 MiB of memory, for a moment: done before the
        # registry's posts, officers and accounts are loaded, that moment stays below the
        # import's own peak (make bench: 135 → 115 MiB at 100,000 accounts). Only a file
        # whose first row holds a secret is unlocked for so early, before its rows are checked.
        postkeys.sealer_for(tx, None)
    writer = AccountWriter(tx, dry, progress)
    region = read(tx.conn, "default_region")
    day_first = settings_day_first(tx.conn)
    official = contacts.load_official(tx.conn)
    any_phone = optional_phone(region)
    sms_phone = optional_phone(region, mobile=True)  # SMS codes go to a mobile

    def phone(raw: str) -> str | None:
        """A login or recovery phone; one that is already a post's or officer's official
        number was checked and written in E.164 when it was recorded, and is taken as it is
        (at 100,000 accounts, parsing each post's number again was a twentieth of the import)."""
        return raw if raw in official.phones else any_phone(raw)

    posts = {
        r.slug: r.id for r in tx.conn.execute(sa.select(schema.posts.c.slug, schema.posts.c.id))
    }
    officer_ids = {
        r.service_id: r.id
        for r in tx.conn.execute(sa.select(schema.officers.c.service_id, schema.officers.c.id))
    }
    extra = _secret_rows(reader, secrets_text) if secrets_text is not None else {}
    # Each account's "platform:handle" and the row it is on: one string, not a tuple of two,
    # for each of 100,000 rows.
    seen: dict[str, int] = {}
    value = reader.value
    rows = 0
    for number, row in itertools.chain((first,) if first else (), rows_in):
        rows += 1
        get = row.get
        platform = value(number, "platform", parse_platform, row["platform"])
        handle = row["handle"]
        key: tuple[str, str] | None = None
        if platform is not None and value(
            number, "handle", partial(check_handle, platform), handle
        ):
            key = (platform.value, handle_key(handle))
            earlier = seen.setdefault(f"{key[0]}:{key[1]}", number)
            if earlier != number:
                reader.error(
                    number, "handle", f"{platform.value}:{handle} is a duplicate of row {earlier}"
                )
                continue
        kind = value(number, "kind", parse_kind, get("kind") or "official")
        values: dict[str, Any] = {
            "url": get("url") or None,
            "post_id": None,
            "officer_id": None,
            "kind": kind.value if kind else None,
            "disclaimer": None,
        }
        for name in ("login_email", "recovery_email"):
            raw = get(name)
            values[name] = value(number, name, contacts.normalise_email, raw) if raw else None
        for name in ("login_phone", "recovery_phone", "twofa_phone"):
            raw = get(name)
            read_phone = sms_phone if name == "twofa_phone" else phone
            values[name] = value(number, name, read_phone, raw) if raw else None
        values["twofa_holder"] = get("twofa_holder") or None
        twofa = value(
            number,
            "twofa",
            parse_twofa,
            get("twofa")
            or ("sms" if values["twofa_phone"] else "totp" if get("totp") else "unknown"),
        )
        values["twofa_method"] = twofa.value if twofa else None
        status = value(number, "verification", parse_status, get("verification") or "unverified")
        values["verification"] = status.value if status else None
        raw = get("verification_date")
        values["verification_date"] = (
            value(
                number,
                "verification_date",
                lambda v: parse_date(v, "verification_date", day_first=day_first),
                raw,
            )
            if raw
            else None
        )
        if get("post"):
            values["post_id"] = posts.get(row["post"].strip().lower())
            if values["post_id"] is None:
                reader.error(number, "post", f"no post {row['post']!r} in the registry")
        if get("officer"):
            values["officer_id"] = officer_ids.get(row["officer"].strip().lower())
            if values["officer_id"] is None:
                reader.error(number, "officer", f"no officer {row['officer']!r} in the registry")
        if kind is AccountKind.PERSONAL:
            values["disclaimer"] = value(
                number, "disclaimer", parse_bool, get("disclaimer") or "no"
            )
            if not get("officer"):
                reader.error(number, "officer", "a personal account needs its officer")
        elif get("disclaimer"):
            reader.error(number, "disclaimer", "the disclaimer is for personal accounts")
        reason = get("allow_personal") or None
        previous = writer.existing.get(key) if key else None
        if kind is AccountKind.OFFICIAL and not reason:
            for name in CONTACT_FIELDS:
                contact = values[name]
                if (
                    contact
                    and not official.is_official(contact)
                    and not (
                        previous is not None and (previous.id, name, contact) in writer.overrides
                    )
                ):
                    reader.error(
                        number,
                        name,
                        f"{official.why_not(contact)}; official accounts "
                        "must use the post's official contacts (or give a reason in "
                        "allow_personal)",
                    )
        secrets = {k: row[k] for k in SECRET_COLUMNS if get(k)}
        if key is not None:
            secrets.update(extra.pop(key, {}))
        for name, secret in secrets.items():
            if len(secret.encode("utf-8")) > MAX_SECRET_BYTES:
                reader.error(number, name, "is larger than 64 KiB")
        if "totp" in secrets:
            seed = value(number, "totp", totp.parse, secrets["totp"])
            if seed is not None:
                secrets["totp"] = seed.to_json()
        if "recovery_codes" in secrets:
            secrets["recovery_codes"] = json.dumps(
                [c for c in secrets["recovery_codes"].replace(";", " ").split() if c]
            )
        if key is not None and not reader.errors:
            writer.add(
                values, secrets, key, handle, reason, official, previous, get("evidence") or None
            )
        if progress and rows % 5000 == 0:
            progress(5000)
    for platform_name, handle_name in extra:
        reader.error(
            0,
            "handle",
            f"the secrets file names {platform_name}:{handle_name} which "
            "is not in the accounts file",
        )
    reject_if_errors(reader)
    if progress:
        progress(rows % 5000)
    writer.flush()
    return rows, writer.added, writer.updated, rows - writer.added - writer.updated, writer.secrets


ACCOUNT_INSERT = (
    "id", "platform", "handle", "handle_key", "url", "post_id", "officer_id", "kind",
    "disclaimer", "login_email", "login_phone", "recovery_email", "recovery_phone",
    "twofa_method", "twofa_phone", "twofa_holder", "verification", "verification_date",
    "password_sealed", "password_changed_at", "totp_sealed", "totp_changed_at",
    "recovery_codes_sealed", "recovery_codes_changed_at", "notes_sealed", "notes_changed_at",
    "created_at", "updated_at",
)  # fmt: skip
HISTORY_INSERT = (
    "id",
    "account_id",
    "from_status",
    "to_status",
    "on_date",
    "evidence",
    "recorded_at",
    "recorded_by",
)
BATCH = 5000
_UUID_INT = operator.attrgetter("int")


class _Ids:
    """Fresh random (version 4) UUIDs, handed out in ascending order a few thousand at a time.

    Each is drawn as ``uuid.uuid4()`` draws it; only the order in which a batch's ids are given
    to its rows follows their value, so that a batch's inserts walk the primary-key index (and
    the history's account index, and the foreign-key lookups into accounts) from one end to the
    other instead of jumping about it: at 100,000 accounts, random order cost ~1 µs a row more.
    The rows' own order (their rowids) already tells the order they were written in."""

    def __init__(self) -> None:
        self.pool: list[uuid.UUID] = []
        self.given = 0

    def take(self, room: int) -> uuid.UUID:
        """The next id; ``room`` is how many more rows the current batch can take (a pool never
        outlasts its batch), and a pool grows with the ids given, so a small import draws few."""
        if not self.pool:
            size = max(1, min(room, max(64, self.given)))
            self.pool = sorted((uuid.uuid4() for _ in range(size)), key=_UUID_INT, reverse=True)
        self.given += 1
        return self.pool.pop()


class AccountWriter:
    """Turns validated rows into batched inserts and updates, sealing secrets on the way."""

    def __init__(self, tx: Tx, dry: bool, progress: Progress | None) -> None:
        self.tx, self.dry, self.progress = tx, dry, progress
        a = schema.accounts
        self.existing = {(r.platform, r.handle_key): r for r in tx.conn.execute(sa.select(a))}
        self.overrides = {
            (r.account_id, r.field, r.value)
            for r in tx.conn.execute(sa.select(schema.contact_overrides))
        }
        self.per_post = postkeys.per_post(tx.conn)
        self.today = tx.now.astimezone().date()
        self.inserts: list[tuple[Any, ...]] = []
        self.history: list[tuple[Any, ...]] = []
        self.updates: list[dict[str, Any]] = []
        self.new_overrides: list[dict[str, Any]] = []
        self.added = self.updated = self.secrets = 0
        self.account_ids, self.history_ids = _Ids(), _Ids()

    def sealer(self, post_id: Any) -> Any:
        """One sealer per key: the registry's, or each post's on a shared registry (asked of
        the transaction's memo by key, not by post, when all posts share the registry's)."""
        return postkeys.sealer_for(self.tx, post_id if self.per_post else None)

    def _seal(
        self, previous: Any, account_id: Any, post_id: Any, secrets: dict[str, str]
    ) -> dict[str, Any]:
        sealed: dict[str, Any] = {}
        for kind_name, plain in secrets.items():
            column = SEALED[kind_name]
            if (
                previous is not None
                and getattr(previous, column) is not None
                and previous.post_id == post_id
                and open_value(self.tx.conn, self.tx.registry, previous, kind_name) == plain
            ):
                continue
            sealed[column] = (
                None
                if self.dry
                else self.sealer(post_id).seal("accounts", column, account_id, plain.encode())
            )
            sealed[f"{kind_name}_changed_at"] = self.tx.now
            self.secrets += 1
        return sealed

    def add(
        self,
        values: dict[str, Any],
        secrets: dict[str, str],
        key: tuple[str, str],
        handle: str,
        reason: str | None,
        official: contacts.OfficialContacts,
        previous: Any,
        evidence: str | None = None,
    ) -> None:
        """Write one account (in a batch); its verification history keeps the row's evidence,
        or says it was imported."""
        tx = self.tx
        room = BATCH - len(self.inserts) - len(self.updates)
        account_id = previous.id if previous is not None else self.account_ids.take(room)
        sealed = self._seal(previous, account_id, values["post_id"], secrets)
        if reason and values["kind"] == AccountKind.OFFICIAL.value:
            for name in CONTACT_FIELDS:
                contact = values[name]
                if (
                    contact
                    and not official.is_official(contact)
                    and (account_id, name, contact) not in self.overrides
                ):
                    self.new_overrides.append(
                        {
                            "id": uuid.uuid4(),
                            "account_id": account_id,
                            "field": name,
                            "value": contact,
                            "reason": reason,
                            "recorded_at": tx.now,
                            "recorded_by": tx.actor,
                        }
                    )
        if previous is None:
            if (
                values["verification_date"] is None
                and values["verification"] != Status.UNVERIFIED.value
            ):
                values["verification_date"] = self.today
            self.added += 1
            row = {
                "id": account_id,
                "platform": key[0],
                "handle": handle,
                "handle_key": key[1],
                "created_at": tx.now,
                "updated_at": tx.now,
                **values,
                **sealed,
            }
            self.inserts.append(tuple(map(row.get, ACCOUNT_INSERT)))
            self.history.append(
                (
                    self.history_ids.take(room),
                    account_id,
                    None,
                    values["verification"],
                    values["verification_date"] or self.today,
                    evidence or "imported",
                    tx.now,
                    tx.actor,
                )
            )
        else:
            if values["verification_date"] is None:
                values["verification_date"] = previous.verification_date
            changed = changed_fields(previous, values)
            if "verification" in changed:
                self.history.append(
                    (
                        self.history_ids.take(room),
                        account_id,
                        previous.verification,
                        values["verification"],
                        values["verification_date"] or self.today,
                        evidence or "imported",
                        tx.now,
                        tx.actor,
                    )
                )
            if changed or sealed:
                self.updated += 1
                self.updates.append(
                    {
                        "_id": account_id,
                        **{f: getattr(previous, f) for f in _UPDATED},
                        **values,
                        **sealed,
                        "updated_at": tx.now,
                    }
                )
        if len(self.inserts) + len(self.updates) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.dry:
            tx, a = self.tx, schema.accounts
            if self.inserts:
                bulk.insert_many(tx.conn, a, ACCOUNT_INSERT, self.inserts)
            if self.updates:
                tx.conn.execute(
                    a.update()
                    .where(a.c.id == sa.bindparam("_id"))
                    .values({c: sa.bindparam(c) for c in (*_UPDATED, "updated_at")}),
                    self.updates,
                )
            if self.history:
                bulk.insert_many(tx.conn, schema.verification_history, HISTORY_INSERT, self.history)
            if self.new_overrides:
                tx.conn.execute(schema.contact_overrides.insert(), self.new_overrides)
        if self.progress:
            self.progress(len(self.inserts) + len(self.updates))
        self.inserts, self.history, self.updates, self.new_overrides = [], [], [], []


_UPDATED = (
    *ACCOUNT_FIELDS,
    "password_sealed",
    "password_changed_at",
    "totp_sealed",
    "totp_changed_at",
    "recovery_codes_sealed",
    "recovery_codes_changed_at",
    "notes_sealed",
    "notes_changed_at",
)
