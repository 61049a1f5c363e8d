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
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from vault import contacts, schema
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
    seen: dict[str, int] = {}
    inserts, updates = [], []
    rows = 0
    for number, row in reader.rows(text):
        rows += 1
        key = reader.value(number, "slug", lambda v: slug(v, "post"), row["slug"])
        if key in seen:
            reader.error(number, "slug", f"duplicate of row {seen[key]}")
            continue
        if key:
            seen[key] = number
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
    chunk = 5000
    for start in range(0, len(inserts), chunk):
        tx.conn.execute(table.insert(), inserts[start : start + chunk])
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
    from vault import officers
    from vault.settings import read

    region = read(tx.conn, "default_region")
    official = contacts.load_official(tx.conn)
    t = schema.officers
    existing = {r.service_id: r for r in tx.conn.execute(sa.select(t))}
    post_ids = {r.slug: r for r in tx.conn.execute(sa.select(schema.posts))}
    seen: dict[str, int] = {}
    inserts, updates, assignments = [], [], []
    rows = 0
    for number, row in reader.rows(text):
        rows += 1
        key = reader.value(number, "service_id", lambda v: slug(v, "officer id"), row["service_id"])
        if key in seen:
            reader.error(number, "service_id", f"duplicate of row {seen[key]}")
            continue
        if key:
            seen[key] = number
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
            post = post_ids.get(row["post"].strip().lower())
            if post is None:
                reader.error(number, "post", f"no post {row['post']!r} in the registry")
            start = reader.value(
                number,
                "from",
                lambda v: parse_date(v, "from"),
                row.get("from") or tx.now.date().isoformat(),
            )
            if post is not None and start is not None and key:
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
        held = _open_tenures(tx)
        for key, post, start in assignments:
            if held.get(post.id) != key:
                officers.assign_in(tx, officers.row_by_service_id(tx.conn, key), post, start)
    return rows, len(inserts), len(updates), rows - len(inserts) - len(updates), 0


