"""Unlocking and locking the registry, and the language of the pages."""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, redirect, render_template, request, send_file, url_for

from handover import i18n
from handover.web.desk import Desk
from handover.web.forms import attempt


def back_to(target: str | None, default: str = "/") -> str:
    """A path on this server to return to: never another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def register(app: Flask, desk: Desk) -> None:
    @app.route("/unlock", methods=["GET", "POST"])
    def unlock() -> Any:
        target = back_to(request.values.get("next"))
        if desk.unlocked:
            return redirect(target, code=303)
        if request.method == "GET":
            return render_template(
                "unlock.html", target=target, errors={}, identity=bool(desk.identity_spec)
            )
        values = {"passphrase": request.form.get("passphrase", "")}
        _done, outcome = attempt(
            lambda: desk.unlock(values["passphrase"], request.form.get("identity_passphrase")), {}
        )
        if outcome:
            return redirect(target, code=303)
        errors = {"passphrase": outcome.errors.pop("", ""), **outcome.errors}
        return render_template(
            "unlock.html", target=target, errors=errors, identity=bool(desk.identity_spec)
        ), 400

    @app.post("/lock")
    def lock() -> Any:
        desk.lock()
        return redirect(url_for("unlock"), code=303)

    @app.post("/language")
    def language() -> Any:
        chosen = request.form.get("lang", "en")
        if chosen in i18n.LANGUAGES:
            desk.lang = chosen
        return redirect(back_to(request.form.get("back")), code=303)

    @app.get("/download/<key>")
    def download(key: str) -> Any:
        """A file this server wrote (a packet, a card, a receipt, a report), under the random
        key it was offered with; the keys go with the lock."""
        offered = desk.downloads.get(key)
        if offered is None or not offered.path.is_file():
            abort(404)
        return send_file(
            offered.path, mimetype=offered.mimetype, as_attachment=True,
            download_name=offered.name, max_age=0,
        )  # fmt: skip
