"""``handover give``: the outgoing officer's part of a handover, as steps an interface calls in
order (the command line asks between them; a web page can too).

1. :func:`posts_to_give` — the posts whose holder's keys are at hand here.
2. The successor: their card read (:func:`read_successor`), its safety code read aloud, then
   recorded (:func:`accept_successor`); or a successor whose card is on record already
   (:func:`successor_on_record`).
3. :func:`vault.exchange.preview.preview` — what goes in, what is missing, every warning.
4. :func:`make_folder` — the packet, the outgoing officer's card, the charge report and a
   READ-ME, in a new folder ``handover-POST-DATE``, which appears whole or not at all.

Who may sign, and everything the packet holds, is decided by the core
(:func:`handover.packet.create`); this module only arranges it for a person.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from handover import card, packet, reports
from handover.errors import FileError, UsageError
from handover.i18n import day, when
from handover.i18n import translate as _
from vault.errors import WriteError

if TYPE_CHECKING:
    from vault.exchange.charge import Charge
    from vault.records.identities import OnRecord
    from vault.store.storage import Registry


@dataclass(frozen=True)
class Holding:
    post: str
    title: str
    officer: str
    name: str


@dataclass(frozen=True)
class Given:
    folder: Path
    made: packet.Created
    files: tuple[str, ...]


def posts_to_give(registry: Registry) -> list[Holding]:
    """The posts this registry can hand over now: held by an officer whose keys are here."""
    import sqlalchemy as sa

    from vault.crypto import identities
    from vault.store import schema

    t, p, o = schema.tenures, schema.posts, schema.officers
    with registry.read() as conn:
        local = {row.officer_id for row in identities.local_rows(conn, registry)}
        rows = conn.execute(
            sa.select(p.c.slug, p.c.title, o.c.service_id, o.c.name, o.c.id)
            .select_from(t.join(p, p.c.id == t.c.post_id).join(o, o.c.id == t.c.officer_id))
            .where(t.c.end_date.is_(None))
            .order_by(p.c.slug)
        ).all()
    return [Holding(r.slug, r.title, r.service_id, r.name) for r in rows if r.id in local]


@dataclass(frozen=True)
class Successor:
    """A successor's card as read, and what this registry already holds of them: a person
    compares the card's safety code with the one read aloud before it is recorded."""

    card: card.Card
    known: OnRecord

    @property
    def needs_confirming(self) -> bool:
        return not self.known.same_keys


def read_successor(registry: Registry, data: bytes) -> Successor:
    """The successor's identity card, checked, beside what is on record of them here."""
    from vault.records import identities

    info = card.read(data)
    return Successor(
        info, identities.on_record(registry, info.officer, info.age_recipient, info.signing_key)
    )


def accept_successor(registry: Registry, successor: Successor, confirmed: str) -> str:
    """Record the successor's card (unless the same keys are on record already), with how its
    safety code was confirmed; their officer id."""
    if successor.needs_confirming:
        card.import_card(registry, successor.card, confirmed=confirmed, replace_reason=None)
    return successor.card.officer


def successor_on_record(registry: Registry, officer: str) -> str:
    """The successor's officer id, when a card of theirs is on record here."""
    from vault.crypto import identities
    from vault.records import officers

    with registry.read() as conn:
        row = officers.row_by_service_id(conn, officer)
        on_record = identities.current(conn, row.id)
    if on_record is None:
        raise UsageError(
            _("no card of {officer} is on record: give their card with --to-card FILE").format(
                officer=row.service_id
            )
        )
    return str(row.service_id)


def folder_name(post: str, now: dt.datetime) -> str:
    return f"handover-{post}-{now.astimezone():%Y-%m-%d}"