def _open_tenures(tx: Tx) -> dict[Any, str]:
    t, o = schema.tenures, schema.officers
    return {
        r.post_id: r.service_id
        for r in tx.conn.execute(
            sa.select(t.c.post_id, o.c.service_id)
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
    seen: dict[str, int] = {}
    inserts, updates, admin_sets = [], [], []
    rows = 0
    for number, row in reader.rows(text):
        rows += 1
        key = reader.value(number, "slug", lambda v: slug(v, "group"), row["slug"])
        if key in seen:
            reader.error(number, "slug", f"duplicate of row {seen[key]}")
            continue
        if key:
            seen[key] = number
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


ACCOUNT_FIELDS = (
    "url",
    "post_id",
    "officer_id",
    "kind",
    "disclaimer",
    "login_email",
    "login_phone",
    "recovery_email",
    "recovery_phone",
    "twofa_method",
    "twofa_phone",
    "twofa_holder",
    "verification",
    "verification_date",
)


def _accounts(
    tx: Tx,
    reader: _Reader,
    text: str,
    secrets_text: str | None,
    dry: bool,
    progress: Progress | None,
) -> tuple[int, int, int, int, int]:
    from vault import credentials, totp
    from vault.settings import read

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
    a = schema.accounts
    existing = {(r.platform, r.handle_key): r for r in tx.conn.execute(sa.select(a))}
    overrides = {
        (r.account_id, r.field, r.value)
        for r in tx.conn.execute(sa.select(schema.contact_overrides))
    }
    extra = _secret_rows(reader, secrets_text) if secrets_text is not None else {}
    seen: dict[tuple[str, str], int] = {}
    records: list[tuple[int, dict[str, Any], dict[str, str], str, str | None, str | None]] = []
    rows = 0
    for number, row in reader.rows(text):
        rows += 1
        platform = reader.value(number, "platform", parse_platform, row["platform"])
        handle = row["handle"]
        key: tuple[str, str] | None = None
        if not handle or any(c.isspace() for c in handle) or ":" in handle or len(handle) > 200:
            reader.error(number, "handle", "a handle is 1-200 characters, no spaces or ':'")
        elif platform is not None:
            key = (platform.value, handle_key(handle))
            if key in seen:
                reader.error(
                    number, "handle", f"{platform.value}:{handle} is a duplicate of row {seen[key]}"
                )
                continue
            seen[key] = number
        kind = reader.value(number, "kind", parse_kind, row.get("kind") or "official")
        values: dict[str, Any] = {
            "url": row.get("url") or None,
            "post_id": None,
            "officer_id": None,
            "kind": kind.value if kind else None,
            "disclaimer": None,
            "login_email": reader.value(number, "login_email", _email, row.get("login_email", "")),
            "login_phone": reader.value(number, "login_phone", phone, row.get("login_phone", "")),
            "recovery_email": reader.value(
                number, "recovery_email", _email, row.get("recovery_email", "")
            ),
            "recovery_phone": reader.value(
                number, "recovery_phone", phone, row.get("recovery_phone", "")
            ),
            "twofa_phone": reader.value(number, "twofa_phone", phone, row.get("twofa_phone", "")),
            "twofa_holder": row.get("twofa_holder") or None,
        }
        twofa = reader.value(
            number,
            "twofa",
            parse_twofa,
            row.get("twofa")
            or ("sms" if values["twofa_phone"] else "totp" if row.get("totp") else "unknown"),
        )
        values["twofa_method"] = twofa.value if twofa else None
        status = reader.value(
            number, "verification", parse_status, row.get("verification") or "unverified"
        )
        values["verification"] = status.value if status else None
        values["verification_date"] = reader.value(
            number,
            "verification_date",
            lambda v: parse_date(v, "verification_date") if v else None,
            row.get("verification_date", ""),
        )
        if row.get("post"):
            values["post_id"] = posts.get(row["post"].strip().lower())
            if values["post_id"] is None:
                reader.error(number, "post", f"no post {row['post']!r} in the registry")
        if row.get("officer"):
            values["officer_id"] = officer_ids.get(row["officer"].strip().lower())
            if values["officer_id"] is None:
                reader.error(number, "officer", f"no officer {row['officer']!r} in the registry")
        if kind is AccountKind.PERSONAL:
            values["disclaimer"] = reader.value(
                number, "disclaimer", _bool, row.get("disclaimer") or "no"
            )
            if not row.get("officer"):
                reader.error(number, "officer", "a personal account needs its officer")
        elif row.get("disclaimer"):
            reader.error(number, "disclaimer", "the disclaimer is for personal accounts")
        reason = row.get("allow_personal") or None
        previous = existing.get(key) if key else None
        if kind is AccountKind.OFFICIAL:
            for f in ContactField:
                value = values[f.value]
                if (
                    value
                    and not official.is_official(value)
                    and not reason
                    and not (previous is not None and (previous.id, f.value, value) in overrides)
                ):
                    reader.error(
                        number,
                        f.value,
                        f"{official.why_not(value)}; official accounts "
                        "must use the post's official contacts (or give a reason in "
                        "allow_personal)",
                    )
        secrets = {k: row[k] for k in SECRET_COLUMNS if row.get(k)}
        if key is not None:
            secrets.update(extra.pop(key, {}))
        if "totp" in secrets:
            seed = reader.value(number, "totp", totp.parse, secrets["totp"])
            if seed is not None:
                secrets["totp"] = seed.to_json()
        if "recovery_codes" in secrets:
            secrets["recovery_codes"] = json.dumps(
                [c for c in secrets["recovery_codes"].replace(";", " ").split() if c]
            )
        if key is not None:
            records.append((number, values, secrets, key[0], handle, reason))
        if progress and rows % 5000 == 0:
            progress(5000)
    for (platform_name, _), _extra in extra.items():
        reader.error(
            0,
            "handle",
            f"the secrets file names {platform_name}:{_} which is not in the accounts file",
        )
    _finish(reader)
    if progress:
        progress(rows % 5000)
    return _write_accounts(tx, records, existing, overrides, official, dry, progress, credentials)


def _write_accounts(
    tx: Tx,
    records: list[tuple[int, dict[str, Any], dict[str, str], str, str | None, str | None]],
    existing: dict[tuple[str, str], Any],
    overrides: set[tuple[Any, str, str]],
    official: contacts.OfficialContacts,
    dry: bool,
    progress: Progress | None,
    credentials: Any,
) -> tuple[int, int, int, int, int]:
    from vault import keys

    a = schema.accounts
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    new_overrides: list[dict[str, Any]] = []
    sealers: dict[Any, Any] = {}
    secret_count = 0
    today = tx.now.astimezone().date()

    def sealer(post_id: Any) -> Any:
        if post_id not in sealers:
            sealers[post_id] = keys.sealer_for(tx, post_id)
        return sealers[post_id]

    for _number, values, secrets, platform, handle, reason in records:
        key = (platform, handle_key(str(handle)))
        previous = existing.get(key)
        account_id = previous.id if previous is not None else uuid.uuid4()
        sealed: dict[str, Any] = {}
        for kind_name, plain in secrets.items():
            column = credentials.COLUMNS[kind_name]
            old = getattr(previous, column) if previous is not None else None
            if (
                old is not None
                and previous is not None
                and previous.post_id == values["post_id"]
                and credentials.open_value(tx.conn, tx.registry, previous, kind_name) == plain
            ):
                continue
            sealed[column] = (
                None
                if dry
                else sealer(values["post_id"]).seal("accounts", column, account_id, plain.encode())
            )
            sealed[f"{kind_name}_changed_at"] = tx.now
            secret_count += 1
        if reason and values["kind"] == AccountKind.OFFICIAL.value:
            for f in ContactField:
                value = values[f.value]
                if (
                    value
                    and not official.is_official(value)
                    and (account_id, f.value, value) not in overrides
                ):
                    new_overrides.append(
                        {
                            "id": uuid.uuid4(),
                            "account_id": account_id,
                            "field": f.value,
                            "value": value,
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
                values["verification_date"] = today
            inserts.append(
                {
                    "id": account_id,
                    "platform": platform,
                    "handle": handle,
                    "handle_key": key[1],
                    "created_at": tx.now,
                    "updated_at": tx.now,
                    "password_sealed": None,
                    "password_changed_at": None,
                    "totp_sealed": None,
                    "totp_changed_at": None,
                    "recovery_codes_sealed": None,
                    "recovery_codes_changed_at": None,
                    "notes_sealed": None,
                    "notes_changed_at": None,
                    "rotation_due_at": None,
                    "rotation_reason": None,
                    **values,
                    **sealed,
                }
            )
            history.append(
                {
                    "id": uuid.uuid4(),
                    "account_id": account_id,
                    "from_status": None,
                    "to_status": values["verification"],
                    "on_date": values["verification_date"] or today,
                    "evidence": "imported",
                    "recorded_at": tx.now,
                    "recorded_by": tx.actor,
                }
            )
            continue
        if values["verification_date"] is None:
            values["verification_date"] = previous.verification_date
        changed = _changes(previous, values)
        if "verification" in changed:
            history.append(
                {
                    "id": uuid.uuid4(),
                    "account_id": account_id,
                    "from_status": previous.verification,
                    "to_status": values["verification"],
                    "on_date": values["verification_date"] or today,
                    "evidence": "imported",
                    "recorded_at": tx.now,
                    "recorded_by": tx.actor,
                }
            )
        if changed or sealed:
            updates.append(
                {
                    "_id": account_id,
                    **{f: getattr(previous, f) for f in _UPDATED},
                    **values,
                    **sealed,
                    "updated_at": tx.now,
                }
            )
    unchanged = len(records) - len(inserts) - len(updates)
    if not dry:
        _bulk(tx, a, inserts, updates, (*_UPDATED, "updated_at"), progress)
        if history:
            tx.conn.execute(schema.verification_history.insert(), history)
        if new_overrides:
            tx.conn.execute(schema.contact_overrides.insert(), new_overrides)
    return len(records), len(inserts), len(updates), unchanged, secret_count


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
