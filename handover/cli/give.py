"""``handover give``: hand over a post, guided, for the outgoing officer."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from handover.cli import context, flows
from handover.i18n import translate as _
from handover.i18n import when
from handover.output import inert

if TYPE_CHECKING:
    from vault.exchange.preview import Preview
    from vault.store.storage import Registry

app = typer.Typer(rich_markup_mode=None, add_completion=False)

TWOFA_SHORT = {"totp": "app", "sms": "SMS", "hardware-key": "key", "none": "-", "unknown": "?"}


@app.command("give")
def give(
    post: Annotated[
        str | None,
        typer.Option("--post", help="The post you hand over (default: ask; or the one you hold)."),
    ] = None,
    to: Annotated[
        str | None,
        typer.Option("--to", help="Your successor's officer id, when their card is on record."),
    ] = None,
    to_card: Annotated[
        Path | None,
        typer.Option("--to-card", metavar="FILE", help="Your successor's identity card."),
    ] = None,
    confirmed: Annotated[
        str | None,
        typer.Option(
            "--confirmed",
            metavar="TEXT",
            help="How you and your successor read the card's safety code to each other (who, "
            "how, when); else asked on the terminal.",
        ),
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="Make the packet after the preview without asking.")
    ] = False,
    out_dir: Annotated[
        Path,
        typer.Option("--out-dir", metavar="DIR", help="Where to write the handover folder."),
    ] = Path(),
    expires: Annotated[
        str | None,
        typer.Option("--expires", help="Lifetime of the packet, e.g. 14d (at most 90 days)."),
    ] = None,
    sender: Annotated[
        str | None,
        typer.Option("--from", help="Sign as this IT cell member instead of the holder."),
    ] = None,
    reason: Annotated[
        str | None,
        typer.Option("--reason", help="Why the IT cell signs instead of the holder."),
    ] = None,
) -> None:
    """Hand over a post, step by step: choose the post and your successor, read your safety
    codes aloud, see what goes in and what is missing, then get a folder with the packet, your
    card, the charge report and a READ-ME saying what to send to whom.

    Every question has an option, so this also runs without a terminal.

    \b
    Examples:
      handover give
      handover --lang gu give --post collector-ahmedabad --to-card ravi.card \\
          --confirmed "phone call with Ravi Desai, 2026-12-01" --yes --out-dir /media/usb
    """
    from handover import give as core
    from handover import packet
    from vault.exchange.preview import preview

    lifetime = packet.parse_duration(expires) if expires else None
    with context.registry() as reg:
        context.speak(reg)
        flows.title(_("Handing over a post"))
        chosen = post or _choose_post(reg)
        successor = _successor(reg, to, to_card, confirmed)
        shown = preview(reg, chosen)
        _show_preview(shown)
        if not yes and not flows.confirm(
            _("Make the packet for {officer}?").format(officer=successor), flag="--yes"
        ):
            flows.say(_("Nothing was made."))
            raise typer.Exit(1)
        given = core.make_folder(
            reg, chosen, successor, into=out_dir, lifetime=lifetime, sender=sender, reason=reason
        )
    flows.title(_("Done: {folder}").format(folder=given.folder))
    flows.say((given.folder / "READ-ME.txt").read_text(encoding="utf-8"))
    flows.say(
        _("Packet {packet_id} (handover {sequence} of {post}), valid until {moment}.").format(
            packet_id=given.made.packet_id,
            sequence=given.made.sequence,
            post=given.made.post,
            moment=when(given.made.expires),
        )
    )


def _choose_post(reg: Registry) -> str:
    from handover import give as core
    from handover.errors import UsageError

    held = core.posts_to_give(reg)
    if not held:
        raise UsageError(
            _(
                "no post here is held by an officer whose keys are on this machine: give --post "
                "(and --from for the IT cell)"
            )
        )
    if len(held) == 1:
        flows.say(_("Post: {title} ({post})").format(title=held[0].title, post=held[0].post))
        return held[0].post
    n = flows.choose(
        _("Which post do you hand over?"),
        [f"{h.title} ({h.post}), {h.name}" for h in held],
        flag="--post",
    )
    return held[n].post


def _successor(reg: Registry, to: str | None, card_file: Path | None, confirmed: str | None) -> str:
    """The successor's officer id, once their card is on record (imported now if given)."""
    from handover import give as core
    from handover.errors import UsageError

    if card_file is not None:
        successor = core.read_successor(reg, context.read_file(card_file))
        if successor.needs_confirming:
            info = successor.card
            flows.title(_("Your successor's card"))
            flows.say(f"{info.officer} ({inert(info.name)})")
            flows.say(_("safety code {code}").format(code=info.safety_code))
            if confirmed is None:
                flows.say(
                    _("Ask {name} to read their safety code aloud, digit by digit.").format(
                        name=inert(info.name)
                    )
                )
                if not flows.confirm(_("Do the codes match?"), flag="--confirmed TEXT"):
                    raise UsageError(_("the safety codes do not match: the card was not imported"))
                confirmed = "safety code read aloud and confirmed at the terminal (handover give)"
        return core.accept_successor(reg, successor, confirmed or "")
    if to is None:
        to = flows.ask(_("Officer id of your successor (as on their card)"), flag="--to")
    return core.successor_on_record(reg, to)


def _show_preview(shown: Preview) -> None:
    flows.title(_("What goes in"))
    flows.say(
        _("{title} ({post}), held by {holder}").format(
            title=inert(shown.title), post=shown.post, holder=inert(shown.holder_name or "-")
        )
    )
    flows.say(_("Accounts: {n}").format(n=len(shown.accounts)))
    for a in shown.accounts:
        have = [
            _("password") if a.password else _("NO PASSWORD"),
            _("authenticator seed") if a.totp else "",
            _("recovery codes") if a.recovery_codes else "",
        ]
        flows.say(
            f"  {a.ref:<32} {a.verification:<11} 2FA {TWOFA_SHORT.get(a.twofa_method, '?'):<4} "
            + ", ".join(h for h in have if h)
        )
        for role in a.roles:
            flows.say("      " + _("page role {role}").format(role=inert(role)))
    flows.say(_("Groups: {n}").format(n=len(shown.groups)))
    for g in shown.groups:
        flows.say(f"  {inert(g.name)} ({g.slug})")
    if shown.warnings:
        flows.title(_("Before you send it ({n} warnings)").format(n=len(shown.warnings)))
        for w in shown.warnings:
            flows.say(f"  [{w.severity.value}] {inert(w.reason)}")
            flows.say(f"      -> {inert(w.remedy)}")
    else:
        flows.say(_("No warnings."))
