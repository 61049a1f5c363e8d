"""Bulk import of posts, officers, accounts and groups from an IT cell's CSV spreadsheets.

Every row is validated first (formats, official-contact rules, known posts and officers,
platforms, duplicate handles), and every problem is reported with its file, row, column and
reason; a file with any error imports nothing. Then the whole file is written in one transaction,
in bulk (one statement per table, not one per row): 100,000 accounts with secrets import in
seconds. Re-importing the same file changes nothing: rows are matched on their natural key
(platform and handle for accounts, slug or service id otherwise), unchanged rows are skipped, and
nothing is logged when nothing changed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from vault import accounts, contacts, credentials, keys, postkeys, schema, totp
from vault.errors import InvalidInputError, VaultError
from vault.model import (
    AccountKind,
    ContactField,
    Level,
    Record,
    Status,
    handle_key,
    parse_date,
    parse_kind,
    parse_level,
    parse_platform,
    parse_status,
    parse_twofa,
    slug,
)

if TYPE_CHECKING:
    from vault.storage import Registry, Tx

Progress = Callable[[int], None]

COLUMNS: dict[str, tuple[str, ...]] = {
    "posts": ("slug", "title", "level", "district", "department", "email", "phone"),
    "officers": ("service_id", "name", "grade", "email", "phone", "post", "from"),
    "accounts": (
        "platform", "handle", "url", "post", "kind", "officer", "disclaimer", "login_email",
        "login_phone", "recovery_email", "recovery_phone", "twofa", "twofa_phone",
        "twofa_holder", "verification", "verification_date", "evidence", "allow_personal",
        "password", "totp", "recovery_codes", "notes",
    ),
    "groups": ("slug", "name", "level", "district", "department", "platform", "admins"),
    "transfers": ("order_no", "order_date", "officer", "from_post", "to_post",
                  "effective_date"),
}  # fmt: skip
REQUIRED: dict[str, tuple[str, ...]] = {
    "posts": ("slug", "title", "level"),
    "officers": ("service_id", "name"),
    "accounts": ("platform", "handle"),
    "groups": ("slug", "name", "level"),
    "transfers": ("order_no", "order_date", "officer", "effective_date"),
}
SECRET_COLUMNS = ("password", "totp", "recovery_codes", "notes")
HANDLE = re.compile(r"^[^\s:]{1,200}$")
CONTACT_FIELDS = tuple(f.value for f in ContactField)
MAX_ERRORS_SHOWN = 200


@dataclass(frozen=True)
class RowError(Record):
    file: str
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.row}" + (f": {self.column}" if self.column else "")
        return f"{where}: {self.reason}"


class ImportRejected(VaultError):
    """The file has errors; nothing was imported. ``errors`` lists every one."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} error(s) in {errors[0].file}; nothing was imported")
        self.errors = errors


@dataclass(frozen=True)
class Summary(Record):
    kind: str
    file: str
    rows: int
    added: int
    updated: int
    unchanged: int
    secrets: int
    dry_run: bool


def template(kind: str) -> str:
    if kind not in COLUMNS:
        raise InvalidInputError(f"unknown kind {kind!r}: choose {', '.join(COLUMNS)}")
    return ",".join(COLUMNS[kind]) + "\n"


@dataclass
class _Reader:
    """The rows of one CSV file, with errors collected against row and column."""

    name: str
    kind: str
    errors: list[RowError] = field(default_factory=list)
    seen: dict[str, int] = field(default_factory=dict)

    def error(self, row: int, column: str, reason: str) -> None:
        self.errors.append(RowError(self.name, row, column, reason))

    def rows(self, text: str) -> Iterator[tuple[int, dict[str, str]]]:
        reader = csv.reader(io.StringIO(text))
        try:
            header = [h.strip().lower() for h in next(reader)]
        except StopIteration:
            self.error(1, "", "the file is empty")
            return
        known = COLUMNS[self.kind]
        for column in header:
            if column not in known:
                self.error(1, column, f"unknown column; the columns are: {', '.join(known)}")
        for column in REQUIRED[self.kind]:
            if column not in header:
                self.error(1, column, "required column is missing")
        if self.errors:
            return
        for number, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                self.error(number, "", f"has {len(values)} fields, the header has {len(header)}")
                continue
            yield number, {h: v.strip() for h, v in zip(header, values, strict=True)}

    def unique(self, number: int, column: str, raw: str, what: str) -> str | None:
        """The row's identifier (a slug), or ``None`` when it is malformed or repeats an
        earlier row's; either is recorded as an error."""
        key: str | None = self.value(number, column, lambda v: slug(v, what), raw)
        if key is None:
            return None
        if key in self.seen:
            self.error(number, column, f"duplicate of row {self.seen[key]}")
            return None
        self.seen[key] = number
        return key

    def required(self, number: int, column: str, raw: str, reason: str) -> str | None:
        """``raw``, or ``None`` with ``reason`` recorded when it is empty."""
        if not raw:
            self.error(number, column, reason)
            return None
        return raw

    def value(self, number: int, column: str, parse: Callable[[str], Any], raw: str) -> Any:
        """``parse(raw)``, or ``None`` with an error recorded against the cell."""
        try:
            return parse(raw)
        except VaultError as exc:
            self.error(number, column, exc.message)
        except ValueError as exc:
            self.error(number, column, str(exc))
        return None


