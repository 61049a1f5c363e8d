"""foundation: posts, officers, tenures, accounts, verification, groups, keys, event log

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

FORWARD_ONLY = "handover migrates forward only; restore the backup taken before the upgrade"

# The event log is append-only at the database level too: a change to it must go through the
# tampering that 'handover log verify' exists to catch.
SQLITE_TRIGGERS = [
    """CREATE TRIGGER events_no_update BEFORE UPDATE ON events
       BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END""",
    """CREATE TRIGGER events_no_delete BEFORE DELETE ON events
       BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END""",
]
POSTGRES_TRIGGERS = [
    """CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'the event log is append-only'; END $$""",
    """CREATE TRIGGER events_no_update BEFORE UPDATE OR DELETE ON events
       FOR EACH ROW EXECUTE FUNCTION events_append_only()""",
    """CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
       FOR EACH STATEMENT EXECUTE FUNCTION events_append_only()""",
    "REVOKE UPDATE, DELETE, TRUNCATE ON events FROM PUBLIC",
]


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("object_type", sa.String(length=30), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=True),
        sa.Column("object_ref", sa.String(length=300), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_events")),
        sa.UniqueConstraint("id", name=op.f("uq_events_id")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_object_id", ["object_id"], unique=False)
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_TRIGGERS if dialect == "sqlite" else POSTGRES_TRIGGERS:
        op.execute(statement)

    op.create_table(
        "groups",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("district", sa.String(length=100), nullable=True),
        sa.Column("department", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("level in ('state', 'hod', 'district')", name=op.f("ck_groups_level")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_groups")),
        sa.UniqueConstraint("slug", name=op.f("uq_groups_slug")),
    )
    op.create_table(
        "officers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("grade", sa.String(length=100), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_officers")),
        sa.UniqueConstraint("service_id", name=op.f("uq_officers_service_id")),
    )
    op.create_table(
        "official_domains",
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("domain", name=op.f("pk_official_domains")),
    )
    op.create_table(
        "posts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("department", sa.String(length=300), nullable=True),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("district", sa.String(length=100), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("level in ('state', 'hod', 'district')", name=op.f("ck_posts_level")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_posts")),
        sa.UniqueConstraint("slug", name=op.f("uq_posts_slug")),
    )
    op.create_table(
        "settings",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_settings")),
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("handle", sa.String(length=200), nullable=False),
        sa.Column("handle_key", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("post_id", sa.Uuid(), nullable=True),
        sa.Column("officer_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("disclaimer", sa.Boolean(), nullable=True),
        sa.Column("login_email", sa.String(length=320), nullable=True),
        sa.Column("login_phone", sa.String(length=20), nullable=True),
        sa.Column("recovery_email", sa.String(length=320), nullable=True),
        sa.Column("recovery_phone", sa.String(length=20), nullable=True),
        sa.Column("twofa_method", sa.String(length=16), nullable=False),
        sa.Column("twofa_phone", sa.String(length=20), nullable=True),
        sa.Column("twofa_holder", sa.String(length=300), nullable=True),
        sa.Column("verification", sa.String(length=12), nullable=False),
        sa.Column("verification_date", sa.Date(), nullable=True),
        sa.Column("password_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("totp_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("totp_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recovery_codes_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("recovery_codes_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notes_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("notes_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rotation_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rotation_reason", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind in ('official', 'personal')", name=op.f("ck_accounts_kind")),
        sa.CheckConstraint(
            "verification in ('unverified', 'applied', 'verified', 'rejected', 'lapsed')",
            name=op.f("ck_accounts_verification"),
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officers.id"], name=op.f("fk_accounts_officer_id_officers")
        ),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], name=op.f("fk_accounts_post_id_posts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("platform", "handle_key", name=op.f("uq_accounts_platform_handle_key")),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index("ix_accounts_post_id", ["post_id"], unique=False)

    op.create_table(
        "data_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("post_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("scope in ('registry', 'post')", name=op.f("ck_data_keys_scope")),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], name=op.f("fk_data_keys_post_id_posts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_keys")),
    )
    op.create_table(
        "group_admins",
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.Column("post_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_group_admins_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_group_admins_post_id_posts")
        ),
        sa.PrimaryKeyConstraint("group_id", "post_id", name=op.f("pk_group_admins")),
    )
    op.create_table(
        "tenures",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("post_id", sa.Uuid(), nullable=False),
        sa.Column("officer_id", sa.Uuid(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officers.id"], name=op.f("fk_tenures_officer_id_officers")
        ),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], name=op.f("fk_tenures_post_id_posts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenures")),
    )
    with op.batch_alter_table("tenures", schema=None) as batch_op:
        batch_op.create_index("ix_tenures_officer_id", ["officer_id"], unique=False)
        batch_op.create_index(
            "uq_tenures_open_post",
            ["post_id"],
            unique=True,
            sqlite_where=sa.text("end_date IS NULL"),
            postgresql_where=sa.text("end_date IS NULL"),
        )

    op.create_table(
        "contact_overrides",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("field", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=320), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_contact_overrides_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_overrides")),
    )
    with op.batch_alter_table("contact_overrides", schema=None) as batch_op:
        batch_op.create_index("ix_contact_overrides_account_id", ["account_id"], unique=False)

    op.create_table(
        "key_slots",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("wrapped", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind in ('passphrase', 'keyring', 'recovery', 'age')", name=op.f("ck_key_slots_kind")
        ),
        sa.ForeignKeyConstraint(
            ["key_id"], ["data_keys.id"], name=op.f("fk_key_slots_key_id_data_keys")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_slots")),
    )
    with op.batch_alter_table("key_slots", schema=None) as batch_op:
        batch_op.create_index("ix_key_slots_key_id", ["key_id"], unique=False)

    op.create_table(
        "verification_history",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("from_status", sa.String(length=12), nullable=True),
        sa.Column("to_status", sa.String(length=12), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("evidence", sa.String(length=1000), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_verification_history_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_history")),
    )
    with op.batch_alter_table("verification_history", schema=None) as batch_op:
        batch_op.create_index("ix_verification_history_account_id", ["account_id"], unique=False)


def downgrade() -> None:
    raise NotImplementedError(FORWARD_ONLY)
