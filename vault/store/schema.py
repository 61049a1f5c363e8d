"""The registry's tables, as SQLAlchemy Core metadata.

Core tables rather than ORM classes: listing 10,000 accounts and importing 100,000 rows must not
build an object per row, and every write goes through the domain modules anyway, which seal
secrets and append to the event log in the same transaction. The Alembic migrations in
``vault/migrations`` create exactly these tables; a test compares the two.

Primary keys are UUIDs made on the client, because a sealed value's associated data names its row
before the row is inserted. Timestamps are UTC-aware on both SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(sa.TypeDecorator[dt.datetime]):
    """A timestamp that is always timezone-aware UTC in Python, whatever the database stores."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def _id() -> sa.Column[Any]:
    return sa.Column("id", sa.Uuid(), primary_key=True)


def _stamps() -> list[sa.Column[Any]]:
    return [
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    ]


settings = sa.Table(
    "settings",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text(), nullable=False),
)

official_domains = sa.Table(
    "official_domains",
    metadata,
    sa.Column("domain", sa.String(253), primary_key=True),
    sa.Column("added_at", UTCDateTime(), nullable=False),
    sa.Column("added_by", sa.String(200), nullable=False),
)

posts = sa.Table(
    "posts",
    metadata,
    _id(),
    sa.Column("slug", sa.String(100), nullable=False, unique=True),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("department", sa.String(300), nullable=True),
    sa.Column("level", sa.String(16), nullable=False),
    sa.Column("district", sa.String(100), nullable=True),
    sa.Column("email", sa.String(320), nullable=True),
    sa.Column("phone", sa.String(20), nullable=True),
    *_stamps(),
    # A post abolished by government order: out of lists and audits, kept with its history.
    sa.Column("abolished_at", UTCDateTime(), nullable=True),
    sa.Column("abolish_reason", sa.String(500), nullable=True),
    sa.CheckConstraint("level in ('state', 'hod', 'district')", name="level"),
)

officers = sa.Table(
    "officers",
    metadata,
    _id(),
    sa.Column("service_id", sa.String(100), nullable=False, unique=True),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("grade", sa.String(100), nullable=True),
    sa.Column("email", sa.String(320), nullable=True),
    sa.Column("phone", sa.String(20), nullable=True),
    *_stamps(),
    sa.Column("retired_at", UTCDateTime(), nullable=True),
    sa.Column("retire_reason", sa.String(500), nullable=True),
)

