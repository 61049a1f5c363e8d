"""Audit and reports: the findings with their remedies, filtered, and the same audit as CSV,
JSON or PDF to download; and the receipts and rotation reports an IT cell records."""

from __future__ import annotations

import io
from typing import Any

from flask import Flask, Response, abort, redirect, render_template, request, url_for

from handover.i18n import translate as _
from handover.web.desk import Desk
from handover.web.forms import attempt
from handover.web.pages.common import given, registry_of

LEVELS = ("state", "hod", "district")
SEVERITIES = ("critical", "high", "medium", "low")
FORMATS = {"csv": "text/csv; charset=utf-8", "json": "application/json", "pdf": "application/pdf"}


def register(app: Flask, desk: Desk) -> None:
    def run() -> tuple[Any, dict[str, str], dict[str, str]]:
        """The audit for the filters in the address; a bad filter is shown beside its box."""
        from vault import audit

        f = {n: request.args.get(n, "").strip() for n in ("level", "district", "post", "severity")}
        report, outcome = attempt(
            lambda: audit.run(
                registry_of(desk),
                audit.Filters(given(f["level"]), given(f["district"]), given(f["post"])),
            ),
            f,
        )
        return report, f, outcome.errors

    @app.get("/audit")
    def audit_page() -> Any:
        report, f, errors = run()
        findings = [
            x for x in (report.findings if report else []) if f["severity"] in ("", x.severity)
        ]
        remedies = {x.rule: x.remedy for x in findings}
        return render_template(
            "audit.html",
            findings=findings,
            remedies=remedies,
            counts=report.counts if report else {},
            f=f,
            errors=errors,
            levels=LEVELS,
            severities=SEVERITIES,
        ), 400 if errors else 200

    @app.get("/audit.<fmt>")
    def audit_download(fmt: str) -> Any:
        from handover import reports
        from vault.records import accounts
        from vault.store import settings

        if fmt not in FORMATS:
            abort(404)
        report, _f, _errors = run()
        if report is None:
            return redirect(f"{url_for('audit_page')}?{request.query_string.decode()}", code=303)
        reg = registry_of(desk)
        if fmt == "pdf":
            with reg.read() as conn:
                department = settings.read(conn, "department")
                verification = accounts.verification_by_platform(conn)
            body: str | bytes = reports.audit_pdf(
                report,
                department=department,
                registry=reg.location.display,
                made=reg.clock(),
                by=reg.actor,
                verification=verification,
            )
        else:
            text = io.StringIO()
            (reports.audit_json if fmt == "json" else reports.audit_csv)(report, text)
            body = text.getvalue()
        response = Response(body, mimetype=FORMATS[fmt])
        response.headers["Content-Disposition"] = f'attachment; filename="audit.{fmt}"'
        return response

    @app.route("/receipts", methods=["GET", "POST"])
    def receipts() -> Any:
        from handover.claim import is_report, record_receipt, record_report

        errors: dict[str, str] = {}
        recorded = ""
        if request.method == "POST":
            upload = request.files.get("receipt")
            data = upload.read() if upload is not None else b""
            reg = registry_of(desk)
            if not data:
                errors["receipt"] = _("Choose a receipt or a rotation report.")
            elif is_report(data):
                done, outcome = attempt(lambda: record_report(reg, data), {})
                if done is not None:
                    recorded = _(
                        "{officer} reports {rotated} of {accounts} accounts of {post} rotated"
                    ).format(
                        officer=done.officer,
                        rotated=done.rotated,
                        accounts=done.accounts,
                        post=done.post,
                    )
                errors = {"receipt": outcome.errors.pop("", ""), **outcome.errors}
            else:
                completed, outcome = attempt(lambda: record_receipt(reg, data), {})
                if completed is not None:
                    recorded = _(
                        "The handover of {post} from {outgoing} to {incoming} is complete."
                    ).format(
                        post=completed.post,
                        outgoing=completed.outgoing,
                        incoming=completed.incoming,
                    )
                errors = {"receipt": outcome.errors.pop("", ""), **outcome.errors}
            errors = {k: v for k, v in errors.items() if v}
        return render_template(
            "receipts.html", errors=errors, recorded=recorded
        ), 400 if errors else 200
