"""Hand over my post (the ``give`` flow): the post and the successor, their card's safety code
read together, the preview with every warning, then the packet, the sender's card and the
charge report to download. The steps are :mod:`handover.give`'s; this only asks between them.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, redirect, render_template, request, url_for

from handover.i18n import translate as _
from handover.web.desk import Desk
from handover.web.forms import attempt
from handover.web.pages.common import form_values, given, registry_of

MIMETYPES = {".pdf": "application/pdf", ".txt": "text/plain; charset=utf-8"}


def register(app: Flask, desk: Desk) -> None:
    @app.route("/give", methods=["GET", "POST"])
    def give_start() -> Any:
        from handover import give as core

        reg = registry_of(desk)
        held = core.posts_to_give(reg)
        values = form_values("post", "to")
        errors: dict[str, str] = {}
        if request.method == "POST":
            upload = request.files.get("card")
            data = upload.read() if upload is not None else b""
            if not values["post"]:
                errors["post"] = _("Which post do you hand over?")
            elif data:
                successor, outcome = attempt(lambda: core.read_successor(reg, data), values)
                if successor is not None:
                    desk.flow["give"] = {"post": values["post"], "successor": successor}
                    if successor.needs_confirming:
                        return redirect(url_for("give_check"), code=303)
                    desk.flow["give"]["to"] = successor.card.officer
                    return redirect(url_for("give_preview"), code=303)
                errors = {"card": outcome.errors.pop("", ""), **outcome.errors}
            else:
                to, outcome = attempt(
                    lambda: core.successor_on_record(reg, values["to"].strip()), values
                )
                if to is not None:
                    desk.flow["give"] = {"post": values["post"], "to": to}
                    return redirect(url_for("give_preview"), code=303)
                errors = {"to": outcome.errors.pop("", ""), **outcome.errors}
        elif len(held) == 1:
            values["post"] = held[0].post
        return render_template(
            "give_start.html", held=held, v=values, errors=errors
        ), 400 if errors else 200

    @app.route("/give/check", methods=["GET", "POST"])
    def give_check() -> Any:
        from handover import give as core

        state = desk.flow.get("give")
        if not state or "successor" not in state:
            return redirect(url_for("give_start"), code=303)
        values = form_values("confirmed", "match")
        errors: dict[str, str] = {}
        if request.method == "POST":
            if values["match"] != "yes":
                desk.flow.pop("give", None)
                errors[""] = _("the safety codes do not match: the card was not imported")
            elif not values["confirmed"].strip():
                errors["confirmed"] = _("How did you read the codes to each other?")
            else:
                to, outcome = attempt(
                    lambda: core.accept_successor(
                        registry_of(desk), state["successor"], values["confirmed"].strip()
                    ),
                    values,
                )
                if to is not None:
                    state["to"] = to
                    return redirect(url_for("give_preview"), code=303)
                errors = outcome.errors
        return render_template(
            "give_check.html", card=state["successor"].card, v=values, errors=errors
        ), 400 if errors else 200

    @app.route("/give/preview", methods=["GET", "POST"])
    def give_preview() -> Any:
        from handover import give as core
        from handover import packet
        from vault.exchange.preview import preview

        state = desk.flow.get("give")
        if not state or "to" not in state:
            return redirect(url_for("give_start"), code=303)
        reg = registry_of(desk)
        values = form_values("expires")
        errors: dict[str, str] = {}
        if request.method == "POST":
            made, outcome = attempt(
                lambda: core.make_folder(
                    reg,
                    state["post"],
                    state["to"],
                    into=desk.out_dir,
                    lifetime=packet.parse_duration(values["expires"])
                    if given(values["expires"])
                    else None,
                ),
                values,
            )
            if made is not None:
                desk.flow["given"] = made
                desk.flow.pop("give", None)
                return redirect(url_for("give_done"), code=303)
            errors = outcome.errors
        shown, outcome = attempt(lambda: preview(reg, state["post"]), {})
        if shown is None:
            desk.flow.pop("give", None)
            return render_template("error.html", message=outcome.errors[""]), 400
        return render_template(
            "give_preview.html", p=shown, to=state["to"], v=values, errors=errors
        ), 400 if errors else 200

    @app.get("/give/done")
    def give_done() -> Any:
        made = desk.flow.get("given")
        if made is None:
            return redirect(url_for("give_start"), code=303)
        files = [
            (
                name,
                desk.offer(
                    made.folder / name,
                    MIMETYPES.get((made.folder / name).suffix, "application/octet-stream"),
                ),
            )
            for name in made.files
        ]
        read_me = (made.folder / "READ-ME.txt").read_text(encoding="utf-8")
        return render_template("give_done.html", made=made, files=files, read_me=read_me)
