"""custody: one fixed table definition on SQLite

Revision 0003 changed the custody table's CHECK constraint with Alembic's batch mode, which on
SQLite copies the table; the copy listed its constraints in an order that varied from run to run,
so two registries (or a registry and its restore) had different schema text. This revision
rebuilds the table on SQLite from one fixed definition, the same for every registry. PostgreSQL
keeps constraints apart from the table's text and needs nothing.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

COLUMNS = (
    "id, packet_id, direction, post_id, from_officer, to_officer, packet_sha256, created_at, "
    "expires_at, recorded_at, claimed_at, completed_at, receipt_sha256"
)
CUSTODY = """CREATE TABLE custody_rebuilt (
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
	CONSTRAINT pk_custody PRIMARY KEY (id),
	CONSTRAINT fk_custody_post_id_posts FOREIGN KEY(post_id) REFERENCES posts (id),
	CONSTRAINT uq_custody_packet_id_direction UNIQUE (packet_id, direction),
	CONSTRAINT ck_custody_direction CHECK (direction in ('sent', 'received', 'witnessed', 'rekeyed'))
)"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(CUSTODY)
    op.execute(f"INSERT INTO custody_rebuilt ({COLUMNS}) SELECT {COLUMNS} FROM custody")
    op.execute("DROP TABLE custody")
    op.execute("ALTER TABLE custody_rebuilt RENAME TO custody")
    op.execute("CREATE INDEX ix_custody_post_id ON custody (post_id)")


def downgrade() -> None:
    raise NotImplementedError(
        "handover migrates forward only; restore the backup taken before the upgrade"
    )
