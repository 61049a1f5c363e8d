"""The register: posts, officers, accounts and groups; lists with filters and search, a page
per record with its history, and the forms that change them (the core's own rules and
messages: official contacts, overrides with a reason, verification with evidence)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Flask, redirect, render_template, request, url_for

from handover.web.desk import Desk
from handover.web.forms import attempt
from handover.web.pages.common import form_values, given, parse_day, registry_of

LEVELS = ("state", "hod", "district")
PLATFORMS = ("x", "facebook", "instagram", "youtube", "whatsapp")
STATES = ("unverified", "applied", "verified", "rejected", "lapsed")
TWOFA = ("unknown", "none", "sms", "totp", "hardware-key")
ACCOUNT_FIELDS = (
    "ref", "post", "officer", "kind", "url", "login_email", "login_phone", "recovery_email",
    "recovery_phone", "twofa", "twofa_phone", "twofa_holder", "allow_personal", "status",
    "evidence",
)  # fmt: skip


def matches(query: str, *texts: object) -> bool:
    """The search box: every word of it somewhere in the record's texts, in any case."""
    words = query.lower().split()
    haystack = " ".join(str(t) for t in texts if t).lower()
    return all(w in haystack for w in words)


def history(desk: Desk, ref: str) -> list[Any]:
    from vault.log.entries import list_entries

    return list_entries(registry_of(desk), obj=ref)


def account_of(reg: Any, ref: str) -> Any:
    """An account's record, without its page roles (the one place this page reads it)."""
    from vault.records import accounts

    with reg.reads() as db:
        return accounts.show_in(db, accounts.row_by_ref(db, ref))


def _filters(*names: str) -> dict[str, str]:
    return {n: request.args.get(n, "").strip() for n in names}


def _fields(values: dict[str, str]) -> Any:
    """The account's fields as the form gives them; an emptied field is cleared, as ``""`` on
    the command line."""
    from vault.records.account_changes import AccountFields

    return AccountFields(
        post=values["post"],
        officer=values["officer"],
        kind=given(values["kind"]),
        url=values["url"],
        login_email=values["login_email"],
        login_phone=values["login_phone"],
        recovery_email=values["recovery_email"],
        recovery_phone=values["recovery_phone"],
        twofa=given(values["twofa"]),
        twofa_phone=values["twofa_phone"],
        twofa_holder=values["twofa_holder"],
        allow_personal=given(values["allow_personal"]),
    )


