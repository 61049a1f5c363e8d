"""``handover init``: create a registry."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from handover.cli import context
from handover.cli.context import JsonFlag
from handover.errors import UsageError

app = typer.Typer(rich_markup_mode=None, add_completion=False)


@app.command("init")
def init(
    keyring: Annotated[
        bool,
        typer.Option(
            "--keyring",
            help="Also keep a key in the OS "
            "keyring, so that this machine unlocks without the "
            "passphrase.",
        ),
    ] = False,
    recovery_code_file: Annotated[
        Path | None,
        typer.Option(
            "--recovery-code-file",
            metavar="PATH",
            help="Write the recovery code to this new file (mode 600) instead of printing it.",
        ),
    ] = None,
    shared: Annotated[
        bool,
        typer.Option(
            "--shared",
            help="A department-wide registry: each post's secrets get their own key, "
            "opened only by the post's holder, escrow and IT cell members.",
        ),
    ] = False,
    json_: JsonFlag = False,
) -> None:
    """Create a new registry, protected by a passphrase and a one-time recovery code.

    The passphrase comes from --passphrase-file (or HANDOVER_PASSPHRASE_FILE), else it is asked
    for twice. The recovery code opens the registry if the passphrase is lost: it is shown once,
    for the IT cell's safe.

    \b
    Examples:
      handover init
      HANDOVER_REGISTRY=./district.db HANDOVER_PASSPHRASE_FILE=./pw handover init
      handover --registry postgresql+psycopg://handover@/revenue init --shared
    """
    from vault.records import bootstrap

    handle = None
    if recovery_code_file is not None:
        try:
            handle = os.open(recovery_code_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            raise UsageError(f"cannot create {recovery_code_file}: {exc.strerror}") from None
    try:
        passphrase = context.new_passphrase(context.OPTIONS.passphrase_file)()
        created = bootstrap.create(
            context.location(),
            actor=context.actor(),
            clock=context.now,
            passphrase=passphrase,
            with_keyring=keyring,
            shared=shared,
        )
    except BaseException:
        if handle is not None:
            os.close(handle)
            os.unlink(recovery_code_file)  # type: ignore[arg-type]
        raise
    if handle is not None:
        with os.fdopen(handle, "w") as out:
            out.write(created.recovery_code + "\n")
    shown = created.recovery_code if handle is None else None
    if json_:
        from handover import output

        output.json_value(
            {
                "registry": created.location,
                "registry_id": str(created.registry_id),
                "keyring": created.keyring,
                "shared": created.shared,
                "recovery_code": shown,
                "recovery_code_file": str(recovery_code_file) if handle else None,
            }
        )
        return
    typer.echo(f"Created {'shared ' if created.shared else ''}registry {created.location}")
    if shown:
        typer.echo(
            "\nRecovery code (shown only once; print it and keep it in the IT cell's "
            f"safe):\n\n    {shown}\n"
        )
    else:
        typer.echo(
            f"Recovery code written to {recovery_code_file}; move it to the IT cell's "
            "safe and delete the file."
        )
