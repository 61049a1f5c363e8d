"""Take charge (the ``take`` flow): the packet uploaded, the sender confirmed by safety code,
the claim, then account by account: the handed-over password revealed or copied, a new one
generated and recorded once the platform took it, a new authenticator enrolled by QR code and
confirmed with a current code, page roles handed over; then the receipt, the rotation report
and the charge report to download.

The steps are :mod:`handover.take`'s and :func:`handover.claim.claim`. Progress is the
registry's own (which accounts are still to change), so closing the browser loses nothing.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from flask import Flask, abort, redirect, render_template, request, url_for

from handover.i18n import translate as _
from handover.web.desk import Desk
from handover.web.forms import attempt
from handover.web.pages.common import form_values, registry_of

RECEIPT = "application/octet-stream"
PDF = "application/pdf"


def folder_for(desk: Desk, post: str) -> Path:
    """Where the receipt and the reports of a post taken here are written."""
    folder = desk.out_dir / f"taken-{post}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def register(app: Flask, desk: Desk) -> None:
    @app.route("/take", methods=["GET", "POST"])
    def take_start() -> Any:
        from handover import packet
        from handover import take as core
        from handover.card import read

        reg = registry_of(desk)
        errors: dict[str, str] = {}
        if request.method == "POST":
            data = _upload("packet")
            card_data = _upload("card")
            if not data:
                errors["packet"] = _("Choose the packet you were sent (a .handover file).")
            else:

                def look() -> tuple[Any, Any]:
                    info = packet.inspect(data, reg.clock(), reg)
                    return info, core.sender_to_confirm(
                        info, read(card_data) if card_data else None
                    )

                found, outcome = attempt(look, {})
                if found is not None:
                    desk.flow["take"] = {"data": data, "info": found[0], "card": found[1]}
                    return redirect(url_for("take_check"), code=303)
                errors = {"packet": outcome.errors.pop("", ""), **outcome.errors}
        return render_template(
            "take_start.html", taken=core.posts_taken(reg), errors=errors
        ), 400 if errors else 200

    @app.route("/take/check", methods=["GET", "POST"])
    def take_check() -> Any:
        from handover import take as core
        from handover.claim import claim
        from vault.store import files

        state = desk.flow.get("take")
        if not state:
            return redirect(url_for("take_start"), code=303)
        reg = registry_of(desk)
        values = form_values("confirmed", "match")
        errors: dict[str, str] = {}
        if request.method == "POST":
            found = state["card"]
            if found is not None and values["match"] != "yes":
                desk.flow.pop("take", None)
                errors[""] = _("the safety codes do not match: nothing was taken")
            elif found is not None and not values["confirmed"].strip():
                errors["confirmed"] = _("How did you read the codes to each other?")
            else:
                post = state["info"].post["slug"]

                def take() -> Any:
                    if found is not None:
                        core.accept_sender(reg, found, values["confirmed"].strip())
                    target = folder_for(desk, post) / f"{post}.receipt"
                    return claim(
                        reg, state["data"], write_receipt=lambda r: files.write_whole(target, r)
                    )

                done, outcome = attempt(take, values)
                if done is not None:
                    desk.flow.pop("take", None)
                    return redirect(url_for("take_post", post=done.post), code=303)
                errors = outcome.errors
        return render_template(
            "take_check.html", info=state["info"], card=state["card"], v=values, errors=errors
        ), 400 if errors else 200

    @app.route("/take/<post>", methods=["GET", "POST"])
    def take_post(post: str) -> Any:
        from handover import take as core

        reg = registry_of(desk)
        me, roles = core.roles_to_change(reg, post)
        if request.method == "POST":
            # A page role changed on the platform: recorded, and the list shown again.
            wanted = (request.form.get("account"), request.form.get("role"))
            for role in roles:
                if (role.account, role.role) == wanted:
                    core.record_role(reg, role, me)
            return redirect(url_for("take_post", post=post), code=303)
        waiting = core.to_change(reg, post)
        receipt = folder_for(desk, post) / f"{post}.receipt"
        return render_template(
            "take_post.html",
            post=post,
            waiting=waiting,
            roles=roles,
            receipt=desk.offer(receipt, RECEIPT) if receipt.exists() else None,
        )

    @app.post("/take/<post>/finish")
    def take_finish(post: str) -> Any:
        from handover import take as core

        reg = registry_of(desk)
        if core.to_change(reg, post):
            return redirect(url_for("take_post", post=post), code=303)
        done = core.finish(reg, post, folder_for(desk, post))
        receipt = folder_for(desk, post) / f"{post}.receipt"
        files = [
            (done.rotation_report.name, desk.offer(done.rotation_report, RECEIPT)),
            (done.charge_report.name, desk.offer(done.charge_report, PDF)),
        ]
        if receipt.exists():
            files.insert(0, (receipt.name, desk.offer(receipt, RECEIPT)))
        return render_template("take_done.html", post=post, done=done, files=files)

    @app.route("/take/<post>/account/<path:ref>", methods=["GET", "POST"])
    def take_account(post: str, ref: str) -> Any:
        from handover import take as core
        from vault.crypto import passwords

        reg = registry_of(desk)
        account = next((a for a in core.official_accounts(reg, post) if a.ref == ref), None)
        if account is None:
            abort(404)
        wants_totp = account.twofa_method == "totp" or account.has_totp
        pending = desk.pending.setdefault(ref, {})
        step = request.form.get("step", "")
        values = form_values("password", "seed", "code")
        errors: dict[str, str] = {}
        shown: dict[str, str] = {}
        if step == "reveal":
            handed = core.current_password(reg, ref)
            shown["handed"] = handed if handed is not None else ""
            if handed is None:
                errors["handed"] = _("(none was handed over)")
        elif step == "generate":
            pending["password"] = passwords.generate(20)
            shown["new"] = pending["password"]
        elif step == "own":
            if values["password"]:
                pending["password"] = values["password"]
            else:
                errors["password"] = _("Type the new password, or make one.")
        elif step == "accepted":
            new = pending.pop("password", None)
            if new is None:
                errors["password"] = _("Make or type the new password first.")
            else:
                _done, outcome = attempt(lambda: core.record_password(reg, ref, new), {})
                errors.update(outcome.errors)
        elif step == "seed":
            uri, outcome = attempt(lambda: core.totp_uri(values["seed"].strip(), ref), values)
            if uri is not None:
                pending["seed"] = values["seed"].strip()
            errors.update(outcome.errors)
        elif step == "code":
            seed = pending.get("seed")
            if seed is None:
                errors["seed"] = _("Give the new setup key first.")
            elif core.check_code(seed, values["code"], int(time.time())):
                enrolled: str = seed
                _done, outcome = attempt(lambda: core.record_totp(reg, ref, enrolled), {})
                pending.pop("seed", None)
                errors.update(outcome.errors)
            else:
                errors["code"] = _("That is not the code for this key; try again.")
        elif step:
            abort(400)
        if (step == "accepted" and not errors and not wants_totp) or (
            step == "code" and not errors
        ):
            desk.pending.pop(ref, None)
            return redirect(url_for("take_post", post=post), code=303)
        if step == "accepted" and not errors:
            return redirect(url_for("take_account", post=post, ref=ref), code=303)
        seed = pending.get("seed")
        return render_template(
            "take_account.html",
            post=post,
            a=account,
            changed=all(a.ref != ref for a in core.to_change(reg, post)),
            shown=shown,
            has_password=bool(pending.get("password")),
            qr=_qr(core.totp_uri(seed, ref)) if seed else None,
            wants_totp=wants_totp,
            errors=errors,
        ), 400 if errors else 200


def _upload(name: str) -> bytes:
    upload = request.files.get(name)
    return upload.read() if upload is not None else b""


def _qr(uri: str) -> str:
    """The enrolment link as a QR code, an SVG data address for an ``<img>`` (no script)."""
    import segno

    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=2))
