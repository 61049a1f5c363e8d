"""Alembic migrations of the registry schema, one revision per schema change since the first.

``HEAD`` and ``REVISIONS`` are written out here so that opening a registry costs one query, not an
import of Alembic (about 0.5 s); a test checks them against Alembic's own script directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlalchemy as sa

REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006", "0007")
HEAD = REVISIONS[-1]
SCRIPT_LOCATION = Path(__file__).parent


def alembic_config(conn: sa.Connection | None = None) -> object:
    """An Alembic ``Config`` that runs on ``conn``, inside the caller's transaction."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPT_LOCATION))
    cfg.attributes["connection"] = conn
    return cfg


def upgrade(conn: sa.Connection, revision: str = "head") -> None:
    """Bring the schema on ``conn`` up to ``revision`` without committing."""
    from alembic import command

    command.upgrade(alembic_config(conn), revision)  # type: ignore[arg-type]