def _read(path: Path) -> tuple[str, str]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path}: {exc.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInputError(f"{path} is not UTF-8 text (save the sheet as CSV UTF-8)") from None
    return text, hashlib.sha256(data).hexdigest()


def _bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("yes", "y", "true", "1"):
        return True
    if value in ("no", "n", "false", "0"):
        return False
    raise InvalidInputError(f"{raw!r} is not yes or no")


def _email(raw: str) -> str | None:
    return contacts.normalise_email(raw) if raw else None


def _phone(region: str) -> Callable[[str], str | None]:
    return lambda raw: contacts.normalise_phone(raw, region) if raw else None


def run(
    registry: Registry,
    kind: str,
    path: Path,
    *,
    dry_run: bool = False,
    secrets_path: Path | None = None,
    progress: Progress | None = None,
) -> Summary:
    """Validate ``path`` completely, then (unless ``dry_run``) import it in one transaction."""
    if kind not in COLUMNS:
        raise InvalidInputError(f"unknown kind {kind!r}: choose {', '.join(COLUMNS)}")
    text, digest = _read(path)
    extra = _read(secrets_path)[0] if secrets_path is not None else None
    if extra is not None and kind != "accounts":
        raise InvalidInputError("--secrets goes with 'import accounts'")
    with registry.write() as tx:
        from vault import transfers

        importer = {
            "posts": _posts,
            "officers": _officers,
            "accounts": _accounts,
            "groups": _groups,
            "transfers": transfers.import_rows,
        }[kind]
        counts = importer(tx, _Reader(path.name, kind), text, extra, dry_run, progress)
        summary = Summary(kind, path.name, *counts, dry_run)
        if dry_run:
            return summary  # the importers wrote nothing
        if summary.added or summary.updated or summary.secrets:
            tx.log(
                f"import.{kind}",
                "registry",
                None,
                path.name,
                sha256=digest,
                rows=summary.rows,
                added=summary.added,
                updated=summary.updated,
                secrets=summary.secrets,
            )
        return summary


def _finish(reader: _Reader) -> None:
    if reader.errors:
        raise ImportRejected(reader.errors)


def _changes(existing: Any, values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if getattr(existing, k) != v}


def _posts(
    tx: Tx, reader: _Reader, text: str, _secrets: str | None, dry: bool, progress: Progress | None
) -> tuple[int, int, int, int, int]:
    from vault.settings import read

    region = read(tx.conn, "default_region")
    official = contacts.load_official(tx.conn)
    t = schema.posts
    existing = {r.slug: r for r in tx.conn.execute(sa.select(t))}
    inserts, updates = [], []
    rows = 0
    for number, row in reader.rows(text):
        rows += 1
        key = reader.unique(number, "slug", row["slug"], "post")
        level = reader.value(number, "level", parse_level, row["level"])
        email = reader.value(number, "email", _email, row.get("email", ""))
        if email and not official.email_is_official(email):
            reader.error(
                number, "email", f"a post's email must be official: {official.why_not(email)}"
            )
        values = {
            "title": reader.required(number, "title", row["title"], "a post needs a title"),
            "level": level.value if level else None,
            "district": row.get("district") or None,
            "department": row.get("department") or None,
            "email": email,
            "phone": reader.value(number, "phone", _phone(region), row.get("phone", "")),
        }
        if level is Level.DISTRICT and not values["district"]:
            reader.error(number, "district", "a district-level post needs a district")
        if key in existing:
            changed = _changes(existing[key], values)
            if changed:
                updates.append(
                    {
                        "_id": existing[key].id,
                        **{**_row(existing[key], values), "updated_at": tx.now},
                    }
                )
        elif key:
            inserts.append(
                {
                    "id": uuid.uuid4(),
                    "slug": key,
                    "created_at": tx.now,
                    "updated_at": tx.now,
                    **values,
                }
            )
    _finish(reader)
    if not dry:
        _bulk(tx, t, inserts, updates, (*tuple(COLUMNS["posts"][1:]), "updated_at"), progress)
    return rows, len(inserts), len(updates), rows - len(inserts) - len(updates), 0


def _row(existing: Any, values: dict[str, Any]) -> dict[str, Any]:
    return {**{k: getattr(existing, k) for k in values}, **values}


def _bulk(
    tx: Tx,
    table: sa.Table,
    inserts: list[dict[str, Any]],
    updates: list[dict[str, Any]],
    columns: tuple[str, ...],
    progress: Progress | None,
) -> None:
    """One INSERT and one UPDATE statement for the whole file, in chunks for the progress bar."""
    from vault import bulk

    chunk = 5000
    for start in range(0, len(inserts), chunk):
        bulk.insert_dicts(tx.conn, table, inserts[start : start + chunk])
        if progress:
            progress(len(inserts[start : start + chunk]))
    if updates:
        statement = (
            table.update()
            .where(table.c.id == sa.bindparam("_id"))
            .values({c: sa.bindparam(c) for c in columns if c in updates[0]})
        )
        for start in range(0, len(updates), chunk):
            tx.conn.execute(statement, updates[start : start + chunk])
            if progress:
                progress(len(updates[start : start + chunk]))


def _officers(
    tx: Tx, reader: _Reader, text: str, _secrets: str | None, dry: bool, progress: Progress | None
) -> tuple[int, int, int, int, int]:
    from vault.settings import read

    region = read(tx.conn, "default_region")
    official = contacts.load_official(tx.conn)
    t = schema.officers
    existing = {r.service_id: r for r in tx.conn.execute(sa.select(t))}
    post_rows = {r.slug: r for r in tx.conn.execute(sa.select(schema.posts))}
    held = _open_tenures(tx)
    assigned: dict[Any, int] = {}
    inserts, updates = [], []
    assignments: list[tuple[str, Any, Any]] = []
    rows = 0
    for number, row in reader.rows(text):
        rows += 1
        key = reader.unique(number, "service_id", row["service_id"], "officer id")
        email = reader.value(number, "email", _email, row.get("email", ""))
        if email and not official.email_is_official(email):
            reader.error(number, "email", official.why_not(email))
        values = {
            "name": reader.required(number, "name", row["name"], "an officer needs a name"),
            "grade": row.get("grade") or None,
            "email": email,
            "phone": reader.value(number, "phone", _phone(region), row.get("phone", "")),
        }
        if row.get("post"):
            post = post_rows.get(row["post"].strip().lower())
            start = reader.value(
                number,
                "from",
                lambda v: parse_date(v, "from"),
                row.get("from") or tx.now.astimezone().date().isoformat(),
            )
            if post is None:
                reader.error(number, "post", f"no post {row['post']!r} in the registry")
            elif post.id in assigned:
                reader.error(
                    number, "post", f"{post.slug} is assigned in row {assigned[post.id]} too"
                )
            elif start is not None and key:
                assigned[post.id] = number
                current = held.get(post.id)
                if current is not None and current.service_id != key and start < current.start_date:
                    reader.error(
                        number,
                        "from",
                        f"{current.service_id} has held {post.slug} since {current.start_date}",
                    )
                elif current is None or current.service_id != key:
                    assignments.append((key, post, start))
        if key in existing:
            if _changes(existing[key], values):
                updates.append(
                    {"_id": existing[key].id, **_row(existing[key], values), "updated_at": tx.now}
                )
        elif key:
            inserts.append(
                {
                    "id": uuid.uuid4(),
                    "service_id": key,
                    "created_at": tx.now,
                    "updated_at": tx.now,
                    **values,
                }
            )
    _finish(reader)
    if not dry:
        _bulk(tx, t, inserts, updates, ("name", "grade", "email", "phone", "updated_at"), progress)
        ids = {r["service_id"]: r["id"] for r in inserts} | {k: r.id for k, r in existing.items()}
        ended = [
            {"_id": held[post.id].id, "end_date": start}
            for _key, post, start in assignments
            if post.id in held
        ]
        if ended:
            tt = schema.tenures
            tx.conn.execute(
                tt.update()
                .where(tt.c.id == sa.bindparam("_id"))
                .values(end_date=sa.bindparam("end_date")),
                ended,
            )
        if assignments:
            tx.conn.execute(
                schema.tenures.insert(),
                [
                    {
                        "id": uuid.uuid4(),
                        "post_id": post.id,
                        "officer_id": ids[key],
                        "start_date": start,
                        "end_date": None,
                        "created_at": tx.now,
                    }
                    for key, post, start in assignments
                ],
            )
        if postkeys.per_post(tx.conn):
            for key, post, _start in assignments:
                previous = held.get(post.id)
                postkeys.hand_over(tx, post.id, previous.service_id if previous else None, key)
    return rows, len(inserts), len(updates), rows - len(inserts) - len(updates), 0


def _open_tenures(tx: Tx) -> dict[Any, Any]:
    """The open tenure of each post: (id, officer's service id, start date)."""
    t, o = schema.tenures, schema.officers
    return {
        r.post_id: r
        for r in tx.conn.execute(
            sa.select(t.c.id, t.c.post_id, t.c.start_date, o.c.service_id)
            .join(o, o.c.id == t.c.officer_id)
            .where(t.c.end_date.is_(None))
        )
    }


def _groups(
    tx: Tx, reader: _Reader, text: str, _secrets: str | None, dry: bool, progress: Progress | None
) -> tuple[int, int, int, int, int]:
    t, ga = schema.groups, schema.group_admins
    existing = {r.slug: r for r in tx.conn.execute(sa.select(t))}
    post_ids = {r.slug: r.id for r in tx.conn.execute(sa.select(schema.posts))}
    current_admins: dict[Any, set[Any]] = {}
    for r in tx.conn.execute(sa.select(ga)):
        current_admins.setdefault(r.group_id, set()).add(r.post_id)
    inserts, updates, admin_sets = [], [], []
    rows = 0
    for number, row in reader.rows(text):
        rows += 1
        key = reader.unique(number, "slug", row["slug"], "group")
        level = reader.value(number, "level", parse_level, row["level"])
        platform = reader.value(
            number, "platform", parse_platform, row.get("platform") or "whatsapp"
        )
        values = {
            "name": reader.required(number, "name", row["name"], "a group needs a name"),
            "level": level.value if level else None,
            "district": row.get("district") or None,
            "department": row.get("department") or None,
            "platform": platform.value if platform else None,
        }
        if level is Level.DISTRICT and not values["district"]:
            reader.error(number, "district", "a district-level group needs a district")
        admins = set()
        for name in filter(None, (a.strip().lower() for a in row.get("admins", "").split(";"))):
            if name not in post_ids:
                reader.error(number, "admins", f"no post {name!r} in the registry")
            else:
                admins.add(post_ids[name])
        if key in existing:
            group_id = existing[key].id
            if _changes(existing[key], values):
                updates.append(
                    {"_id": group_id, **_row(existing[key], values), "updated_at": tx.now}
                )
            if admins != current_admins.get(group_id, set()) and "admins" in row:
                admin_sets.append((group_id, admins))
                if not _changes(existing[key], values):
                    updates.append(
                        {"_id": group_id, **_row(existing[key], values), "updated_at": tx.now}
                    )
        elif key:
            group_id = uuid.uuid4()
            inserts.append(
                {"id": group_id, "slug": key, "created_at": tx.now, "updated_at": tx.now, **values}
            )
            admin_sets.append((group_id, admins))
    _finish(reader)
    if not dry:
        _bulk(
            tx,
            t,
            inserts,
            updates,
            ("name", "level", "district", "department", "platform", "updated_at"),
            progress,
        )
        for group_id, admins in admin_sets:
            tx.conn.execute(ga.delete().where(ga.c.group_id == group_id))
            if admins:
                tx.conn.execute(ga.insert(), [{"group_id": group_id, "post_id": p} for p in admins])
    return rows, len(inserts), len(updates), rows - len(inserts) - len(updates), 0


def _secret_rows(reader: _Reader, text: str) -> dict[tuple[str, str], dict[str, str]]:
    """A separate secrets file: platform, handle and any of the secret columns."""
    found: dict[tuple[str, str], dict[str, str]] = {}
    secrets_reader = _Reader(reader.name + " (secrets)", "accounts")
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


def _accounts(
    tx: Tx,
    reader: _Reader,
    text: str,
    secrets_text: str | None,
    dry: bool,
    progress: Progress | None,
) -> tuple[int, int, int, int, int]:
    """Validate and write accounts in one pass, in batches.

    Rows are written as soon as a batch of them is validated, so memory stays flat at 100,000
    rows; the first error stops the writing (validation goes on, to report every error) and the
    transaction, which rolls back on the error raised at the end, leaves nothing imported.
    """
    from vault.settings import read

    writer = _AccountWriter(tx, dry, progress)
    region = read(tx.conn, "default_region")
    official = contacts.load_official(tx.conn)
    phone = _phone(region)
    posts = {
        r.slug: r.id for r in tx.conn.execute(sa.select(schema.posts.c.slug, schema.posts.c.id))
    }
    officer_ids = {
        r.service_id: r.id
        for r in tx.conn.execute(sa.select(schema.officers.c.service_id, schema.officers.c.id))
    }
    extra = _secret_rows(reader, secrets_text) if secrets_text is not None else {}
    seen: dict[tuple[str, str], int] = {}
    value = reader.value
    rows = 0
    for number, row in reader.rows(text):
        rows += 1
        get = row.get
        platform = value(number, "platform", parse_platform, row["platform"])
        handle = row["handle"]
        key: tuple[str, str] | None = None
        if not HANDLE.match(handle):
            reader.error(number, "handle", "a handle is 1-200 characters, no spaces or ':'")
        elif platform is not None:
            key = (platform.value, handle_key(handle))
            if key in seen:
                reader.error(
                    number, "handle", f"{platform.value}:{handle} is a duplicate of row {seen[key]}"
                )
                continue
            seen[key] = number
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
            values[name] = value(number, name, phone, raw) if raw else None
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
            value(number, "verification_date", lambda v: parse_date(v, "verification_date"), raw)
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
            values["disclaimer"] = value(number, "disclaimer", _bool, get("disclaimer") or "no")
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
        if "totp" in secrets:
            seed = value(number, "totp", totp.parse, secrets["totp"])
            if seed is not None:
                secrets["totp"] = seed.to_json()
        if "recovery_codes" in secrets:
            secrets["recovery_codes"] = json.dumps(
                [c for c in secrets["recovery_codes"].replace(";", " ").split() if c]
            )
        if key is not None and not reader.errors:
            writer.add(values, secrets, key, handle, reason, official, previous)
        if progress and rows % 5000 == 0:
            progress(5000)
    for platform_name, handle_name in extra:
        reader.error(
            0,
            "handle",
            f"the secrets file names {platform_name}:{handle_name} which "
            "is not in the accounts file",
        )
    _finish(reader)
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


class _AccountWriter:
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
        self.sealers: dict[Any, Any] = {}
        self.today = tx.now.astimezone().date()
        self.inserts: list[tuple[Any, ...]] = []
        self.history: list[tuple[Any, ...]] = []
        self.updates: list[dict[str, Any]] = []
        self.new_overrides: list[dict[str, Any]] = []
        self.added = self.updated = self.secrets = 0

    def sealer(self, post_id: Any) -> Any:
        """One sealer per key: the registry's, or each post's on a shared registry."""
        scope = post_id if self.per_post else None
        if scope not in self.sealers:
            self.sealers[scope] = keys.sealer_for(self.tx, scope)
        return self.sealers[scope]

    def _seal(
        self, previous: Any, account_id: Any, post_id: Any, secrets: dict[str, str]
    ) -> dict[str, Any]:
        sealed: dict[str, Any] = {}
        for kind_name, plain in secrets.items():
            column = credentials.COLUMNS[kind_name]
            if (
                previous is not None
                and getattr(previous, column) is not None
                and previous.post_id == post_id
                and credentials.open_value(self.tx.conn, self.tx.registry, previous, kind_name)
                == plain
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
    ) -> None:
        tx = self.tx
        account_id = previous.id if previous is not None else uuid.uuid4()
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
            self.inserts.append(tuple(row.get(c) for c in ACCOUNT_INSERT))
            self.history.append(
                (
                    uuid.uuid4(),
                    account_id,
                    None,
                    values["verification"],
                    values["verification_date"] or self.today,
                    "imported",
                    tx.now,
                    tx.actor,
                )
            )
        else:
            if values["verification_date"] is None:
                values["verification_date"] = previous.verification_date
            changed = _changes(previous, values)
            if "verification" in changed:
                self.history.append(
                    (
                        uuid.uuid4(),
                        account_id,
                        previous.verification,
                        values["verification"],
                        values["verification_date"] or self.today,
                        "imported",
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
        from vault import bulk

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