def register(app: Flask, desk: Desk) -> None:
    @app.get("/posts")
    def post_list() -> Any:
        from vault.records import posts

        f = _filters("level", "district", "vacant", "q")
        found, outcome = attempt(
            lambda: posts.list_posts(
                registry_of(desk),
                level=given(f["level"]),
                district=given(f["district"]),
                vacant=True if f["vacant"] else None,
            ),
            f,
        )
        rows = [
            p
            for p in found or []
            if matches(f["q"], p.slug, p.title, p.district, p.holder, p.holder_name, p.email)
        ]
        return render_template("posts.html", rows=rows, f=f, errors=outcome.errors, levels=LEVELS)

    @app.get("/posts/<slug>")
    def post_show(slug: str) -> Any:
        from vault.records import posts

        detail = posts.show(registry_of(desk), slug)
        return render_template("post.html", d=detail, events=history(desk, detail.post.slug))

    @app.route("/posts/new", methods=["GET", "POST"])
    def post_new() -> Any:
        return _post_form(desk, None)

    @app.route("/posts/edit/<slug>", methods=["GET", "POST"])
    def post_edit(slug: str) -> Any:
        return _post_form(desk, slug)

    @app.route("/officers/new", methods=["GET", "POST"])
    def officer_new() -> Any:
        return _officer_form(desk, None)

    @app.route("/officers/edit/<service_id>", methods=["GET", "POST"])
    def officer_edit(service_id: str) -> Any:
        return _officer_form(desk, service_id)

    @app.route("/groups/new", methods=["GET", "POST"])
    def group_new() -> Any:
        from vault.records import groups

        names = ("slug", "name", "level", "platform", "district", "department", "admins")
        values = form_values(*names)
        errors: dict[str, str] = {}
        if request.method == "POST":
            admins = [a for a in values["admins"].replace(",", " ").split() if a]
            made, outcome = attempt(
                lambda: groups.add(
                    registry_of(desk),
                    values["slug"],
                    groups.GroupFields(
                        values["name"],
                        values["level"],
                        given(values["platform"]),
                        given(values["district"]),
                        given(values["department"]),
                    ),
                    admins,
                ),
                values,
            )
            if made is not None:
                return redirect(url_for("group_show", slug=made.slug), code=303)
            errors = outcome.errors
        return render_template(
            "group_form.html", v=values, errors=errors, levels=LEVELS, platforms=PLATFORMS
        ), 400 if errors else 200

    @app.get("/officers")
    def officer_list() -> Any:
        from vault.records import officers

        f = _filters("q")
        rows = [
            o
            for o in officers.list_officers(registry_of(desk))
            if matches(f["q"], o.service_id, o.name, o.grade, o.email, *o.posts)
        ]
        return render_template("officers.html", rows=rows, f=f)

    @app.get("/officers/<service_id>")
    def officer_show(service_id: str) -> Any:
        from vault.records import officers

        detail = officers.show(registry_of(desk), service_id)
        return render_template(
            "officer.html", d=detail, events=history(desk, detail.officer.service_id)
        )

    @app.get("/accounts")
    def account_list() -> Any:
        from vault.records import accounts

        f = _filters("platform", "status", "district", "level", "post", "q")
        found, outcome = attempt(
            lambda: list(
                accounts.iter_listing(
                    registry_of(desk),
                    accounts.Filters(
                        post=given(f["post"]),
                        district=given(f["district"]),
                        level=given(f["level"]),
                        platform=given(f["platform"]),
                        status=given(f["status"]),
                    ),
                )
            ),
            f,
        )
        rows = [a for a in found or [] if matches(f["q"], a.ref, a.post, a.officer, a.login_email)]
        return render_template(
            "accounts.html",
            rows=rows,
            f=f,
            errors=outcome.errors,
            platforms=PLATFORMS,
            states=STATES,
            levels=LEVELS,
        )

    @app.get("/accounts/<path:ref>")
    def account_show(ref: str) -> Any:

        account = account_of(registry_of(desk), ref)
        return render_template(
            "account.html",
            a=account,
            events=history(desk, account.ref),
            states=STATES,
            errors={},
            v={},
        )

    @app.post("/accounts/<path:ref>/verify")
    def account_verify(ref: str) -> Any:
        from vault.records import account_changes

        reg = registry_of(desk)
        values = form_values("status", "evidence", "on")
        done, outcome = attempt(
            lambda: account_changes.record_verification(
                reg,
                ref,
                values["status"],
                given(values["evidence"]),
                parse_day(reg, given(values["on"]), "--on"),
            ),
            values,
        )
        if done is not None:
            return redirect(url_for("account_show", ref=done.ref), code=303)
        account = account_of(reg, ref)
        return render_template(
            "account.html",
            a=account,
            events=history(desk, account.ref),
            states=STATES,
            errors=outcome.errors,
            v=values,
        ), 400

    @app.route("/account/new", methods=["GET", "POST"])
    def account_new() -> Any:
        from vault.records import account_changes

        values = form_values(*ACCOUNT_FIELDS)
        errors: dict[str, str] = {}
        if request.method == "POST":
            made, outcome = attempt(
                lambda: account_changes.add(
                    registry_of(desk),
                    values["ref"],
                    _fields(values),
                    given(values["status"]),
                    given(values["evidence"]),
                ),
                values,
            )
            if made is not None:
                return redirect(url_for("account_show", ref=made.ref), code=303)
            errors = outcome.errors
        else:
            values["post"] = request.args.get("post", "")
        return render_template(
            "account_form.html", v=values, errors=errors, adding=True, **_choices()
        ), 400 if errors else 200

    @app.route("/account/edit/<path:ref>", methods=["GET", "POST"])
    def account_edit(ref: str) -> Any:
        from vault.records import account_changes

        reg = registry_of(desk)
        values = form_values(*ACCOUNT_FIELDS)
        errors: dict[str, str] = {}
        if request.method == "POST":
            done, outcome = attempt(lambda: account_changes.edit(reg, ref, _fields(values)), values)
            if done is not None:
                return redirect(url_for("account_show", ref=done.ref), code=303)
            errors = outcome.errors
        else:
            a = account_of(reg, ref)
            values.update(
                ref=a.ref,
                post=a.post or "",
                officer=a.officer or "",
                kind=a.kind.value,
                url=a.url or "",
                login_email=a.login_email or "",
                login_phone=a.login_phone or "",
                recovery_email=a.recovery_email or "",
                recovery_phone=a.recovery_phone or "",
                twofa=a.twofa_method.value,
                twofa_phone=a.twofa_phone or "",
                twofa_holder=a.twofa_holder or "",
            )
        values["ref"] = ref
        return render_template(
            "account_form.html", v=values, errors=errors, adding=False, **_choices()
        ), 400 if errors else 200

    @app.get("/groups")
    def group_list() -> Any:
        from vault.records import groups

        f = _filters("level", "district", "q")
        found, outcome = attempt(
            lambda: groups.list_groups(
                registry_of(desk), level=given(f["level"]), district=given(f["district"])
            ),
            f,
        )
        rows = [g for g in found or [] if matches(f["q"], g.slug, g.name, g.district, *g.admins)]
        return render_template("groups.html", rows=rows, f=f, errors=outcome.errors, levels=LEVELS)

    @app.get("/groups/<slug>")
    def group_show(slug: str) -> Any:
        from vault.records import groups

        group = groups.show(registry_of(desk), slug)
        return render_template("group.html", g=group, events=history(desk, group.slug))


