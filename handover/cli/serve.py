"""``handover serve``: the local web page."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from vault.crypto.unlock import Unlocker
    from vault.store.storage import Registry

app = typer.Typer(rich_markup_mode=None, add_completion=False)


@app.command("serve")
def serve(
    port: Annotated[
        int, typer.Option("--port", help="Port on 127.0.0.1 and ::1 (0: any free port).")
    ] = 8484,
    no_open: Annotated[
        bool, typer.Option("--no-open", help="Print the address only; do not open a browser.")
    ] = False,
    out_dir: Annotated[
        Path,
        typer.Option(
            "--out-dir",
            metavar="DIR",
            help="Where the page writes handover folders, receipts and reports.",
        ),
    ] = Path(),
) -> None:
    """Serve the local web page for officers and the IT cell: the register, handing over a
    post, taking charge, the audit and reports. It listens on the loopback address only and
    prints an address with a one-time token; the page asks for the registry's passphrase
    and locks again on "Lock", or after the registry's 'web_idle_seconds' without a request
    (ten minutes unless set with 'handover config set').

    \b
    Examples:
      handover serve
      handover --registry demo/it-cell.db serve --port 8484 --no-open
    """
    from handover import i18n
    from handover.cli import context
    from handover.errors import UsageError
    from handover.web.server import serve as run

    if not 0 <= port <= 65535:
        raise UsageError(f"--port {port}: give a port from 0 to 65535")
    if not out_dir.is_dir():
        raise UsageError(f"--out-dir {out_dir}: no such folder")

    def opener(unlocker: Unlocker) -> Registry:
        """The registry the global options name, opened as every command opens it."""
        from vault.store import storage

        name, is_login = context.actor()
        return storage.open_registry(
            context.location(),
            actor=name,
            clock=context.now,
            unlocker=unlocker,
            real_clock=context.real_clock(),
            actor_is_login=is_login,
        )

    run(
        opener,
        port=port,
        open_browser=not no_open,
        out_dir=out_dir.resolve(),
        identity_spec=context.OPTIONS.identity,
        lang=i18n.language(),
    )
