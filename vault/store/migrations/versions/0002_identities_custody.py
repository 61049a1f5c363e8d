"""identities, escrow recipients, custody of packets, log checkpoints

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


# Checkpoints are evidence about the log; like the log, they are only ever added.
SQLITE_TRIGGERS = [
    """CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
       BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END""",
    """CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
       BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END""",
]
POSTGRES_TRIGGERS = [
    """CREATE TRIGGER checkpoints_no_update BEFORE UPDATE OR DELETE ON checkpoints
       FOR EACH ROW EXECUTE FUNCTION events_append_only()""",
    "REVOKE UPDATE, DELETE, TRUNCATE ON checkpoints FROM PUBLIC",
]


def upgrade() -> None:
    op.create_table(
        "checkpoints",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("signer", sa.String(length=100), nullable=False),
        sa.Column("fingerprint", sa.String(length=60), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkpoints")),
    )
    op.create_table(
        "escrow_recipients",
        sa.Column("recipient", sa.String(length=100), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("recipient", name=op.f("pk_escrow_recipients")),
    )
    op.create_table(
        "custody",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("packet_id", sa.Uuid(), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("post_id", sa.Uuid(), nullable=False),
        sa.Column("from_officer", sa.String(length=100), nullable=False),
        sa.Column("to_officer", sa.String(length=100), nullable=False),
        sa.Column("packet_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("receipt_sha256", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "direction in ('sent', 'received', 'witnessed')", name=op.f("ck_custody_direction")
        ),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], name=op.f("fk_custody_post_id_posts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custody")),
        sa.UniqueConstraint("packet_id", "direction", name=op.f("uq_custody_packet_id_direction")),
    )
    with op.batch_alter_table("custody", schema=None) as batch_op:
        batch_op.create_index("ix_custody_post_id", ["post_id"], unique=False)

    op.create_table(
        "identities",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("officer_id", sa.Uuid(), nullable=False),
        sa.Column("age_recipient", sa.String(length=100), nullable=False),
        sa.Column("signing_key", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=60), nullable=False),
        sa.Column("age_secret_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("signing_secret_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("source in ('local', 'card')", name=op.f("ck_identities_source")),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officers.id"], name=op.f("fk_identities_officer_id_officers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identities")),
    )
    with op.batch_alter_table("identities", schema=None) as batch_op:
        batch_op.create_index(
            "uq_identities_current_officer",
            ["officer_id"],
            unique=True,
            sqlite_where=sa.text("retired_at IS NULL"),
            postgresql_where=sa.text("retired_at IS NULL"),
        )
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_TRIGGERS if dialect == "sqlite" else POSTGRES_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError(
        "handover migrates forward only; restore the backup taken before the upgrade"
    )
