"""Bulk import of posts, officers, accounts and groups from an IT cell's CSV spreadsheets.

Every row is validated first (formats, official-contact rules, known posts and officers,
platforms, duplicate handles), and every problem is reported with its file, row, column and
reason; a file with any error imports nothing. Then the whole file is written in one transaction,
in bulk (one statement per table, not one per row): 100,000 accounts with secrets import in
seconds. Re-importing the same file changes nothing: rows are matched on their natural key
(platform and handle for accounts, slug or service id otherwise), unchanged rows are skipped, and
nothing is logged when nothing changed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from vault.errors import InvalidInputError
from vault.exchange.import_accounts import import_accounts
from vault.exchange.import_records import import_groups, import_officers, import_posts
from vault.exchange.import_transfers import import_transfers
from vault.exchange.rows import (
    COLUMNS,
    MAX_ERRORS_SHOWN,
    ImportRejected,
    Progress,
    RowError,
    RowReader,
    Summary,
    read_table_file,
    template,
    template_sheets,
)
from vault.model import N_

if TYPE_CHECKING:
    from vault.store.storage import Registry

IMPORTERS = {
    "posts": import_posts,
    "officers": import_officers,
    "accounts": import_accounts,
    "groups": import_groups,
    "transfers": import_transfers,
}
__all__ = [
    "MAX_ERRORS_SHOWN", "ImportRejected", "RowError", "Summary", "run", "template",
    "template_sheets",
]  # fmt: skip


def run(
    registry: Registry,
    kind: str,
    path: Path,
    *,
    dry_run: bool = False,
    secrets_path: Path | None = None,
    progress: Progress | None = None,
) -> Summary:
    """Validate ``path`` completely, then (unless ``dry_run``) import it in one transaction."""
    if kind not in COLUMNS:
        raise InvalidInputError(f"unknown kind {kind!r}: choose {', '.join(COLUMNS)}")
    sheet = read_table_file(path)
    extra = read_table_file(secrets_path) if secrets_path is not None else None
    if extra is not None and kind != "accounts":
        raise InvalidInputError(N_("--secrets goes with 'import accounts'"))
    importer = IMPORTERS[kind]
    with registry.write() as tx:
        counts = importer(tx, RowReader(sheet.name, kind), sheet, extra, dry_run, progress)
        summary = Summary(kind, path.name, *counts, dry_run)
        if dry_run:
            return summary  # the importers wrote nothing
        if summary.added or summary.updated or summary.secrets:
            tx.log(
                f"import.{kind}",
                "registry",
                None,
                path.name,
                sha256=sheet.digest(),
                rows=summary.rows,
                added=summary.added,
                updated=summary.updated,
                secrets=summary.secrets,
            )
        return summary
