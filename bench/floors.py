"""The floors: the same work as a ``handover`` command, done with plain tools, for ``make bench``.

Each floor runs as a fresh process, like the command it is paired with, and does what that
command must do at the least: the same reads from the same registry file, the same Argon2id
unlock with the parameters stored in the registry's passphrase slot, the same AES-GCM opens with
the product's layout (``vault/crypto/seal.py``: ``version || key id || nonce || ciphertext+tag``
under length-prefixed associated data naming the table, column, row and key), the same writes in
one transaction. It validates nothing and prints plainly: whatever a command spends beyond its
floor is the price of its own code. Every opened value is decoded, so a floor that stopped
decrypting would fail rather than flatter the command.

The floors re-implement the layout instead of importing ``vault``: importing the product would
bring its import costs into the floor. ``run.py`` starts them as ``python -c "from bench.floors
import main; main()" NAME ...`` (so that this module is loaded from its compiled cache, as the
command's modules are); only ``sys`` and ``os`` are imported before a floor picks what it needs.

    show REGISTRY PLATFORM HANDLE        account show: the account, post, officer, history
    audit REGISTRY PASSFILE              audit: unlock, open every password and TOTP seed
    import REGISTRY CSV PASSFILE         import accounts: seal two secrets a row, executemany
    rotate REGISTRY PASSFILE             key rotate: open and re-seal every secret, UPDATE
    create REGISTRY POST TO OUT PASSFILE packet create: open the post's secrets, age, sign
    claim PACKET FIXTURE REGISTRY PASSFILE  packet claim: unlock + 2,000 AES-GCM opens
    help --help                          handover --help: a tiny typer app's help
    claim-fixture REGISTRY PASSFILE OUT  (set-up) the 2,000 values the claim floor opens

``account list`` has no floor here: its floors are the ``sqlite3`` shell itself (``run.py``).
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable, Iterator

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = 1
HEADER_LEN = 1 + 16 + 12
BATCH = 5000
CLAIM_OPENS = 2000
# The columns ``handover import accounts`` writes (vault/exchange/import_accounts.py).
ACCOUNT_INSERT = (
    "id", "platform", "handle", "handle_key", "url", "post_id", "officer_id", "kind",
    "disclaimer", "login_email", "login_phone", "recovery_email", "recovery_phone",
    "twofa_method", "twofa_phone", "twofa_holder", "verification", "verification_date",
    "password_sealed", "password_changed_at", "totp_sealed", "totp_changed_at",
    "recovery_codes_sealed", "recovery_codes_changed_at", "notes_sealed", "notes_changed_at",
    "created_at", "updated_at",
)  # fmt: skip
SECRET_COLUMNS = ("password_sealed", "totp_sealed")


def _lp(part: bytes) -> bytes:
    return len(part).to_bytes(2, "big") + part


class Key:
    """A data key and the associated data of its seals, with the per-column parts made once."""

    def __init__(self, key_id: bytes, secret: bytes) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self.id = key_id
        self.aead: AESGCM = AESGCM(secret)
        self.header = bytes([VERSION]) + key_id
        self.suffix = _lp(key_id)
        self.nonces = b""
        self.next = 0

    def prefix(self, table: str, column: str) -> bytes:
        """The associated data before the row id: format, version, table, column, id length."""
        parts = (b"handover-seal", bytes([VERSION]), table.encode(), column.encode())
        return b"".join(_lp(p) for p in parts) + (16).to_bytes(2, "big")

    def open(self, prefix: bytes, row_id: bytes, blob: bytes) -> bytes:
        if blob[0] != VERSION or blob[1:17] != self.id:
            raise SystemExit("floor: a value sealed under another key")
        return self.aead.decrypt(
            blob[17:HEADER_LEN], blob[HEADER_LEN:], prefix + row_id + self.suffix
        )

    def seal(self, prefix: bytes, row_id: bytes, plaintext: bytes) -> bytes:
        """A fresh random nonce each time, drawn from the OS a thousand at a time."""
        if self.next >= len(self.nonces):
            self.nonces, self.next = os.urandom(12 * 1024), 0
        nonce = self.nonces[self.next : self.next + 12]
        self.next += 12
        return (
            self.header + nonce + self.aead.encrypt(nonce, plaintext, prefix + row_id + self.suffix)
        )


def read_passphrase(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read().removesuffix("\n").removesuffix("\r")


def unlock(conn: sqlite3.Connection, passphrase: str) -> tuple[Key, bytes, bytes]:
    """The registry's current data key, opened from its passphrase slot as the product does:
    Argon2id with the slot's stored parameters, then AES-GCM under the slot's associated data.
    Returns the key, the slot id and the key-encryption key (a rotation re-wraps with it)."""
    import json
    import unicodedata

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

    slot_id, key_id, params, wrapped = conn.execute(
        "SELECT s.id, s.key_id, s.params, s.wrapped FROM key_slots s "
        "JOIN data_keys d ON d.id = s.key_id "
        "WHERE d.scope = 'registry' AND d.retired_at IS NULL AND s.kind = 'passphrase'"
    ).fetchone()
    p = json.loads(params)
    import base64

    kek = Argon2id(
        salt=base64.b64decode(p["salt"]),
        length=32,
        iterations=p["iterations"],
        lanes=p["lanes"],
        memory_cost=p["memory_kib"],
    ).derive(unicodedata.normalize("NFC", passphrase).encode())
    slot, key = bytes.fromhex(slot_id), bytes.fromhex(key_id)
    ad = b"handover-slot\x01" + slot + key + b"passphrase"
    secret = AESGCM(kek).decrypt(wrapped[:12], wrapped[12:], ad)
    return Key(key, secret), slot, kek


def connect(path: str) -> sqlite3.Connection:
    """A connection as the product makes one to write: autocommit off (explicit BEGIN), foreign
    keys checked, a 16 MiB page cache (the product's setting, vault/store/storage.py): the same
    SQLite work on both sides, and a floor's memory that a larger cache would not inflate."""
    import sqlite3

    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA cache_size=-16384")
    return conn


def _check_plain(values: Iterator[bytes]) -> int:
    """Decode every opened value; a floor that opened garbage would fail here."""
    count = 0
    for value in values:
        if not value.decode("utf-8"):
            raise SystemExit("floor: an empty secret")
        count += 1
    return count


def show(registry: str, platform: str, handle: str) -> None:
    """``account show``: the account with its post and officer, its verification history, its
    accepted overrides, former handles and page roles; printed as fields and a small table."""
    import sqlite3

    conn = sqlite3.connect(f"file:{registry}?mode=ro", uri=True)
    cursor = conn.execute(
        "SELECT a.*, p.slug AS post, p.title AS post_title, o.service_id AS officer_key, "
        "o.name AS officer_name FROM accounts a "
        "LEFT JOIN posts p ON p.id = a.post_id LEFT JOIN officers o ON o.id = a.officer_id "
        "WHERE a.platform = ? AND a.handle_key = ?",
        (platform, handle.strip().lstrip("@").lower()),
    )
    names = [d[0] for d in cursor.description]
    row = cursor.fetchone()
    if row is None:
        raise SystemExit(f"floor: no account {platform}:{handle}")
    account = dict(zip(names, row, strict=True))
    width = max(len(n) for n in names)
    for name, value in account.items():
        if not name.endswith("_sealed"):
            print(f"{name:<{width}}  {'' if value is None else value}")
    for title, sql in (
        (
            "Verification history",
            "SELECT on_date, from_status, to_status, evidence, recorded_by "
            "FROM verification_history WHERE account_id = ? ORDER BY on_date, recorded_at",
        ),
        (
            "Overrides",
            "SELECT field, value, reason, recorded_by FROM contact_overrides "
            "WHERE account_id = ? ORDER BY recorded_at",
        ),
        ("Former handles", "SELECT handle FROM account_names WHERE account_id = ? ORDER BY until"),
        (
            "Page roles",
            "SELECT role, officer_id, post_id, since, until FROM page_roles "
            "WHERE account_id = ? ORDER BY since",
        ),
    ):
        rows = conn.execute(sql, (account["id"],)).fetchall()
        if rows:
            print(f"\n{title}:")
            for r in rows:
                print("  ".join("" if v is None else str(v) for v in r))


def audit(registry: str, passfile: str) -> None:
    """``audit --format json``: open every password and TOTP seed of the accounts in the audit
    (not archived), decode them, and write a JSON of counts."""
    import json
    import sqlite3

    conn = sqlite3.connect(f"file:{registry}?mode=ro", uri=True)
    key, _, _ = unlock(conn, read_passphrase(passfile))
    prefixes = [key.prefix("accounts", c) for c in SECRET_COLUMNS]
    opened = accounts = 0

    def plain() -> Iterator[bytes]:
        nonlocal accounts
        cursor = conn.execute(
            "SELECT id, password_sealed, totp_sealed FROM accounts WHERE archived_at IS NULL"
        )
        while batch := cursor.fetchmany(2000):
            for row_id, *blobs in batch:
                accounts += 1
                rid = bytes.fromhex(row_id)
                for prefix, blob in zip(prefixes, blobs, strict=True):
                    if blob is not None:
                        yield key.open(prefix, rid, blob)

    opened = _check_plain(plain())
    json.dump({"accounts": accounts, "secrets_opened": opened}, sys.stdout)
    print()


def import_accounts(registry: str, csv_path: str, passfile: str) -> None:
    """``import accounts``: read the CSV, seal each row's password and TOTP seed, insert the rows
    into the registry's ``accounts`` table (its indexes and foreign keys in place) in batches of
    5,000, in one transaction. The command also validates every cell and writes each account's
    first verification-history row; the floor does neither."""
    import csv
    import datetime as dt
    import uuid

    conn = connect(registry)
    key, _, _ = unlock(conn, read_passphrase(passfile))
    posts = dict(conn.execute("SELECT slug, id FROM posts"))
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    password, totp = (key.prefix("accounts", c) for c in SECRET_COLUMNS)
    statement = (
        f"INSERT INTO accounts ({', '.join(ACCOUNT_INSERT)}) "
        f"VALUES ({', '.join('?' for _ in ACCOUNT_INSERT)})"
    )
    conn.execute("BEGIN IMMEDIATE")
    batch: list[tuple[object, ...]] = []
    with open(csv_path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            rid = uuid.uuid4()
            handle = row["handle"]
            batch.append(
                (
                    rid.hex, row["platform"], handle, handle.strip().lstrip("@").lower(), None,
                    posts[row["post"]], None, "official", None, row["login_email"] or None,
                    row["login_phone"] or None, None, None, row["twofa"], None, None,
                    row["verification"], row["verification_date"] or None,
                    key.seal(password, rid.bytes, row["password"].encode()), now,
                    key.seal(totp, rid.bytes, row["totp"].encode()), now,
                    None, None, None, None, now, now,
                )
            )  # fmt: skip
            if len(batch) == BATCH:
                conn.executemany(statement, batch)
                batch = []
    if batch:
        conn.executemany(statement, batch)
    conn.execute("COMMIT")
    print(f"imported {conn.execute('SELECT count(*) FROM accounts').fetchone()[0]} accounts")


def rotate(registry: str, passfile: str) -> None:
    """``key rotate``: a new data key; every password and TOTP seed opened and sealed again under
    it, written back with one UPDATE executemany; the old key retired and the passphrase slot
    re-wrapped; all in one transaction."""
    import datetime as dt
    import uuid

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    conn = connect(registry)
    old, slot, kek = unlock(conn, read_passphrase(passfile))
    secret = os.urandom(32)
    new = Key(uuid.uuid4().bytes, secret)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    conn.execute("BEGIN IMMEDIATE")
    rows = conn.execute(
        "SELECT id, password_sealed, totp_sealed FROM accounts "
        "WHERE password_sealed IS NOT NULL OR totp_sealed IS NOT NULL"
    ).fetchall()
    old_prefixes = [old.prefix("accounts", c) for c in SECRET_COLUMNS]
    new_prefixes = [new.prefix("accounts", c) for c in SECRET_COLUMNS]
    updates = []
    opened = 0
    for row_id, *blobs in rows:
        rid = bytes.fromhex(row_id)
        values: list[bytes | str | None] = []
        for old_prefix, new_prefix, blob in zip(old_prefixes, new_prefixes, blobs, strict=True):
            if blob is None:
                values.append(None)
                continue
            plain = old.open(old_prefix, rid, blob)
            opened += _check_plain(iter((plain,)))
            values.append(new.seal(new_prefix, rid, plain))
        values.append(row_id)
        updates.append(tuple(values))
    conn.executemany(
        "UPDATE accounts SET password_sealed = ?, totp_sealed = ? WHERE id = ?", updates
    )
    conn.execute(
        "INSERT INTO data_keys (id, scope, post_id, created_at, retired_at) "
        "VALUES (?, 'registry', NULL, ?, NULL)",
        (new.id.hex(), now),
    )
    conn.execute("UPDATE data_keys SET retired_at = ? WHERE id = ?", (now, old.id.hex()))
    nonce = os.urandom(12)
    wrapped = nonce + AESGCM(kek).encrypt(
        nonce, secret, b"handover-slot\x01" + slot + new.id + b"passphrase"
    )
    conn.execute(
        "UPDATE key_slots SET key_id = ?, wrapped = ? WHERE id = ?",
        (new.id.hex(), wrapped, slot.hex()),
    )
    conn.execute("COMMIT")
    print(f"re-sealed {opened} secrets")


def create(registry: str, post: str, to: str, out: str, passfile: str) -> None:
    """``packet create``: what a packet holds, read, opened and sealed for its recipients.

    The post and its holders, its official accounts with their history, overrides and page
    roles, and their passwords and TOTP seeds opened; all of it as JSON, encrypted with age to
    the incoming officer and the escrow recipients; signed (Ed25519, SHA-512 of the header and
    ciphertext) with the holder's signing key, opened from the registry; written to ``out``.
    The command also checks the signer's authority, canonicalises the JSON and records the
    packet and a log entry in the registry; the floor writes only the file.
    """
    import hashlib
    import json
    import sqlite3

    import pyrage
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    conn = sqlite3.connect(f"file:{registry}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    key, _, _ = unlock(conn, read_passphrase(passfile))
    post_row = conn.execute("SELECT * FROM posts WHERE slug = ?", (post,)).fetchone()
    tenures = conn.execute(
        "SELECT o.service_id, t.start_date, t.end_date, t.officer_id FROM tenures t "
        "JOIN officers o ON o.id = t.officer_id WHERE t.post_id = ? ORDER BY t.start_date",
        (post_row["id"],),
    ).fetchall()
    prefixes = [key.prefix("accounts", c) for c in SECRET_COLUMNS]
    accounts = []
    for row in conn.execute(
        "SELECT * FROM accounts WHERE post_id = ? AND kind = 'official' "
        "ORDER BY platform, handle_key",
        (post_row["id"],),
    ).fetchall():
        facts = {k: row[k] for k in row.keys() if not k.endswith("_sealed")}  # noqa: SIM118
        rid = bytes.fromhex(row["id"])
        for name, sql in (
            ("history", "SELECT * FROM verification_history WHERE account_id = ? ORDER BY on_date"),
            ("overrides", "SELECT * FROM contact_overrides WHERE account_id = ?"),
            ("roles", "SELECT * FROM page_roles WHERE account_id = ?"),
        ):
            facts[name] = [dict(r) for r in conn.execute(sql, (row["id"],))]
        facts["secrets"] = {
            column: key.open(prefix, rid, row[column]).decode()
            for column, prefix in zip(SECRET_COLUMNS, prefixes, strict=True)
            if row[column] is not None
        }
        accounts.append(facts)
    holder = tenures[-1]
    signer = conn.execute(
        "SELECT id, signing_secret_sealed FROM identities "
        "WHERE officer_id = ? AND retired_at IS NULL",
        (holder["officer_id"],),
    ).fetchone()
    pem = key.open(
        key.prefix("identities", "signing_secret_sealed"),
        bytes.fromhex(signer["id"]),
        signer["signing_secret_sealed"],
    )
    recipients = [
        r[0]
        for r in conn.execute(
            "SELECT i.age_recipient FROM identities i JOIN officers o ON o.id = i.officer_id "
            "WHERE o.service_id = ? AND i.retired_at IS NULL",
            (to,),
        )
    ] + [r[0] for r in conn.execute("SELECT recipient FROM escrow_recipients")]
    document = {
        "post": {k: post_row[k] for k in post_row.keys()},  # noqa: SIM118
        "tenures": [dict(t) for t in tenures],
        "accounts": accounts,
    }
    plaintext = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    ciphertext = pyrage.encrypt(
        plaintext, [pyrage.x25519.Recipient.from_str(r) for r in recipients], armored=True
    )
    header = json.dumps({"post": post, "to": to, "from": holder["service_id"]}).encode()
    signing = serialization.load_ssh_private_key(pem, password=None)
    if not isinstance(signing, Ed25519PrivateKey):
        raise SystemExit("floor: the signing key is not Ed25519")
    signature = signing.sign(hashlib.sha512(header + ciphertext).digest())
    with open(out, "wb") as f:
        f.write(header + b"\n" + ciphertext + signature.hex().encode() + b"\n")
    print(f"wrote {len(accounts)} accounts")


def claim(packet: str, fixture: str, registry: str, passfile: str) -> None:
    """``packet claim``, as issue 16 sets its floor: read the packet, unlock the receiving
    registry with its stored Argon2id parameters, and open 2,000 AES-GCM values sealed under its
    key with the product's layout (written by ``write_claim_fixture``). The command also checks
    the signature, decrypts the packet with age and writes the post's accounts; the floor does
    none of these."""
    import hashlib
    import sqlite3

    with open(packet, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    conn = sqlite3.connect(f"file:{registry}?mode=ro", uri=True)
    key, _, _ = unlock(conn, read_passphrase(passfile))
    prefixes = [key.prefix("accounts", c) for c in SECRET_COLUMNS]
    with open(fixture, "rb") as f:
        data = f.read()

    def plain() -> Iterator[bytes]:
        at = 0
        while at < len(data):
            rid, column, size = (
                data[at : at + 16],
                data[at + 16],
                int.from_bytes(data[at + 17 : at + 19]),
            )
            at += 19
            yield key.open(prefixes[column], rid, data[at : at + size])
            at += size

    print(f"packet {digest}: {_check_plain(plain())} values opened")


def write_claim_fixture(registry: str, passfile: str, path: str) -> None:
    """The values the claim floor opens: 2,000 seals under the registry's key, each stored as
    row id (16 bytes), column (0 password, 1 TOTP seed), length (2 bytes), sealed value."""
    import sqlite3
    import uuid

    conn = sqlite3.connect(f"file:{registry}?mode=ro", uri=True)
    key, _, _ = unlock(conn, read_passphrase(passfile))
    prefixes = [key.prefix("accounts", c) for c in SECRET_COLUMNS]
    parts = []
    for i in range(CLAIM_OPENS):
        rid, column = uuid.uuid4().bytes, i % 2
        blob = key.seal(prefixes[column], rid, f"secret-{i:05d}-for-the-claim-floor".encode())
        parts.append(rid + bytes([column]) + len(blob).to_bytes(2) + blob)
    with open(path, "wb") as f:
        f.write(b"".join(parts))


def typer_help(*args: str) -> None:
    """``handover --help``: a tiny typer app, set up as the product sets up its own (no rich
    markup, no pretty exceptions, ``-h`` and ``--help``), with one option and one command."""
    import typer

    app = typer.Typer(
        name="handover",
        help="A tiny typer app: the floor of handover's start-up.",
        no_args_is_help=True,
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    @app.callback()
    def root(
        # The default form: this module's annotations are strings, read in its globals.
        registry: str | None = typer.Option(None, "--registry", help="Registry file."),
    ) -> None:
        """The registry is a SQLite file unless --registry names another."""

    @app.command()
    def init() -> None:
        """Create a new registry."""

    app(args=list(args), prog_name="handover")


FLOORS: dict[str, Callable[..., None]] = {
    "show": show,
    "audit": audit,
    "import": import_accounts,
    "rotate": rotate,
    "create": create,
    "claim": claim,
    "help": typer_help,
    "claim-fixture": write_claim_fixture,
}


def main() -> None:
    name, *args = sys.argv[1:]
    FLOORS[name](*args)
