"""records that change: renamed and archived accounts, abolished posts, retired officers,
archived groups with their admin numbers, invite link and owning account, and page roles

Nothing is deleted by these: a renamed account keeps its old handles (``account_names``), so
they still find it; an archived record leaves lists and audits, not the registry. Page roles
record who holds which role on a page or channel, an officer or a post, since when.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table, columns in (
        ("accounts", ("archived_at", "archive_reason")),
        ("posts", ("abolished_at", "abolish_reason")),
        ("officers", ("retired_at", "retire_reason")),
        ("groups", ("archived_at", "archive_reason")),
    ):
        op.add_column(table, sa.Column(columns[0], sa.DateTime(timezone=True), nullable=True))
        op.add_column(table, sa.Column(columns[1], sa.String(length=500), nullable=True))
    op.add_column("groups", sa.Column("invite_sealed", sa.LargeBinary(), nullable=True))
    op.add_column("groups", sa.Column("owner_account_id", sa.Uuid(), nullable=True))
    op.create_table(
        "account_names",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("handle", sa.String(length=200), nullable=False),
        sa.Column("handle_key", sa.String(length=200), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_names")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_account_names_account_id_accounts"),
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_account_names_platform", "account_names", ["platform", "handle_key"])
    op.create_table(
        "group_admin_phones",
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("group_id", "phone", name=op.f("pk_group_admin_phones")),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_group_admin_phones_group_id_groups"),
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "page_roles",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("officer_id", sa.Uuid(), nullable=True),
        sa.Column("post_id", sa.Uuid(), nullable=True),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_page_roles")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_page_roles_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["officers.id"], name=op.f("fk_page_roles_officer_id_officers")
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_page_roles_post_id_posts")
        ),
        sa.CheckConstraint(
            "(officer_id IS NULL) <> (post_id IS NULL)", name=op.f("ck_page_roles_holder")
        ),
    )
    op.create_index("ix_page_roles_account_id", "page_roles", ["account_id"])


def downgrade() -> None:
    raise NotImplementedError(
        "handover migrates forward only; restore the backup taken before the upgrade"
    )
