"""``handover init``: create a registry, with the department's escrow identity."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from handover.cli import context
from handover.cli.context import FormatOption, JsonFlag
from handover.errors import UsageError

if TYPE_CHECKING:
    from vault.records.bootstrap import Created

app = typer.Typer(rich_markup_mode=None, add_completion=False)

ESCROW_ADVICE = """\
It alone recovers a post's credentials when its holder cannot act ('handover escrow
open'). Keep it offline: copy it to a USB stick for the IT cell's safe, keep its
passphrase apart from it (sealed envelope, second safe), then delete it from this
machine (shred -u). The registry keeps only its public key."""


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
    escrow_identity_file: Annotated[
        Path,
        typer.Option(
            "--escrow-identity-file",
            envvar="HANDOVER_ESCROW_IDENTITY_FILE",
            metavar="PATH",
            help="Where to write the department's new escrow identity (a new file).",
        ),
    ] = Path("escrow.identity"),
    escrow_passphrase_file: Annotated[
        Path | None,
        typer.Option(
            "--escrow-passphrase-file",
            envvar="HANDOVER_ESCROW_PASSPHRASE_FILE",
            metavar="PATH",
            help="The escrow identity's own passphrase (never the registry's); else asked twice.",
        ),
    ] = None,
    no_escrow: Annotated[
        bool,
        typer.Option(
            "--no-escrow",
            help="Make no escrow identity: the department then keeps no recoverable copy of "
            "handed-over credentials (the audit reports it).",
        ),
    ] = False,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """Create a new registry, protected by a passphrase and a one-time recovery code, and the
    department's escrow identity.

    The passphrase comes from --passphrase-file (or HANDOVER_PASSPHRASE_FILE), else it is asked
    for twice. The recovery code opens the registry if the passphrase is lost: it is shown once
    (or written to --recovery-code-file), for the IT cell's safe, before the registry is saved.
    The escrow identity is a file with its own passphrase: every packet and rotation report is
    also encrypted to it, so that the department can recover a post's credentials.

    \b
    Examples:
      handover init
      handover init --escrow-identity-file /media/usb/revenue-escrow.identity
      HANDOVER_REGISTRY=./district.db HANDOVER_PASSPHRASE_FILE=./pw handover init \\
          --escrow-passphrase-file ./escrow-pw --recovery-code-file ./recovery.txt
      handover --registry postgresql+psycopg://handover@/revenue init --shared
    """
    json_ = context.wants_json(json_, fmt)
    from vault.records import bootstrap
    from vault.store.storage import refuse_existing

    refuse_existing(context.location())
    plan = None
    if not no_escrow:
        if escrow_identity_file.exists():
            raise UsageError(
                f"{escrow_identity_file} exists: choose another --escrow-identity-file, or give "
                "--no-escrow"
            )
        plan = bootstrap.EscrowPlan(
            escrow_identity_file,
            context.new_passphrase(escrow_passphrase_file, "escrow identity")(),
        )
    passphrase = context.new_passphrase(context.OPTIONS.passphrase_file, "registry")()
    deliver = context.deliver_recovery_codes(recovery_code_file)
    delivered: list[bool] = []

    def announce(created: Created) -> None:
        if json_:
            if recovery_code_file:
                deliver({"recovery": created.recovery_code})
                delivered.append(True)
            from handover import output

            output.json_value(
                {
                    "registry": created.location,
                    "registry_id": str(created.registry_id),
                    "keyring": created.keyring,
                    "shared": created.shared,
                    "recovery_code": None if recovery_code_file else created.recovery_code,
                    "recovery_code_file": str(recovery_code_file) if recovery_code_file else None,
                    "escrow_recipient": created.escrow_recipient,
                    "escrow_identity_file": created.escrow_file,
                }
            )
            return
        typer.echo(f"Created {'shared ' if created.shared else ''}registry {created.location}")
        if created.escrow_file:
            typer.echo(
                f"\nEscrow identity written to {created.escrow_file} "
                f"({created.escrow_recipient}).\n{ESCROW_ADVICE}"
            )
        else:
            typer.echo(
                "\nNo escrow identity: the department keeps no recoverable copy of handed-over "
                "credentials ('handover escrow new-identity' makes one later)."
            )
        deliver({"recovery": created.recovery_code})
        delivered.append(True)

    name, _ = context.actor()
    try:
        bootstrap.create(
            context.location(),
            actor=name,
            clock=context.now,
            passphrase=passphrase,
            with_keyring=keyring,
            shared=shared,
            escrow_plan=plan,
            announce=announce,
        )
    except BaseException:
        if delivered and recovery_code_file is not None:
            recovery_code_file.unlink(missing_ok=True)
        raise
