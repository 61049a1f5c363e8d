"""shared registries: IT cell members, and handovers recorded by re-keying a post

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "members",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("officer_id", sa.Uuid(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officers.id"], name=op.f("fk_members_officer_id_officers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members")),
    )
    with op.batch_alter_table("custody", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_custody_direction"), type_="check")
        batch_op.create_check_constraint(
            "direction", "direction in ('sent', 'received', 'witnessed', 'rekeyed')"
        )


def downgrade() -> None:
    raise NotImplementedError(
        "handover migrates forward only; restore the backup taken before the upgrade"
    )
