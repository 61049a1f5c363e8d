"""``handover packet``: create, inspect and claim handover packets, and record receipts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from handover import output
from handover.cli import context
from handover.cli.context import JsonFlag

app = context.sub_app(
    "Handover packets: one signed, encrypted file with everything of a post (accounts, "
    "contacts, verification history, secrets, groups) that only the incoming officer (and "
    "escrow) can open."
)

PacketFile = Annotated[Path, typer.Argument(help="The packet file.", metavar="FILE")]


@app.command("create")
def create(
    post: Annotated[str, typer.Option("--post", help="The post being handed over.")],
    to: Annotated[
        str, typer.Option("--to", help="The incoming officer (their card must be imported).")
    ],
    out: Annotated[Path, typer.Option("-o", "--output", help="Where to write the packet.")],
    expires: Annotated[
        str | None,
        typer.Option(
            "--expires", help="Lifetime, e.g. 14d, 36h, 2w (default: packet_expiry_days)."
        ),
    ] = None,
    sender: Annotated[
        str | None,
        typer.Option("--from", help="Sign as this officer (default: the post's holder)."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    json_: JsonFlag = False,
) -> None:
    """Make the handover packet of a post for the incoming officer.

    \b
    Example:
      handover packet create --post collector-ahmedabad --to ias-0077 -o p.handover
    """
    from handover import packet

    lifetime = packet.parse_duration(expires) if expires else None
    with context.registry() as reg:
        made = packet.create(
            reg,
            post,
            to,
            lifetime=lifetime,
            sender=sender,
            write=lambda data: context.write_new_file(out, data, force=force, mode=0o600),
        )
    if json_:
        output.json_value({**made.to_dict(), "file": str(out)})
        return
    typer.echo(
        f"wrote {out}: {made.accounts} accounts of {made.post}, from {made.sender} to "
        f"{made.recipient}"
        + (f" and {made.escrow} escrow" if made.escrow else "")
        + f", expires {packet.iso(made.expires)}\nsha256 {made.sha256}"
    )


@app.command("inspect")
def inspect(packet_file: PacketFile, json_: JsonFlag = False) -> None:
    """Check a packet's signature and show who sent it, to whom, for which post; no key needed.

    \b
    Example:
      handover packet inspect p.handover
    """
    from handover import packet
    from vault.errors import RegistryError

    data = context.read_file(packet_file)
    try:
        with context.registry() as reg:
            info = packet.inspect(data, context.now(), reg)
    except RegistryError:
        info = packet.inspect(data, context.now(), None)
    if json_:
        output.json_value(info.to_dict())
        return
    output.fields(
        [
            ("signature", f"good, by {info.sender['officer']} ({info.sender['name']})"),
            ("signer key", f"{info.sender['fingerprint']}: {info.sender_known}"),
            ("packet", str(info.packet_id)),
            ("post", f"{info.post['slug']} ({info.post['title']})"),
            (
                "to",
                f"{info.recipient['officer']} ({info.recipient['name']}) "
                f"{info.recipient['recipient']}",
            ),
            ("escrow", info.escrow or "none"),
            ("accounts", info.accounts),
            ("created", packet.iso(info.created)),
            ("expires", packet.iso(info.expires) + (" (EXPIRED)" if info.expired else "")),
            ("sha256", info.sha256),
        ]
    )


@app.command("claim")
def claim(
    packet_file: PacketFile,
    receipt: Annotated[
        Path | None,
        typer.Option(
            "--receipt", help="Where to write the signed receipt (default: FILE.receipt)."
        ),
    ] = None,
    json_: JsonFlag = False,
) -> None:
    """Verify a packet addressed to you and take the post into this registry.

    Refused: an unknown signer, a packet for someone else, an expired one, one already
    claimed, and anything damaged or altered. On success every credential is marked 'rotation
    due', and a checklist and a signed receipt are written.

    \b
    Example:
      handover packet claim p.handover --receipt r.receipt
    """
    from handover.claim import claim as do_claim

    data = context.read_file(packet_file)
    target = receipt or packet_file.with_name(packet_file.name + ".receipt")
    with context.registry() as reg:
        done = do_claim(reg, data, write_receipt=lambda r: context.write_new_file(target, r))
    if json_:
        output.json_value({**done.to_dict(), "receipt": str(target)})
        return
    typer.echo(
        f"claimed {done.post} from {done.sender}: {done.accounts_added} accounts added, "
        f"{done.accounts_updated} updated; {done.officer} now holds the post"
    )
    typer.echo(f"receipt written to {target}: send it to {done.sender} or the IT cell")
    typer.echo(f"\nBefore {done.rotation_due:%Y-%m-%d %H:%M} UTC, for every account:")
    for item in done.checklist:
        typer.echo(f"  [ ] {item}")
    typer.echo("\nAccounts: " + ", ".join(done.accounts))


@app.command("receipt")
def receipt(
    receipt_file: Annotated[
        Path, typer.Argument(help="A receipt or rotation report.", metavar="FILE")
    ],
    json_: JsonFlag = False,
) -> None:
    """Record the incoming officer's receipt (or later, their rotation report).

    A receipt completes the handover: the outgoing tenure ends, the incoming one begins, and the
    post's credentials here are marked 'rotation due' (the outgoing officer still knows them). A
    rotation report then clears the mark for every account the new holder has rotated.

    \b
    Examples:
      handover packet receipt r.receipt
      handover packet receipt collector-ahmedabad.rotation
    """
    from handover.claim import REPORT_MAGIC, record_receipt, record_report

    data = context.read_file(receipt_file)
    with context.registry() as reg:
        if data.startswith(REPORT_MAGIC.encode()):
            reported = record_report(reg, data)
            if json_:
                output.json_value(reported.to_dict())
            else:
                typer.echo(
                    f"{reported.officer} reports {reported.rotated} of "
                    f"{reported.accounts} accounts of {reported.post} rotated"
                )
            return
        done = record_receipt(reg, data)
    if json_:
        output.json_value(done.to_dict())
        return
    typer.echo(
        f"handover of {done.post} from {done.outgoing} to {done.incoming} is complete "
        f"(claimed {done.claimed:%Y-%m-%d})"
    )
    typer.echo(
        f"the post's credentials here are marked for rotation by "
        f"{done.rotation_due:%Y-%m-%d}; the new holder's rotation report clears them"
    )


@app.command("report")
def report(
    post: Annotated[str, typer.Option("--post", help="The post you hold.")],
    out: Annotated[Path, typer.Option("-o", "--output", help="Where to write the report.")],
    officer: Annotated[
        str | None, typer.Option("--officer", help="Sign as this officer (default: your identity).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    json_: JsonFlag = False,
) -> None:
    """Write a signed rotation report for a post you hold, for the outgoing officer or IT cell.

    It says, for each account, whether its credentials were rotated since the handover.

    \b
    Example:
      handover packet report --post collector-ahmedabad -o collector-ahmedabad.rotation
    """
    from handover.claim import make_report

    with context.registry() as reg:
        made, data = make_report(reg, post, officer)
    context.write_new_file(out, data, force=force)
    if json_:
        output.json_value({**made.to_dict(), "file": str(out)})
    else:
        typer.echo(
            f"wrote {out}: {made.rotated} of {made.accounts} accounts of {made.post} rotated"
        )