def _post_form(desk: Desk, slug: str | None) -> Any:
    """Add a post (``slug`` None) or edit one: the form shows what is recorded, and a field
    emptied is cleared, as ``""`` on the command line."""
    from vault.records import posts

    names = ("slug", "title", "level", "district", "department", "email", "phone")
    values = form_values(*names)
    errors: dict[str, str] = {}
    if request.method == "GET" and slug is not None:
        post = posts.show(registry_of(desk), slug).post
        values = {n: str(getattr(post, n, "") or "") for n in names}
    if request.method == "POST":
        fields = posts.PostFields(
            values["title"],
            values["level"],
            values["district"] if slug else given(values["district"]),
            values["department"] if slug else given(values["department"]),
            values["email"] if slug else given(values["email"]),
            values["phone"] if slug else given(values["phone"]),
        )
        made, outcome = attempt(
            lambda: (
                posts.add(registry_of(desk), values["slug"], fields)
                if slug is None
                else posts.edit(registry_of(desk), slug, fields)
            ),
            values,
        )
        if made is not None:
            return redirect(url_for("post_show", slug=made.slug), code=303)
        errors = outcome.errors
    return render_template(
        "post_form.html", v=values, errors=errors, levels=LEVELS, editing=slug
    ), 400 if errors else 200


def _officer_form(desk: Desk, service_id: str | None) -> Any:
    """Add an officer (``service_id`` None) or edit one, as :func:`_post_form` does posts."""
    from vault.records import officers

    names = ("service_id", "name", "grade", "email", "phone")
    values = form_values(*names)
    errors: dict[str, str] = {}
    if request.method == "GET" and service_id is not None:
        officer = officers.show(registry_of(desk), service_id).officer
        values = {n: str(getattr(officer, n, "") or "") for n in names}
    if request.method == "POST":
        fields = officers.OfficerFields(
            values["name"],
            values["grade"] if service_id else given(values["grade"]),
            values["email"] if service_id else given(values["email"]),
            values["phone"] if service_id else given(values["phone"]),
        )
        made, outcome = attempt(
            lambda: (
                officers.add(registry_of(desk), values["service_id"], fields)
                if service_id is None
                else officers.edit(registry_of(desk), service_id, fields)
            ),
            values,
        )
        if made is not None:
            return redirect(url_for("officer_show", service_id=made.service_id), code=303)
        errors = outcome.errors
    return render_template(
        "officer_form.html", v=values, errors=errors, editing=service_id
    ), 400 if errors else 200


def _choices() -> dict[str, Iterable[str]]:
    return {"platforms": PLATFORMS, "states": STATES, "twofa_methods": TWOFA}
