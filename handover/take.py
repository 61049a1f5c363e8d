"""``handover take``: the incoming officer's part of a handover, as steps an interface calls in
order (the command line asks between them; a web page can too).

1. :func:`handover.packet.inspect` — who sent the packet, for which post, in which capacity,
   with which safety code; :func:`sender_card` finds the sender's card beside it, and
   :func:`sender_to_confirm` says whether a person must confirm it (:func:`accept_sender`).
2. :func:`handover.claim.claim` — the claim, decided by the core's authority rules, and its
   receipt.
3. Account by account (:func:`to_change`): the handed-over login, a new password
   (:func:`vault.crypto.passwords.generate`) recorded once the platform took it
   (:func:`record_password`), a new authenticator seed checked against the phone's code
   (:func:`check_code`, :func:`record_totp`).
   Page roles held in person on the post's pages (:func:`roles_to_change`) are recorded as
   handed over once changed on the platform (:func:`record_role`).
4. :func:`finish` — once every account is changed: the rotation report for the IT cell and the
   charge report, taken over.

Progress lives in the registry, not in this process: an account still marked "rotation due" is
still to change, so a flow left half-way resumes (``take --resume``) where it stopped
(:func:`posts_taken`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from handover import card as cards
from handover import claim, reports
from handover.errors import UsageError
from handover.i18n import translate as _
from vault.errors import VaultError

if TYPE_CHECKING:
    from handover.packet import Inspection
    from vault.model import Role
    from vault.store.storage import Registry


@dataclass(frozen=True)
class ToChange:
    ref: str
    login_email: str | None
    login_phone: str | None
    twofa_method: str
    twofa_where: str | None
    has_totp: bool


@dataclass(frozen=True)
class Finished:
    rotation_report: Path
    charge_report: Path
    rotated: int
    accounts: int


def sender_card(packet_file: Path, sender: str) -> cards.Card | None:
    """The sender's identity card, when it came in the same folder as the packet."""
    for path in sorted(packet_file.parent.glob("*.card")):
        try:
            found = cards.read(path.read_bytes())
        except (OSError, VaultError):  # a card that cannot be read is no card
            continue
        if found.officer == sender:
            return found
    return None


def sender_to_confirm(info: Inspection, found: cards.Card | None) -> cards.Card | None:
    """The sender's card a person must confirm by its safety code before the packet is taken,
    or ``None`` when the sender's key is on record here already. ``found`` is the card that came
    with the packet (beside it, or given)."""
    if info.sender_known == "key on record":
        return None
    if found is None or found.officer != info.sender["officer"]:
        raise UsageError(
            _("the sender's card is not on record here, nor beside the packet: give --card FILE")
        )
    return found


def accept_sender(registry: Registry, found: cards.Card, confirmed: str) -> None:
    """Record the sender's card, with how its safety code was confirmed."""
    cards.import_card(registry, found, confirmed=confirmed, replace_reason=None)


def roles_to_change(registry: Registry, post: str) -> tuple[str, list[Role]]:
    """The post's holder here, and the page roles others still hold in person on its pages."""
    from vault.records import posts, roles

    pending = roles.pending_for(registry, post)
    if not pending:
        return "", []
    with registry.read() as conn:
        holder = posts.holder_of(conn, posts.row_by_slug(conn, post).id)
    return (holder[0] if holder else ""), pending


def record_role(registry: Registry, role: Role, holder: str) -> None:
    """A page role changed on the platform: the outgoing holder removed, ``holder`` added."""
    from vault.records import roles

    roles.hand_over(registry, role.account, role.role, role.holder, holder)


def to_change(registry: Registry, post: str) -> list[ToChange]:
    """The post's official accounts whose credentials are still to change since the handover."""
    return official_accounts(registry, post, pending=True)


def official_accounts(registry: Registry, post: str, *, pending: bool = False) -> list[ToChange]:
    """The post's official accounts (only those still to change, with ``pending``): a page
    that has recorded an account's new password still enrols its new authenticator."""
    import sqlalchemy as sa

    from vault.records import posts
    from vault.store import schema

    a = schema.accounts
    with registry.read() as conn:
        row = posts.row_by_slug(conn, post)
        query = sa.select(a).where(a.c.post_id == row.id, a.c.kind == "official")
        if pending:
            query = query.where(a.c.rotation_due_at.is_not(None))
        rows = conn.execute(query.order_by(a.c.platform, a.c.handle_key)).all()
    return [
        ToChange(
            f"{r.platform}:{r.handle}",
            r.login_email,
            r.login_phone,
            r.twofa_method,
            r.twofa_phone or r.twofa_holder,
            r.totp_sealed is not None,
        )
        for r in rows
    ]


def posts_taken(registry: Registry) -> list[tuple[str, bool]]:
    """The posts taken into this registry, the newest claim first, each with whether some of
    its accounts are still to change."""
    import sqlalchemy as sa

    from vault.store import schema

    a, c, p = schema.accounts, schema.custody, schema.posts
    pending = (
        sa.select(a.c.id)
        .where(a.c.post_id == p.c.id, a.c.rotation_due_at.is_not(None), a.c.kind == "official")
        .exists()
    )
    with registry.read() as conn:
        rows = conn.execute(
            sa.select(p.c.slug, pending.label("pending"), sa.func.max(c.c.claimed_at))
            .join(c, c.c.post_id == p.c.id)
            .where(c.c.direction == "received")
            .group_by(p.c.slug, p.c.id)
            .order_by(sa.func.max(c.c.claimed_at).desc())
        ).all()
    return [(r.slug, bool(r.pending)) for r in rows]


def current_password(registry: Registry, ref: str) -> str | None:
    from vault.records import credentials

    return credentials.reveal(registry, ref)[1].password


def record_password(registry: Registry, ref: str, password: str) -> None:
    """The new password, once the platform has taken it: the rotation is recorded."""
    from vault.records import credentials

    credentials.set_password(registry, ref, password, rotate=True)


def check_code(seed_text: str, code: str, now: int) -> bool:
    """Whether ``code`` is the seed's code now, or one step either side (a phone's clock may be
    a little off, and a person takes a moment to type)."""
    from vault.crypto import totp

    seed = totp.parse(seed_text)
    wanted = code.replace(" ", "")
    return any(seed.code(now + step * seed.period)[0] == wanted for step in (-1, 0, 1))


def record_totp(registry: Registry, ref: str, seed_text: str) -> None:
    from vault.records import credentials

    credentials.set_totp(registry, ref, seed_text)


def totp_uri(seed_text: str, ref: str) -> str:
    """The otpauth:// URI a phone authenticator enrols from (shown as a QR code)."""
    from vault.crypto import totp

    seed = totp.parse(seed_text)
    return seed._replace(label=seed.label or ref).uri()


def finish(registry: Registry, post: str, into: Path) -> Finished:
    """The rotation report (for the IT cell) and the charge report (taken over), written into
    ``into`` once every account is changed."""
    from vault.exchange import charge as charges
    from vault.exchange.handovers import CHECKLIST
    from vault.store import files

    reported, data = claim.make_report(registry, post, None)
    rotation = into / f"{post}.rotation"
    files.write_whole(rotation, data)  # a resumed flow writes it again
    found = charges.charge(registry, post)
    pdf = reports.charge_pdf(
        found, checklist=CHECKLIST, made=registry.clock(), registry=registry.location.display
    )
    report = into / "charge-report-taken-over.pdf"
    files.write_whole(report, pdf)
    return Finished(rotation, report, reported.rotated, reported.accounts)
