"""authority and custody: the handover chain of each post, escrow copies, rotation reports

Custody records gain what format 2 packets say: the post's handover sequence and the document
before it, the signer's capacity (holder or IT cell) and reason, both officers' key fingerprints,
and the escrow recipients a claimed packet named. Accounts gain who escrowed their current
credentials. Escrow copies keep what the department can recover; reports keep which rotation
reports were taken in, so an older one never overrides a newer.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

OLD_COLUMNS = (
    "id, packet_id, direction, post_id, from_officer, to_officer, packet_sha256, created_at, "
    "expires_at, recorded_at, claimed_at, completed_at, receipt_sha256"
)
# SQLite keeps a table's text; rebuilding it from one fixed text keeps every registry's schema
# the same (see revision 0005).
SQLITE_CUSTODY = """CREATE TABLE custody_rebuilt (
	id CHAR(32) NOT NULL,
	packet_id CHAR(32) NOT NULL,
	direction VARCHAR(10) NOT NULL,
	post_id CHAR(32) NOT NULL,
	from_officer VARCHAR(100) NOT NULL,
	to_officer VARCHAR(100) NOT NULL,
	packet_sha256 VARCHAR(64) NOT NULL,
	created_at DATETIME NOT NULL,
	expires_at DATETIME NOT NULL,
	recorded_at DATETIME NOT NULL,
	claimed_at DATETIME,
	completed_at DATETIME,
	receipt_sha256 VARCHAR(64),
	sequence INTEGER,
	previous_sha256 VARCHAR(64),
	capacity VARCHAR(10),
	reason VARCHAR(500),
	from_fingerprint VARCHAR(60),
	to_fingerprint VARCHAR(60),
	escrow TEXT,
	CONSTRAINT pk_custody PRIMARY KEY (id),
	CONSTRAINT fk_custody_post_id_posts FOREIGN KEY(post_id) REFERENCES posts (id),
	CONSTRAINT uq_custody_packet_id_direction UNIQUE (packet_id, direction),
	CONSTRAINT ck_custody_direction CHECK (direction in ('sent', 'received', 'witnessed', 'rekeyed')),
	CONSTRAINT ck_custody_capacity CHECK (capacity in ('holder', 'it-cell'))
)"""
NEW_CUSTODY_COLUMNS = [
    sa.Column("sequence", sa.Integer(), nullable=True),
    sa.Column("previous_sha256", sa.String(length=64), nullable=True),
    sa.Column("capacity", sa.String(length=10), nullable=True),
    sa.Column("reason", sa.String(length=500), nullable=True),
    sa.Column("from_fingerprint", sa.String(length=60), nullable=True),
    sa.Column("to_fingerprint", sa.String(length=60), nullable=True),
    sa.Column("escrow", sa.Text(), nullable=True),
]


def _custody() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(SQLITE_CUSTODY)
        op.execute(f"INSERT INTO custody_rebuilt ({OLD_COLUMNS}) SELECT {OLD_COLUMNS} FROM custody")
        op.execute("DROP TABLE custody")
        op.execute("ALTER TABLE custody_rebuilt RENAME TO custody")
        op.execute("CREATE INDEX ix_custody_post_id ON custody (post_id)")
        return
    for column in NEW_CUSTODY_COLUMNS:
        op.add_column("custody", column)
    op.create_check_constraint(
        op.f("ck_custody_capacity"), "custody", "capacity in ('holder', 'it-cell')"
    )


def upgrade() -> None:
    _custody()
    op.add_column("accounts", sa.Column("escrowed_by", sa.String(length=100), nullable=True))
    op.create_table(
        "escrow_copies",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("post_id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("document_sha256", sa.String(length=64), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("made_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ciphertext", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escrow_copies")),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_escrow_copies_post_id_posts")
        ),
        sa.UniqueConstraint("document_sha256", name=op.f("uq_escrow_copies_document_sha256")),
        sa.CheckConstraint("source in ('packet', 'report')", name=op.f("ck_escrow_copies_source")),
    )
    op.create_index("ix_escrow_copies_post_id", "escrow_copies", ["post_id"])
    op.create_table(
        "reports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("post_id", sa.Uuid(), nullable=False),
        sa.Column("officer", sa.String(length=100), nullable=False),
        sa.Column("fingerprint", sa.String(length=60), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("accounts", sa.Integer(), nullable=False),
        sa.Column("rotated", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], name=op.f("fk_reports_post_id_posts")),
        sa.UniqueConstraint("sha256", name=op.f("uq_reports_sha256")),
    )
    op.create_index("ix_reports_post_id", "reports", ["post_id"])


def downgrade() -> None:
    raise NotImplementedError(
        "handover migrates forward only; restore the backup taken before the upgrade"
    )