tenures = sa.Table(
    "tenures",
    metadata,
    _id(),
    sa.Column("post_id", sa.Uuid(), sa.ForeignKey("posts.id"), nullable=False),
    sa.Column("officer_id", sa.Uuid(), sa.ForeignKey("officers.id"), nullable=False),
    sa.Column("start_date", sa.Date(), nullable=False),
    sa.Column("end_date", sa.Date(), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    # Partial unique indexes: the migrations give PostgreSQL the same WHERE clause. Naming
    # postgresql_where here would import the PostgreSQL dialect on every start (0.2 s).
    sa.Index(
        "uq_tenures_open_post", "post_id", unique=True, sqlite_where=sa.text("end_date IS NULL")
    ),
    sa.Index("ix_tenures_officer_id", "officer_id"),
)

accounts = sa.Table(
    "accounts",
    metadata,
    _id(),
    sa.Column("platform", sa.String(20), nullable=False),
    sa.Column("handle", sa.String(200), nullable=False),
    sa.Column("handle_key", sa.String(200), nullable=False),
    sa.Column("url", sa.String(500), nullable=True),
    sa.Column("post_id", sa.Uuid(), sa.ForeignKey("posts.id"), nullable=True),
    sa.Column("officer_id", sa.Uuid(), sa.ForeignKey("officers.id"), nullable=True),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("disclaimer", sa.Boolean(), nullable=True),
    sa.Column("login_email", sa.String(320), nullable=True),
    sa.Column("login_phone", sa.String(20), nullable=True),
    sa.Column("recovery_email", sa.String(320), nullable=True),
    sa.Column("recovery_phone", sa.String(20), nullable=True),
    sa.Column("twofa_method", sa.String(16), nullable=False),
    sa.Column("twofa_phone", sa.String(20), nullable=True),
    sa.Column("twofa_holder", sa.String(300), nullable=True),
    sa.Column("verification", sa.String(12), nullable=False),
    sa.Column("verification_date", sa.Date(), nullable=True),
    sa.Column("password_sealed", sa.LargeBinary(), nullable=True),
    sa.Column("password_changed_at", UTCDateTime(), nullable=True),
    sa.Column("totp_sealed", sa.LargeBinary(), nullable=True),
    sa.Column("totp_changed_at", UTCDateTime(), nullable=True),
    sa.Column("recovery_codes_sealed", sa.LargeBinary(), nullable=True),
    sa.Column("recovery_codes_changed_at", UTCDateTime(), nullable=True),
    sa.Column("notes_sealed", sa.LargeBinary(), nullable=True),
    sa.Column("notes_changed_at", UTCDateTime(), nullable=True),
    sa.Column("rotation_due_at", UTCDateTime(), nullable=True),
    sa.Column("rotation_reason", sa.String(300), nullable=True),
    *_stamps(),
    # The officer whose rotation report escrowed the current credentials, when this registry no
    # longer holds them itself (see vault.records.accounts.credential_state).
    sa.Column("escrowed_by", sa.String(100), nullable=True),
    # A closed page or a deleted profile: out of lists and audits, kept with its history.
    sa.Column("archived_at", UTCDateTime(), nullable=True),
    sa.Column("archive_reason", sa.String(500), nullable=True),
    sa.UniqueConstraint("platform", "handle_key"),
    sa.Index("ix_accounts_post_id", "post_id"),
    sa.CheckConstraint("kind in ('official', 'personal')", name="kind"),
    sa.CheckConstraint(
        "verification in ('unverified', 'applied', 'verified', 'rejected', 'lapsed')",
        name="verification",
    ),
)

contact_overrides = sa.Table(
    "contact_overrides",
    metadata,
    _id(),
    sa.Column(
        "account_id", sa.Uuid(), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("field", sa.String(20), nullable=False),
    sa.Column("value", sa.String(320), nullable=False),
    sa.Column("reason", sa.String(500), nullable=False),
    sa.Column("recorded_at", UTCDateTime(), nullable=False),
    sa.Column("recorded_by", sa.String(200), nullable=False),
    sa.Index("ix_contact_overrides_account_id", "account_id"),
)

verification_history = sa.Table(
    "verification_history",
    metadata,
    _id(),
    sa.Column(
        "account_id", sa.Uuid(), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("from_status", sa.String(12), nullable=True),
    sa.Column("to_status", sa.String(12), nullable=False),
    sa.Column("on_date", sa.Date(), nullable=False),
    sa.Column("evidence", sa.String(1000), nullable=True),
    sa.Column("recorded_at", UTCDateTime(), nullable=False),
    sa.Column("recorded_by", sa.String(200), nullable=False),
    sa.Index("ix_verification_history_account_id", "account_id"),
)

groups = sa.Table(
    "groups",
    metadata,
    _id(),
    sa.Column("slug", sa.String(100), nullable=False, unique=True),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("platform", sa.String(20), nullable=False),
    sa.Column("level", sa.String(16), nullable=False),
    sa.Column("district", sa.String(100), nullable=True),
    sa.Column("department", sa.String(300), nullable=True),
    *_stamps(),
    sa.Column("archived_at", UTCDateTime(), nullable=True),
    sa.Column("archive_reason", sa.String(500), nullable=True),
    # The group's invite link, sealed (whoever has it can join), and the whatsapp: account that
    # owns the group, when it is in the registry.
    sa.Column("invite_sealed", sa.LargeBinary(), nullable=True),
    sa.Column("owner_account_id", sa.Uuid(), nullable=True),
    sa.CheckConstraint("level in ('state', 'hod', 'district')", name="level"),
)

group_admins = sa.Table(
    "group_admins",
    metadata,
    sa.Column(
        "group_id",
        sa.Uuid(),
        sa.ForeignKey("groups.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("post_id", sa.Uuid(), sa.ForeignKey("posts.id"), primary_key=True),
)

group_admin_phones = sa.Table(
    "group_admin_phones",
    metadata,
    sa.Column(
        "group_id",
        sa.Uuid(),
        sa.ForeignKey("groups.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("phone", sa.String(20), primary_key=True),
    sa.Column("added_at", UTCDateTime(), nullable=False),
)

# The handles an account had before a rename: they still find it.
account_names = sa.Table(
    "account_names",
    metadata,
    _id(),
    sa.Column(
        "account_id", sa.Uuid(), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("platform", sa.String(20), nullable=False),
    sa.Column("handle", sa.String(200), nullable=False),
    sa.Column("handle_key", sa.String(200), nullable=False),
    sa.Column("until", UTCDateTime(), nullable=False),
    sa.Column("recorded_by", sa.String(200), nullable=False),
    sa.Index("ix_account_names_platform", "platform", "handle_key"),
)

# Who holds which role on a page or channel (admin, editor, manager...): an officer in person,
# or a post. A role ends (``until``) rather than being deleted.
page_roles = sa.Table(
    "page_roles",
    metadata,
    _id(),
    sa.Column(
        "account_id", sa.Uuid(), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("officer_id", sa.Uuid(), sa.ForeignKey("officers.id"), nullable=True),
    sa.Column("post_id", sa.Uuid(), sa.ForeignKey("posts.id"), nullable=True),
    sa.Column("role", sa.String(40), nullable=False),
    sa.Column("since", sa.Date(), nullable=False),
    sa.Column("until", sa.Date(), nullable=True),
    sa.Column("recorded_at", UTCDateTime(), nullable=False),
    sa.Column("recorded_by", sa.String(200), nullable=False),
    sa.Index("ix_page_roles_account_id", "account_id"),
    sa.CheckConstraint("(officer_id IS NULL) <> (post_id IS NULL)", name="holder"),
)

data_keys = sa.Table(
    "data_keys",
    metadata,
    _id(),
    sa.Column("scope", sa.String(10), nullable=False),
    sa.Column("post_id", sa.Uuid(), sa.ForeignKey("posts.id"), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("retired_at", UTCDateTime(), nullable=True),
    sa.CheckConstraint("scope in ('registry', 'post')", name="scope"),
)

key_slots = sa.Table(
    "key_slots",
    metadata,
    _id(),
    sa.Column("key_id", sa.Uuid(), sa.ForeignKey("data_keys.id"), nullable=False),
    sa.Column("kind", sa.String(12), nullable=False),
    sa.Column("label", sa.String(100), nullable=False),
    sa.Column("params", sa.Text(), nullable=False),
    sa.Column("wrapped", sa.LargeBinary(), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Index("ix_key_slots_key_id", "key_id"),
    sa.CheckConstraint("kind in ('passphrase', 'keyring', 'recovery', 'age')", name="kind"),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("id", sa.Uuid(), nullable=False, unique=True),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("action", sa.String(60), nullable=False),
    sa.Column("object_type", sa.String(30), nullable=False),
    sa.Column("object_id", sa.String(64), nullable=True),
    sa.Column("object_ref", sa.String(300), nullable=True),
    sa.Column("details", sa.Text(), nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Index("ix_events_object_id", "object_id"),
)

identities = sa.Table(
    "identities",
    metadata,
    _id(),
    sa.Column("officer_id", sa.Uuid(), sa.ForeignKey("officers.id"), nullable=False),
    sa.Column("age_recipient", sa.String(100), nullable=False),
    sa.Column("signing_key", sa.String(200), nullable=False),
    sa.Column("fingerprint", sa.String(60), nullable=False),
    sa.Column("age_secret_sealed", sa.LargeBinary(), nullable=True),
    sa.Column("signing_secret_sealed", sa.LargeBinary(), nullable=True),
    sa.Column("source", sa.String(10), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("retired_at", UTCDateTime(), nullable=True),
    sa.Index(
        "uq_identities_current_officer",
        "officer_id",
        unique=True,
        sqlite_where=sa.text("retired_at IS NULL"),
    ),
    sa.CheckConstraint("source in ('local', 'card')", name="source"),
)

escrow_recipients = sa.Table(
    "escrow_recipients",
    metadata,
    sa.Column("recipient", sa.String(100), primary_key=True),
    sa.Column("label", sa.String(100), nullable=False),
    sa.Column("added_at", UTCDateTime(), nullable=False),
    sa.Column("added_by", sa.String(200), nullable=False),
)

custody = sa.Table(
    "custody",
    metadata,
    _id(),
    sa.Column("packet_id", sa.Uuid(), nullable=False),
    sa.Column("direction", sa.String(10), nullable=False),
    sa.Column("post_id", sa.Uuid(), sa.ForeignKey("posts.id"), nullable=False),
    sa.Column("from_officer", sa.String(100), nullable=False),
    sa.Column("to_officer", sa.String(100), nullable=False),
    sa.Column("packet_sha256", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("expires_at", UTCDateTime(), nullable=False),
    sa.Column("recorded_at", UTCDateTime(), nullable=False),
    sa.Column("claimed_at", UTCDateTime(), nullable=True),
    sa.Column("completed_at", UTCDateTime(), nullable=True),
    sa.Column("receipt_sha256", sa.String(64), nullable=True),
    # Format 2 packets: the post's handover chain, who signed in which capacity, and keys.
    sa.Column("sequence", sa.Integer(), nullable=True),
    sa.Column("previous_sha256", sa.String(64), nullable=True),
    sa.Column("capacity", sa.String(10), nullable=True),
    sa.Column("reason", sa.String(500), nullable=True),
    sa.Column("from_fingerprint", sa.String(60), nullable=True),
    sa.Column("to_fingerprint", sa.String(60), nullable=True),
    sa.Column("escrow", sa.Text(), nullable=True),
    sa.UniqueConstraint("packet_id", "direction"),
    sa.Index("ix_custody_post_id", "post_id"),
    sa.CheckConstraint(
        "direction in ('sent', 'received', 'witnessed', 'rekeyed')", name="direction"
    ),
    sa.CheckConstraint("capacity in ('holder', 'it-cell')", name="capacity"),
)

escrow_copies = sa.Table(
    "escrow_copies",
    metadata,
    _id(),
    sa.Column("post_id", sa.Uuid(), sa.ForeignKey("posts.id"), nullable=False),
    sa.Column("source", sa.String(10), nullable=False),
    sa.Column("document_sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("made_at", UTCDateTime(), nullable=False),
    sa.Column("made_by", sa.String(100), nullable=False),
    sa.Column("recorded_at", UTCDateTime(), nullable=False),
    sa.Column("ciphertext", sa.Text(), nullable=False),
    sa.Index("ix_escrow_copies_post_id", "post_id"),
    sa.CheckConstraint("source in ('packet', 'report')", name="source"),
)

reports = sa.Table(
    "reports",
    metadata,
    _id(),
    sa.Column("post_id", sa.Uuid(), sa.ForeignKey("posts.id"), nullable=False),
    sa.Column("officer", sa.String(100), nullable=False),
    sa.Column("fingerprint", sa.String(60), nullable=False),
    sa.Column("reported_at", UTCDateTime(), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("accounts", sa.Integer(), nullable=False),
    sa.Column("rotated", sa.Integer(), nullable=False),
    sa.Column("recorded_at", UTCDateTime(), nullable=False),
    sa.Index("ix_reports_post_id", "post_id"),
)

checkpoints = sa.Table(
    "checkpoints",
    metadata,
    _id(),
    sa.Column("size", sa.Integer(), nullable=False),
    sa.Column("head_hash", sa.String(64), nullable=False),
    sa.Column("signer", sa.String(100), nullable=False),
    sa.Column("fingerprint", sa.String(60), nullable=False),
    sa.Column("signature", sa.Text(), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
)

members = sa.Table(
    "members",
    metadata,
    _id(),
    sa.Column("officer_id", sa.Uuid(), sa.ForeignKey("officers.id"), nullable=False),
    sa.Column("added_at", UTCDateTime(), nullable=False),
    sa.Column("added_by", sa.String(200), nullable=False),
    sa.Column("removed_at", UTCDateTime(), nullable=True),
)

transfer_orders = sa.Table(
    "transfer_orders",
    metadata,
    _id(),
    sa.Column("order_no", sa.String(100), nullable=False),
    sa.Column("order_date", sa.Date(), nullable=False),
    sa.Column("officer_id", sa.Uuid(), sa.ForeignKey("officers.id"), nullable=False),
    sa.Column("from_post_id", sa.Uuid(), sa.ForeignKey("posts.id"), nullable=True),
    sa.Column("to_post_id", sa.Uuid(), sa.ForeignKey("posts.id"), nullable=True),
    sa.Column("effective_date", sa.Date(), nullable=False),
    sa.Column("imported_at", UTCDateTime(), nullable=False),
    sa.Column("imported_by", sa.String(200), nullable=False),
    sa.UniqueConstraint("order_no", "officer_id"),
)