def read_me(charge: Charge, names: dict[str, str], expires: dt.datetime) -> str:
    """What the folder holds and what happens next, for both officers, in the language in use."""
    to, by = charge.relieving, charge.relieved
    lines = [
        _("Handover of {title} ({post})").format(title=charge.title, post=charge.post),
        f"{day(charge.handed_over)}",
        "",
        _("From: {name} ({officer}), safety code {code}").format(
            name=by.name, officer=by.officer, code=by.safety_code
        ),
        _("To: {name} ({officer}), safety code {code}").format(
            name=to.name, officer=to.officer, code=to.safety_code
        ),
        "",
        _("In this folder:"),
        f"  {names['packet']}",
        "      "
        + _(
            "the handover packet: signed, and encrypted so that only {name} (and the "
            "department's escrow) can open it"
        ).format(name=to.name),
        f"  {names['card']}",
        "      " + _("the card of {name}, to check the packet's signature").format(name=by.name),
        f"  {names['report']}",
        "      " + _("the charge report: print it; both officers sign it; it goes on file"),
        "",
        _("What happens next:"),
        "  1. "
        + _(
            "Send this whole folder to {name} (by email or on a USB stick: the packet is "
            "encrypted)."
        ).format(name=to.name),
        "  2. " + _("Read your safety codes aloud to each other, by phone or in person."),
        "  3. " + _("{name} runs:").format(name=to.name) + f"  handover take {names['packet']}",
        "  4. "
        + _(
            "{name} sends back the receipt, and later the rotation report; record each with:"
        ).format(name=to.name)
        + "  handover packet receipt FILE",
        "  5. " + _("Both officers and the IT cell sign the printed charge report."),
        "",
        _("The packet can be taken until {moment}.").format(moment=when(expires)),
        "",
    ]
    return "\n".join(lines)


def make_folder(
    registry: Registry,
    post: str,
    to: str,
    *,
    into: Path,
    lifetime: dt.timedelta | None = None,
    sender: str | None = None,
    reason: str | None = None,
) -> Given:
    """Make the packet and the folder that carries it. The folder is built under a temporary
    name beside its own and renamed when whole; the packet inside it is recorded as sent in the
    same step, so no folder holds a packet the registry does not know."""
    from vault.exchange import charge as charges
    from vault.exchange.handovers import CHECKLIST
    from vault.store import files

    now = registry.clock()
    final = into / folder_name(post, now)
    if final.exists():
        raise FileError(f"{final} exists; move it away or choose another --out-dir")
    work = into / f".{final.name}.{os.getpid()}.tmp"
    shutil.rmtree(work, ignore_errors=True)
    try:
        work.mkdir(mode=0o700, parents=True)
    except OSError as exc:
        raise FileError(f"cannot create {work}: {exc.strerror}") from None
    names = {"packet": f"{post}.handover", "report": "charge-report.pdf"}
    try:
        made = packet.create(
            registry,
            post,
            to,
            lifetime=lifetime,
            sender=sender,
            reason=reason,
            write=lambda data: files.write_whole(work / names["packet"], data, 0o600),
        )
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)  # nothing was recorded
        raise
    # The packet is recorded as sent: from here on the folder is kept, whatever else fails.
    try:
        signer_card, card_bytes = card.make(registry, made.sender)
        names["card"] = f"{signer_card.officer}.card"
        files.write_whole(work / names["card"], card_bytes)
        charge = charges.charge(registry, post, made.packet_id)
        pdf = reports.charge_pdf(
            charge, checklist=CHECKLIST, made=now, registry=registry.location.display
        )
        files.write_whole(work / names["report"], pdf)
        files.write_whole(work / "READ-ME.txt", read_me(charge, names, made.expires).encode())
    except WriteError as exc:
        os.rename(work, final)
        raise FileError(
            f"the packet was made and recorded ({final / names['packet']}), but the folder is "
            f"not complete: {exc.message}; write the charge report with 'handover report "
            f"charge --post {post} -o FILE'"
        ) from None
    os.rename(work, final)
    return Given(final, made, (*names.values(), "READ-ME.txt"))
