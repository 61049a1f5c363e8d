"""``handover report``: documents for the office file, as PDF: the charge report of a handover
and the audit report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from handover.cli import context

app = context.sub_app(
    "Printable reports for the office file (A4 PDF, in English and the chosen language): the "
    "charge report of a handover, and the audit."
)

Output = Annotated[Path, typer.Option("-o", "--output", help="The PDF file to write.")]
FORCE = Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")]
EXISTS = "choose another -o/--output, or give --force"


@app.command("charge")
def charge(
    post: Annotated[str, typer.Option("--post", help="The post whose handover it reports.")],
    out: Output,
    packet_file: Annotated[
        Path | None,
        typer.Option(
            "--packet",
            metavar="FILE",
            help="The packet of the handover (default: the post's newest handover on record).",
        ),
    ] = None,
    force: FORCE = False,
) -> None:
    """Write the charge report of a post's handover: both officers and their safety codes, when
    the charge was handed over and taken over, every account and group handed over (never a
    secret), the checklist, the packet's SHA-256 with a QR code of it, and signature blocks for
    both officers and the IT cell.

    \b
    Examples:
      handover report charge --post collector-ahmedabad -o charge.pdf
      handover --lang gu report charge --post collector-ahmedabad --packet p.handover -o c.pdf
    """
    from handover import reports
    from handover.claim import read_packet
    from vault.exchange import charge as core
    from vault.exchange.handovers import CHECKLIST

    packet_id = None
    if packet_file is not None:
        _, facts = read_packet(context.read_file(packet_file))
        packet_id = facts.packet_id
    with context.registry() as reg:
        context.speak(reg)
        found = core.charge(reg, post, packet_id)
        data = reports.charge_pdf(
            found, checklist=CHECKLIST, made=reg.clock(), registry=reg.location.display
        )
    context.write_new_file(out, data, exists=EXISTS, force=force)
    typer.echo(f"wrote {out}: charge report of {found.post}, packet {found.packet_id}")


@app.command("audit")
def audit(out: Output, force: FORCE = False) -> None:
    """Write the audit as a report for the file or a meeting: department, registry, date and who
    ran it; findings by severity and district; charts of verification by platform and of
    findings by district; every finding.

    \b
    Example:
      handover report audit -o audit-2026-12.pdf
    """
    from handover import reports
    from vault import audit as core
    from vault.records import accounts
    from vault.store import settings

    with context.registry() as reg:
        context.speak(reg)
        report = core.run(reg)
        with reg.read() as conn:
            department = settings.read(conn, "department")
            verification = accounts.verification_by_platform(conn)
        data = reports.audit_pdf(
            report,
            department=department,
            registry=reg.location.display,
            made=reg.clock(),
            by=reg.actor,
            verification=verification,
        )
    context.write_new_file(out, data, exists=EXISTS, force=force)
    typer.echo(f"wrote {out}: {len(report.findings)} findings")
