"""The Flask application: the checks every request passes, the language of the page, and the
one place where the core's errors become the message a page shows.

Requests are handled one at a time (the server runs one thread): there is one user, one open
registry, and the language in use is the process's own (:mod:`handover.i18n`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, g, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from handover import i18n
from handover.i18n import translate as _
from handover.web import security
from handover.web.desk import Desk

FONTS = Path(__file__).resolve().parent.parent / "fonts"
# A packet or a card is a few kilobytes; an upload larger than this is refused unread.
MAX_UPLOAD = 2 * 1024 * 1024
# Pages that need no unlocked registry.
OPEN_PAGES = frozenset({"start", "unlock", "lock", "language", "static", "font"})


def create_app(desk: Desk, gate: security.Gate, port: int) -> Flask:
    from handover.web import pages

    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.config.update(MAX_CONTENT_LENGTH=MAX_UPLOAD, TEMPLATES_AUTO_RELOAD=False)
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_,
        ngettext=lambda one, many, n: _(one if n == 1 else many),
        newstyle=False,
    )
    app.jinja_env.filters["labelled"] = lambda items: [(i, _(i)) for i in items]
    app.jinja_env.filters["when"] = i18n.when
    app.extensions["handover.desk"] = desk
    hosts = security.allowed_hosts(port)
    cookie = security.cookie_name(port)

    @app.before_request
    def guard() -> Any:
        if request.host not in hosts:
            return refused(400, "this server answers only to 127.0.0.1, [::1] and localhost")
        if request.endpoint == "start":
            return None
        if not gate.admits(request.cookies.get(cookie)):
            return refused(403, "open the address that 'handover serve' printed")
        if request.method == "POST" and (
            security.cross_site(
                request.headers.get("Origin"), request.headers.get("Sec-Fetch-Site"), port
            )
            or not gate.checks(request.form.get("csrf"))
        ):
            return refused(403, "refused: this form was not sent from this page")
        g.csrf = gate.csrf
        if desk.unlocked and desk.idle.expired():  # the watcher's tick may be yet to come
            desk.lock_idle()
        i18n.choose(desk.lang)
        if not desk.unlocked and request.endpoint not in OPEN_PAGES:
            return redirect(url_for("unlock", next=request.path), code=303)
        if desk.unlocked and request.endpoint not in ("static", "font"):
            desk.idle.touch()
        return None

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.update(security.HEADERS)
        # The path only: a query string could carry the start token.
        sys.stderr.write(
            f"handover serve: {request.method} {request.path} {response.status_code}\n"
        )
        return response

    @app.context_processor
    def page() -> dict[str, Any]:
        return {
            "languages": i18n.LANGUAGES,
            "lang": i18n.language(),
            "unlocked": desk.unlocked,
            "csrf": g.get("csrf", ""),
            "idle_ms": int(desk.idle.seconds * 1000),
            "reveal_ms": desk.reveal_seconds * 1000,
        }

    @app.get("/start")
    def start() -> Any:
        session = gate.exchange(request.args.get("token"))
        if session is None:
            return refused(403, "this address was used already: start 'handover serve' again")
        response = redirect(url_for("overview"), code=303)
        response.set_cookie(
            cookie, session, httponly=True, samesite="Strict", path="/", secure=False
        )
        return response

    @app.get("/font/<name>")
    def font(name: str) -> Any:
        from flask import send_from_directory

        if not name.endswith(".ttf"):
            abort(404)
        return send_from_directory(FONTS, name, mimetype="font/ttf")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        return refused(exc.code or 500, exc.description or exc.name)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Any:
        from handover.web.forms import message_of

        known = message_of(exc)
        if known is not None:
            return render_template("error.html", message=known), 400
        # By type only, like the command line: the message could hold a secret.
        sys.stderr.write(f"handover serve: unexpected {type(exc).__name__}\n")
        return render_template("error.html", message=f"unexpected {type(exc).__name__}"), 500

    pages.register(app, desk)
    return app


def refused(code: int, message: str) -> Response:
    """A refusal as plain text: it is shown before any session or language exists."""
    return Response(f"handover: {message}\n", status=code, mimetype="text/plain")
