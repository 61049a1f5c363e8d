"""transfer orders: government orders that move officers between posts

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "transfer_orders",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_no", sa.String(length=100), nullable=False),
        sa.Column("order_date", sa.Date(), nullable=False),
        sa.Column("officer_id", sa.Uuid(), nullable=False),
        sa.Column("from_post_id", sa.Uuid(), nullable=True),
        sa.Column("to_post_id", sa.Uuid(), nullable=True),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officers.id"], name=op.f("fk_transfer_orders_officer_id_officers")
        ),
        sa.ForeignKeyConstraint(
            ["from_post_id"], ["posts.id"], name=op.f("fk_transfer_orders_from_post_id_posts")
        ),
        sa.ForeignKeyConstraint(
            ["to_post_id"], ["posts.id"], name=op.f("fk_transfer_orders_to_post_id_posts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_orders")),
        sa.UniqueConstraint(
            "order_no", "officer_id", name=op.f("uq_transfer_orders_order_no_officer_id")
        ),
    )


def downgrade() -> None:
    raise NotImplementedError(
        "handover migrates forward only; restore the backup taken before the upgrade"
    )
