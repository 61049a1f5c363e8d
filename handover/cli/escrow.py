"""``handover escrow``: the department's recoverable copy of each post's credentials.

Every packet and rotation report is also encrypted to the department's escrow identity, which is
kept offline; this registry keeps the ciphertexts. ``escrow open`` is break-glass.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from handover import output
from handover.cli import context
from handover.cli.context import FormatOption, JsonFlag

app = context.sub_app(
    "Escrow: every packet and rotation report is also encrypted to the department's escrow "
    "identity (kept offline), so that a post's credentials can be recovered when its holder "
    "cannot act. Recipients are managed with 'handover config escrow'."
)

EscrowPassphraseFile = Annotated[
    Path | None,
    typer.Option(
        "--escrow-passphrase-file",
        envvar="HANDOVER_ESCROW_PASSPHRASE_FILE",
        metavar="PATH",
        help="The escrow identity's own passphrase (else asked).",
    ),
]


@app.command("open")
def open_(
    post: Annotated[str, typer.Option("--post", help="The post whose credentials to recover.")],
    escrow_identity: Annotated[
        Path,
        typer.Option(
            "--escrow-identity", metavar="FILE", help="The escrow identity file from the safe."
        ),
    ],
    reason: Annotated[
        str, typer.Option("--reason", help="Why, and on whose word (recorded in the log).")
    ],
    escrow_passphrase_file: EscrowPassphraseFile = None,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """Break-glass: open the post's newest escrow copy and seal its credentials here.

    For when the holder cannot act (on leave, unreachable, the account hijacked). It is logged
    as a critical event with the reason; every credential opened is due for rotation at once,
    and the audit shows it until it is rotated.

    \b
    Example:
      handover escrow open --post collector-ahmedabad --escrow-identity escrow.identity \\
          --reason "holder on leave, page hacked; order of the Collector dated 2026-12-03"
    """
    json_ = context.wants_json(json_, fmt)
    from vault.crypto import escrow
    from vault.crypto.unlock import read_secret_file
    from vault.records import escrowed

    def passphrase() -> str:
        if escrow_passphrase_file is not None:
            return read_secret_file(escrow_passphrase_file, "escrow passphrase")
        prompt = context.terminal_prompt()
        if prompt is None:
            from handover.errors import UsageError

            raise UsageError(
                "no terminal to ask for the escrow identity's passphrase: give "
                "--escrow-passphrase-file"
            )
        return prompt(f"Passphrase of the escrow identity {escrow_identity}")

    identity = escrow.load_identity(escrow_identity, passphrase)
    with context.registry() as reg:
        opened = escrowed.open_latest(reg, post, identity, reason)
    if json_:
        output.json_value(opened.to_dict())
        return
    typer.echo(
        f"opened the escrow copy of {opened.post} made {opened.made_at:%Y-%m-%d %H:%M} UTC by "
        f"{opened.made_by} ({opened.source}): {len(opened.accounts)} account(s) now held here"
    )
    if opened.skipped:
        typer.echo(f"not in this registry under {opened.post}: {', '.join(opened.skipped)}")
    typer.echo(
        f"every one is due for rotation by {opened.rotation_due:%Y-%m-%d}: change the passwords "
        "on the platforms, then 'handover account rotate ACCOUNT'"
    )


@app.command("new-identity")
def new_identity(
    out: Annotated[Path, typer.Option("-o", "--output", help="The new escrow identity file.")],
    label: Annotated[str, typer.Option("--label", help="Whose key it is.")] = "department escrow",
    escrow_passphrase_file: EscrowPassphraseFile = None,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """Make a new escrow identity for the department and register its recipient (for a
    registry made with --no-escrow, or to replace a key).

    \b
    Example:
      handover escrow new-identity -o /media/usb/revenue-escrow.identity
    """
    json_ = context.wants_json(json_, fmt)
    from vault.crypto import escrow

    secret = context.new_passphrase(escrow_passphrase_file, "escrow identity")()
    with context.registry() as reg:
        recipient = escrow.new_identity_for(reg, out, secret, label)
    if json_:
        output.json_value({"recipient": recipient, "file": str(out), "label": label})
        return
    from handover.cli.registry import ESCROW_ADVICE

    typer.echo(f"escrow identity written to {out} ({recipient}).\n{ESCROW_ADVICE}")
