"""``handover key``: the key slots that open the registry, and data-key rotation."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from handover import output
from handover.cli import context
from handover.cli.context import FormatOption, JsonFlag
from handover.output import inert

app = context.sub_app(
    "Key slots and rotation. The registry's data key is stored only wrapped, once per slot: "
    "passphrase (Argon2id), recovery code, OS keyring. Any one slot opens the registry."
)

RecoveryCodeFile = Annotated[
    Path | None,
    typer.Option(
        "--recovery-code-file",
        metavar="PATH",
        help="Write a new recovery code to this new file (mode 600) instead of printing it; "
        "either way it is written before the change is saved.",
    ),
]
NewPassphraseFile = Annotated[
    Path | None,
    typer.Option(
        "--new-passphrase-file",
        metavar="PATH",
        help="Read the new passphrase from this file instead of asking twice.",
    ),
]
SLOT_COLUMNS = [
    ("id", "slot"),
    ("kind", "kind"),
    ("label", "label"),
    ("created_at", "created"),
    ("detail", "protection"),
]


@app.command("slots")
def slots(json_: JsonFlag = False, fmt: FormatOption = None) -> None:
    """List the key slots (no unlocking needed).

    \b
    Example:
      handover key slots
    """
    from vault.crypto import keyadmin

    with context.registry() as reg:
        found = keyadmin.list_slots(reg)
    rows = []
    for slot in found:
        row = slot.to_dict()
        if not json_:
            row["id"] = row["id"][:8]
        rows.append(row)
    output.rows(rows, SLOT_COLUMNS, context.out_format(json_, fmt, csv=True))


@app.command("add-slot")
def add_slot(
    kind: Annotated[str, typer.Argument(help="passphrase, recovery or keyring.")],
    label: Annotated[
        str | None, typer.Option("--label", help="A name for the slot, e.g. 'deputy'.")
    ] = None,
    new_passphrase_file: NewPassphraseFile = None,
    recovery_code_file: RecoveryCodeFile = None,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """Add a way in: a second passphrase, a new recovery code, or the OS keyring.

    Unlocks the registry first (with the current passphrase, keyring or recovery code). A new
    recovery code is shown (or written to --recovery-code-file) before the slot is saved.

    \b
    Examples:
      handover key add-slot keyring
      handover key add-slot passphrase --label deputy
      handover key add-slot recovery --label spare --recovery-code-file spare-code.txt
    """
    json_ = context.wants_json(json_, fmt)
    from vault.crypto import keyadmin

    deliver = context.deliver_recovery_codes(recovery_code_file)

    def announce(added: keyadmin.SlotAdded) -> None:
        if json_:
            shown = None if recovery_code_file else added.recovery_code
            if added.recovery_code and recovery_code_file:
                deliver({added.slot.label: added.recovery_code})
            output.json_value({**added.to_dict(), "recovery_code": shown})
            return
        typer.echo(
            f"added {added.slot.kind} slot {inert(added.slot.label)!r} ({str(added.slot.id)[:8]})"
        )
        if added.recovery_code:
            deliver({added.slot.label: added.recovery_code})

    with context.registry() as reg:
        keyadmin.add_slot(
            reg, kind, label, context.new_passphrase(new_passphrase_file), announce=announce
        )


@app.command("remove-slot")
def remove_slot(
    slot: Annotated[str, typer.Argument(help="The slot's label or the start of its id.")],
) -> None:
    """Remove a slot. The last slot, and the last non-keyring slot, cannot be removed.

    \b
    Example:
      handover key remove-slot deputy
    """
    from vault.crypto import keyadmin

    with context.registry() as reg:
        removed = keyadmin.remove_slot(reg, slot)
    typer.echo(f"removed {removed.kind} slot {inert(removed.label)!r} ({str(removed.id)[:8]})")


@app.command("change-passphrase")
def change_passphrase(
    new_passphrase_file: NewPassphraseFile = None,
    slot: Annotated[
        str | None, typer.Option("--slot", help="Which passphrase slot, when there are several.")
    ] = None,
) -> None:
    """Change the passphrase: the current one unlocks, the new one re-wraps the same slot.

    \b
    Example:
      handover key change-passphrase --new-passphrase-file ./new-pw
    """
    from vault.crypto import keyadmin

    with context.registry() as reg:
        changed = keyadmin.change_passphrase(reg, context.new_passphrase(new_passphrase_file), slot)
    typer.echo(f"passphrase of slot {inert(changed.label)!r} changed")


@app.command("rotate")
def rotate(
    recovery_code_file: RecoveryCodeFile = None, json_: JsonFlag = False, fmt: FormatOption = None
) -> None:
    """Make a new data key and re-seal every secret under it, in one transaction.

    Passphrase and keyring slots are re-wrapped; each recovery slot gets a new code; a slot
    whose secret is not at hand is dropped and named. The new codes are printed (or written to
    --recovery-code-file) before anything is saved: if they cannot be, nothing changes and the
    old passphrase and code still open the registry.

    \b
    Examples:
      handover key rotate
      handover key rotate --recovery-code-file new-code.txt
    """
    json_ = context.wants_json(json_, fmt)
    from vault.crypto import keyadmin

    deliver = context.deliver_recovery_codes(recovery_code_file)

    def announce(result: keyadmin.Rotation) -> None:
        if json_:
            if recovery_code_file:
                deliver(result.recovery_codes)
            shown = {} if recovery_code_file else result.recovery_codes
            output.json_value({**result.to_dict(), "recovery_codes": shown})
            return
        typer.echo(
            f"new data key {str(result.new_key)[:8]}: {result.secrets} secrets re-sealed; "
            f"slots kept: {', '.join(result.slots_kept) or 'none'}"
        )
        if result.slots_dropped:
            typer.echo(
                f"slots dropped (their secret was not given): {', '.join(result.slots_dropped)}"
            )
        deliver(result.recovery_codes)

    with context.registry() as reg:
        keyadmin.rotate(reg, announce=announce)


@app.command("rewrap")
def rewrap(
    post: Annotated[
        str | None, typer.Option("--post", help="Only this post (default: all).")
    ] = None,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """On a shared registry, wrap post keys to whoever should open them and cannot yet (a
    holder who registered their identity after taking charge).

    \b
    Example:
      handover --identity itc.identity key rewrap --post collector-ahmedabad
    """
    json_ = context.wants_json(json_, fmt)
    from vault.records import members

    with context.registry() as reg:
        added = members.rewrap_posts(reg, post)
    if json_:
        output.json_value(added)
        return
    for slug, labels in added.items():
        typer.echo(f"{slug}: wrapped to {', '.join(labels)}")
    if not added:
        typer.echo("every post key is already wrapped to everyone who should open it")
