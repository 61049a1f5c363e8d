"""``handover take``: take charge of a post, guided, for the incoming officer."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from handover.cli import context, flows
from handover.errors import UsageError
from handover.i18n import translate as _
from handover.i18n import when
from handover.output import inert

if TYPE_CHECKING:
    from handover.take import ToChange
    from vault.store.storage import Registry

app = typer.Typer(rich_markup_mode=None, add_completion=False)


@app.command("take")
def take(
    packet_file: Annotated[
        Path | None,
        typer.Argument(help="The packet you were sent (not with --resume).", metavar="FILE"),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Go on changing the accounts of a post taken before.")
    ] = False,
    post: Annotated[
        str | None, typer.Option("--post", help="With --resume: the post (when you took several).")
    ] = None,
    card: Annotated[
        Path | None,
        typer.Option(
            "--card", metavar="FILE", help="The sender's card (default: the one beside the packet)."
        ),
    ] = None,
    confirmed: Annotated[
        str | None,
        typer.Option(
            "--confirmed",
            metavar="TEXT",
            help="How you and the sender read the safety code to each other, when their card is "
            "imported now; else asked on the terminal.",
        ),
    ] = None,
    yes: Annotated[
        bool,
        typer.Option(
            "--yes",
            help="Take the packet without asking; with --generate, record the new passwords "
            "as accepted by the platforms.",
        ),
    ] = False,
    generate: Annotated[
        bool,
        typer.Option("--generate", help="Without a terminal: a new password for every account."),
    ] = False,
    length: Annotated[
        int, typer.Option("--length", help="Length of generated passwords (12 to 128).")
    ] = 20,
    totp_file: Annotated[
        Path | None,
        typer.Option(
            "--totp",
            metavar="FILE",
            help="Without a terminal: new authenticator seeds, one 'ACCOUNT SEED-OR-URI' a line.",
        ),
    ] = None,
    roles_changed: Annotated[
        bool,
        typer.Option(
            "--roles-changed",
            help="Without a terminal: you removed the outgoing officer's page roles on the "
            "platforms and took them; record it.",
        ),
    ] = False,
    receipt: Annotated[
        Path | None,
        typer.Option("--receipt", metavar="FILE", help="Where to write the receipt."),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out-dir",
            metavar="DIR",
            help="Where to write the receipt and reports (default: the packet's folder).",
        ),
    ] = None,
) -> None:
    """Take charge of a post, step by step: check who sent the packet and read the safety code
    together, take the packet, then change each account's password (a new one can be made for
    you) and authenticator, and finally write the receipt, the rotation report and the charge
    report. Stop whenever you like: 'handover take --resume' goes on where you left off.

    Every question has an option, so this also runs without a terminal.

    \b
    Examples:
      handover take handover-collector-ahmedabad-2026-12-01/collector-ahmedabad.handover
      handover take --resume
      handover --lang gu take p.handover --confirmed "phone call, 2026-12-01" --yes --generate
    """
    from handover.take import posts_taken

    if resume == (packet_file is not None):
        raise UsageError(_("give the packet FILE, or --resume (not both)"))
    seeds = _read_seeds(totp_file)
    with context.registry() as reg:
        context.speak(reg)
        if packet_file is not None:
            folder = out_dir or packet_file.parent
            chosen = _take_packet(reg, packet_file, card, confirmed, yes, receipt, folder)
        else:
            folder = out_dir or Path()
            chosen = post or _post_to_resume(posts_taken(reg))
        _change_accounts(reg, chosen, generate=generate, yes=yes, length=length, seeds=seeds)
        interactive = sys.stdin.isatty() and not (generate or seeds or roles_changed)
        _change_roles(reg, chosen, interactive=interactive, done=roles_changed)
        _finish(reg, chosen, folder)


def _post_to_resume(taken: list[tuple[str, bool]]) -> str:
    """The post to go on with: the one with accounts still to change (asked, when several),
    else the one taken last, whose reports are then written again."""
    if not taken:
        raise UsageError(_("you have not taken any post in this registry: give the packet FILE"))
    waiting = [slug for slug, pending in taken if pending]
    if len(waiting) > 1:
        return waiting[flows.choose(_("Which post?"), waiting, flag="--post")]
    return waiting[0] if waiting else taken[0][0]


def _read_seeds(path: Path | None) -> dict[str, str]:
    if path is None:
        return {}
    seeds = {}
    for n, line in enumerate(context.read_file(path).decode("utf-8").splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#"):
            ref, _sep, seed = line.strip().partition(" ")
            if not seed.strip():
                raise UsageError(f"{path}:{n}: write 'ACCOUNT SEED-OR-URI'")
            seeds[ref.strip()] = seed.strip()
    return seeds


def _take_packet(
    reg: Registry,
    packet_file: Path,
    card_file: Path | None,
    confirmed: str | None,
    yes: bool,
    receipt: Path | None,
    folder: Path,
) -> str:
    from handover import packet
    from handover.card import read
    from handover.claim import claim
    from handover.take import accept_sender, sender_card, sender_to_confirm

    data = context.read_file(packet_file)
    info = packet.inspect(data, context.now(), reg)
    sender = info.sender["officer"]
    flows.title(_("The packet"))
    flows.say(
        _("Post: {title} ({post})").format(title=inert(info.post["title"]), post=info.post["slug"])
    )
    flows.say(
        _("From: {name} ({officer})").format(
            name=inert(info.sender_on_record or info.sender["name"]), officer=sender
        )
    )
    flows.say(
        _("Signed as: {capacity}").format(
            capacity=_("the holder of the post")
            if info.capacity == "holder"
            else _("the IT cell, for the department") + f" ({inert(info.reason or '')})"
        )
    )
    flows.say(_("To: {officer}").format(officer=info.recipient["officer"]))
    flows.say(_("Valid until: {moment}").format(moment=when(info.expires)))
    flows.say(_("Safety code of the sender") + f":  {info.sender_safety_code}")
    given = read(context.read_file(card_file)) if card_file else sender_card(packet_file, sender)
    found = sender_to_confirm(info, given)
    if found is not None:
        if confirmed is None:
            flows.say(
                _("Ask {name} to read their safety code aloud, digit by digit.").format(
                    name=inert(found.name)
                )
            )
            if not flows.confirm(_("Do the codes match?"), flag="--confirmed TEXT"):
                raise UsageError(_("the safety codes do not match: nothing was taken"))
            confirmed = "safety code read aloud and confirmed at the terminal (handover take)"
        accept_sender(reg, found, confirmed)
    if not yes and not flows.confirm(_("Take charge of this post?"), flag="--yes"):
        flows.say(_("Nothing was taken."))
        raise typer.Exit(1)
    target = receipt or folder / f"{info.post['slug']}.receipt"
    done = claim(
        reg,
        data,
        write_receipt=lambda r: context.write_new_file(
            target, r, exists="choose another --receipt", same_is_done=True
        ),
    )
    flows.title(_("You hold {post} now").format(post=done.post))
    flows.say(
        _("Receipt written to {path}: send it to {officer}.").format(
            path=target, officer=done.sender
        )
    )
    flows.say(_("Change every account before {moment}.").format(moment=when(done.rotation_due)))
    return done.post


def _change_accounts(
    reg: Registry, post: str, *, generate: bool, yes: bool, length: int, seeds: dict[str, str]
) -> None:
    from handover.take import to_change

    waiting = to_change(reg, post)
    interactive = sys.stdin.isatty() and not (generate or seeds)
    for n, account in enumerate(waiting, 1):
        flows.title(f"[{n}/{len(waiting)}] {account.ref}")
        flows.say(
            _("Login: {email} {phone}").format(
                email=account.login_email or "-", phone=account.login_phone or ""
            )
        )
        if interactive:
            _change_one(reg, account, length)
        else:
            _change_by_options(reg, account, generate=generate, yes=yes, length=length, seeds=seeds)


def _change_roles(reg: Registry, post: str, *, interactive: bool, done: bool) -> None:
    """Page roles held in person by others on the post's pages: removed on the platform, the
    new holder added, then recorded."""
    from handover.take import record_role, roles_to_change

    me, pending = roles_to_change(reg, post)
    if not pending:
        return
    flows.title(_("Page roles"))
    for role in pending:
        flows.say(
            "  "
            + _("{account}: {officer} is {role}; remove them, and make yourself {role}.").format(
                account=role.account, officer=role.holder, role=role.role
            )
        )
        if interactive:
            done = flows.confirm("  " + _("Done on the platform?"), flag="--roles-changed")
        if done:
            record_role(reg, role, me)
            flows.say("  " + _("Recorded."))
        else:
            flows.say("  " + _("Not recorded: the audit reports the role until it is."))


def _change_one(reg: Registry, account: ToChange, length: int) -> None:
    from handover import clipboard
    from handover import take as core
    from vault.crypto import passwords

    handed = core.current_password(reg, account.ref)
    if handed is None:
        flows.say("  " + _("(none was handed over)"))
    elif clipboard.program() and flows.confirm(
        "  " + _("Copy the password you were handed to the clipboard?"), flag="--generate"
    ):
        _copied(handed)
    elif flows.confirm("  " + _("Show the password you were handed?"), flag="--generate"):
        flows.say(f"  {handed}")
    options = [_("make a new one for me"), _("I type my own"), _("later")]
    picked = flows.choose("  " + _("New password"), options, flag="--generate")
    new = None
    if picked == 0:
        new = passwords.generate(length)
        if clipboard.program():
            _copied(new)
        else:
            flows.say("  " + _("New password:") + f"  {new}")
    elif picked == 1:
        new = flows.ask_secret("  " + _("New password"), flag="--generate")
    if new:
        flows.say("  " + _("Change it on the platform now."))
        if flows.confirm("  " + _("Did the platform accept the new password?"), flag="--yes"):
            core.record_password(reg, account.ref, new)
            flows.say("  " + _("Recorded."))
        else:
            flows.say("  " + _("Not recorded: the account stays to change."))
    if account.twofa_method == "totp" or account.has_totp:
        _new_authenticator(reg, account)


def _copied(secret: str) -> None:
    from handover import clipboard

    if clipboard.copy(secret):
        flows.say("  " + _("Copied to the clipboard: paste it on the platform."))
    else:
        flows.say("  " + _("The clipboard did not take it; here it is:") + f"  {secret}")


def _new_authenticator(reg: Registry, account: ToChange) -> None:
    import time

    import segno

    from handover import take as core

    flows.say(
        "  "
        + _(
            "On the platform, set up the authenticator app again: it shows a new setup key "
            "(or a QR code with an otpauth:// link)."
        )
    )
    seed = flows.ask(
        "  " + _("New setup key or otpauth:// link (Enter to skip)"), flag="--totp FILE"
    )
    if not seed:
        return
    segno.make(core.totp_uri(seed, account.ref), error="m").terminal(compact=True)
    flows.say("  " + _("Scan this code with the phone that will hold the authenticator."))
    for _attempt in range(3):
        code = flows.ask("  " + _("The code your phone shows now"), flag="--totp FILE")
        if core.check_code(seed, code, int(time.time())):
            core.record_totp(reg, account.ref, seed)
            flows.say("  " + _("Recorded."))
            return
        flows.say("  " + _("That is not the code for this key; try again."))
    flows.say("  " + _("Not recorded: the authenticator stays to change."))


def _change_by_options(
    reg: Registry,
    account: ToChange,
    *,
    generate: bool,
    yes: bool,
    length: int,
    seeds: dict[str, str],
) -> None:
    from handover import take as core
    from vault.crypto import passwords

    if generate and yes:
        core.record_password(reg, account.ref, passwords.generate(length))
        flows.say("  " + _("New password recorded (see it with 'handover account show --reveal')."))
    else:
        flows.say("  " + _("Password not changed (give --generate --yes, or use a terminal)."))
    if account.ref in seeds:
        core.record_totp(reg, account.ref, seeds[account.ref])
        flows.say("  " + _("New authenticator seed recorded."))


def _finish(reg: Registry, post: str, folder: Path) -> None:
    from handover import take as core

    left = core.to_change(reg, post)
    if left:
        flows.title(_("{n} accounts still to change").format(n=len(left)))
        flows.say(
            _("When you have changed them, run: handover take --resume --post {post}").format(
                post=post
            )
        )
        return
    done = core.finish(reg, post, folder)
    flows.title(_("Every account is changed"))
    flows.say(
        _("Rotation report: {path}: send it to the IT cell.").format(path=done.rotation_report)
    )
    flows.say(
        _("Charge report: {path}: print it; both officers and the IT cell sign it.").format(
            path=done.charge_report
        )
    )
