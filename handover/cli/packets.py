"""``handover packet``: create, inspect, claim and witness handover packets; record receipts and
rotation reports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from handover import output
from handover.cli import context
from handover.cli.context import FormatOption, JsonFlag
from handover.output import inert

app = context.sub_app(
    "Handover packets: one signed, encrypted file with everything of a post (accounts, "
    "contacts, verification history, secrets, groups) that only the incoming officer (and "
    "escrow) can open."
)

PacketFile = Annotated[Path, typer.Argument(help="The packet file.", metavar="FILE")]
OUTPUT_EXISTS = "choose another -o/--output, or give --force"


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
            "--expires",
            help="Lifetime, e.g. 14d, 36h, 2w; at most 90 days (default: packet_expiry_days).",
        ),
    ] = None,
    sender: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Sign as this officer: the post's holder (the default), or an IT cell member "
            "acting for the department (with --reason).",
        ),
    ] = None,
    reason: Annotated[
        str | None,
        typer.Option(
            "--reason",
            help="Why the IT cell signs instead of the holder (post vacant, holder transferred "
            "or unreachable); written into the packet and the log.",
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """Make the handover packet of a post for the incoming officer.

    Only the post's holder signs it, or an IT cell member for the department with a reason:
    the packet says in which capacity, and the claimant's registry checks it.

    \b
    Examples:
      handover packet create --post collector-ahmedabad --to ias-0077 -o p.handover
      handover packet create --post dio-kheda --to gis-0150 --from itc-0001 \\
          --reason "post vacant since the transfer of 2026-11-20" -o dio-kheda.handover
    """
    json_ = context.wants_json(json_, fmt)
    from handover import packet
    from vault.errors import ServerUnavailable

    lifetime = packet.parse_duration(expires) if expires else None
    written: list[bool] = []

    def write(data: bytes) -> None:
        context.write_new_file(out, data, exists=OUTPUT_EXISTS, force=force, mode=0o600)
        written.append(True)

    try:
        with context.registry() as reg:
            made = packet.create(
                reg, post, to, lifetime=lifetime, sender=sender, reason=reason, write=write
            )
    except Exception as exc:
        # The packet was written, but its record was not saved: nobody may use a packet its
        # registry does not know. (Unless the commit's fate is unknown: then it is kept.)
        if written and not (isinstance(exc, ServerUnavailable) and exc.saved is None):
            out.unlink(missing_ok=True)
        raise
    if json_:
        output.json_value({**made.to_dict(), "file": str(out)})
        return
    capacity = "as holder" if made.capacity == "holder" else "for the IT cell"
    typer.echo(
        f"wrote {out}: {made.accounts} accounts of {made.post} (handover {made.sequence}), "
        f"signed by {made.sender} {capacity}, to {made.recipient}"
        + (f" and {made.escrow} escrow" if made.escrow else " (no escrow)")
        + f", expires {packet.iso(made.expires)}\nsha256 {made.sha256}"
    )


@app.command("inspect")
def inspect(packet_file: PacketFile, json_: JsonFlag = False, fmt: FormatOption = None) -> None:
    """Check a packet's signature and show who sent it, in which capacity, to whom, for which
    post; no key needed. Read the sender's safety code aloud together before you claim.

    \b
    Example:
      handover packet inspect p.handover
    """
    json_ = context.wants_json(json_, fmt)
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
    capacity = "holder of the post" if info.capacity == "holder" else "IT cell, for the department"
    said = info.sender["name"]
    if info.sender_on_record is None:
        who = f"not on record here; the packet calls them {said}"
    elif info.sender_on_record != said:
        who = f"{info.sender_on_record}; the packet calls them {said}"
    else:
        who = info.sender_on_record
    output.fields(
        [
            ("signature", f"good, by {info.sender['officer']} ({who})"),
            ("signer key", f"{info.sender['fingerprint']}: {info.sender_known}"),
            ("safety code", info.sender_safety_code or "unknown (format 1, signer not on record)"),
            ("capacity", capacity + (f": {info.reason}" if info.reason else "")),
            ("packet", f"{info.packet_id} (format {info.format})"),
            ("handover", info.sequence if info.sequence is not None else "not numbered (format 1)"),
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
    fmt: FormatOption = None,
) -> None:
    """Verify a packet addressed to you and take the post into this registry.

    Refused: an unknown signer; a signer this registry's records do not entitle (the post is
    held here by someone else); a packet older than a handover of the post you already have;
    one for someone else, expired or dated in the future; anything damaged or altered. On
    success every credential is marked 'rotation due', and a checklist and a signed receipt are
    written. Run again on a packet claimed here, it writes the same receipt again (after a
    crash, or if the receipt was lost) and changes nothing.

    \b
    Example:
      handover packet claim p.handover --receipt r.receipt
    """
    json_ = context.wants_json(json_, fmt)
    from handover.claim import claim as do_claim

    data = context.read_file(packet_file)
    target = receipt or packet_file.with_name(packet_file.name + ".receipt")
    with context.registry() as reg:
        done = do_claim(
            reg,
            data,
            write_receipt=lambda r: context.write_new_file(
                target,
                r,
                exists="it is not this claim's receipt; choose another --receipt",
                same_is_done=True,
            ),
        )
    if json_:
        output.json_value({**done.to_dict(), "receipt": str(target)})
        return
    if done.claimed_before is not None:
        typer.echo(
            f"{done.post}: this packet was claimed here on "
            f"{done.claimed_before:%Y-%m-%d %H:%M} UTC by {done.officer}; its receipt is "
            f"written again to {target}: send it to {done.sender} or the IT cell"
        )
        return
    signed = (
        "as holder"
        if done.capacity == "holder"
        else f"for the IT cell ({inert(done.reason or '')})"
    )
    typer.echo(
        f"claimed {done.post} from {done.sender} (signed {signed}; safety code "
        f"{done.sender_safety_code}): {done.accounts_added} accounts added, "
        f"{done.accounts_updated} updated; {done.officer} now holds the post"
    )
    typer.echo(f"receipt written to {target}: send it to {done.sender} or the IT cell")
    typer.echo(f"\nBefore {done.rotation_due:%Y-%m-%d %H:%M} UTC, for every account:")
    for item in done.checklist:
        typer.echo(f"  [ ] {item}")
    typer.echo("\nAccounts: " + ", ".join(done.accounts))


@app.command("witness")
def witness(packet_file: PacketFile, json_: JsonFlag = False, fmt: FormatOption = None) -> None:
    """Record a packet made in another registry (an officer's own), so that the IT cell can take
    its receipt and keep its escrow copy.

    The packet's signer must be entitled by this registry's records: the post's holder here, or
    an IT cell member for the department.

    \b
    Example:
      handover packet witness p.handover
    """
    json_ = context.wants_json(json_, fmt)
    from handover.claim import witness as do_witness

    data = context.read_file(packet_file)
    with context.registry() as reg:
        done = do_witness(reg, data)
    if json_:
        output.json_value(done.to_dict())
        return
    typer.echo(
        f"recorded packet {done.packet_id}: handover of {done.post} from {done.sender} to "
        f"{done.recipient}"
        + (
            "; its escrow copy is kept"
            if done.escrow_copy
            else "; no escrow copy for this registry"
        )
    )


@app.command("receipt")
def receipt(
    receipt_file: Annotated[
        Path, typer.Argument(help="A receipt or rotation report.", metavar="FILE")
    ],
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """Record the incoming officer's receipt (or later, their rotation report).

    A receipt completes the handover: the outgoing tenure ends, the incoming one begins, and the
    post's credentials here are marked 'rotation due' (the outgoing officer still knows them).
    Only the officer the packet was addressed to may sign it, for a packet made or witnessed
    here. A rotation report, from the post's holder, then clears the mark for every account
    rotated, brings the holder's changes (contacts, 2FA, verification) into this registry, and
    keeps the escrow copy of the new credentials.

    \b
    Examples:
      handover packet receipt r.receipt
      handover packet receipt collector-ahmedabad.rotation
    """
    json_ = context.wants_json(json_, fmt)
    from handover.claim import is_report, record_receipt, record_report

    data = context.read_file(receipt_file)
    with context.registry() as reg:
        if is_report(data):
            reported = record_report(reg, data)
            if json_:
                output.json_value(reported.to_dict())
            else:
                typer.echo(
                    f"{reported.officer} reports {reported.rotated} of {reported.accounts} "
                    f"accounts of {reported.post} rotated"
                    + (
                        "; the escrow copy of the new credentials is kept"
                        if reported.escrowed
                        else "; no escrow copy for this registry"
                    )
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
    fmt: FormatOption = None,
) -> None:
    """Write a signed rotation report for a post you hold, for the IT cell.

    It says, for each account, whether its credentials were rotated since the handover, and
    carries what you changed (contacts, 2FA, verification); the new credentials travel only
    inside an escrow copy that the department's escrow key opens.

    \b
    Example:
      handover packet report --post collector-ahmedabad -o collector-ahmedabad.rotation
    """
    json_ = context.wants_json(json_, fmt)
    from handover.claim import make_report

    with context.registry() as reg:
        made, data = make_report(reg, post, officer)
    context.write_new_file(out, data, exists=OUTPUT_EXISTS, force=force)
    if json_:
        output.json_value({**made.to_dict(), "file": str(out)})
    else:
        typer.echo(
            f"wrote {out}: {made.rotated} of {made.accounts} accounts of {made.post} rotated"
            + ("; escrow copy enclosed" if made.escrowed else "; no escrow (none was named)")
        )
