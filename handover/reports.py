"""Documents for the office file: the charge report of a handover, and the audit report.

A4 PDF, with every label in English and, beside it, in the language in use (the file is read by
whoever opens it later); Gujarati and Devanagari are shaped with HarfBuzz, in the Noto Sans fonts
shipped in ``handover/fonts`` so that a report looks the same on every machine. fpdf2 and segno
are imported here only, inside these functions: no other command pays for them.

The same content and clock give the same text: the document's date is the report's own.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from json.encoder import encode_basestring as text
from pathlib import Path
from typing import TYPE_CHECKING, Any

from handover.i18n import both, day, when
from handover.i18n import translate as _
from vault.model import N_

if TYPE_CHECKING:
    from fpdf import FPDF

    from vault.audit import Finding, Report
    from vault.exchange.charge import Charge

FONTS = Path(__file__).parent / "fonts"
GREY = (235, 235, 235)

STATUS = {
    "unverified": N_("unverified"),
    "applied": N_("applied"),
    "verified": N_("verified"),
    "rejected": N_("rejected"),
    "lapsed": N_("lapsed"),
}
TWOFA = {
    "none": N_("none"),
    "sms": N_("SMS"),
    "totp": N_("authenticator app"),
    "hardware-key": N_("hardware key"),
    "unknown": N_("not known"),
}
LEVEL = {
    "state": N_("state"),
    "hod": N_("head of department"),
    "district": N_("district"),
    "-": N_("whole registry"),
}
SEVERITY = {
    "critical": N_("critical"),
    "high": N_("high"),
    "medium": N_("medium"),
    "low": N_("low"),
}


class _Document:
    """An A4 page set up for handover's documents: fonts, title, labelled lines, tables."""

    def __init__(self, title: str, made: dt.datetime, footer: str) -> None:
        from fpdf import FPDF

        class Page(FPDF):
            def multi_cell(self, *args: Any, **kwargs: Any) -> Any:
                # fpdf2 2.8 with fallback fonts: text that ends in a fallback font (Gujarati,
                # say) leaves state behind that swallows the Latin text at the start of the
                # next call ("2FA ને..." loses "2FA"). Setting another family and back clears it.
                kwargs.setdefault("align", "L")
                done = super().multi_cell(*args, **kwargs)
                family, style, size = self.font_family, self.font_style, self.font_size_pt
                super().set_font("NotoDevanagari", style, size)
                super().set_font(family, style, size)
                return done

            def footer(self) -> None:
                self.set_y(-12)
                self.set_font("Noto", "", 7)
                self.set_text_color(110)
                # The page number alone: fpdf2's total-pages alias ({nb}) is substituted in the
                # shaped content stream and corrupts other text there.
                self.cell(0, 5, f"{footer} · {self.page_no()}", align="C")

        pdf = Page(format="A4")
        pdf.set_margins(15, 15, 15)
        pdf.set_auto_page_break(True, 18)
        for family, stem in (
            ("Noto", "NotoSans"),
            ("NotoGujarati", "NotoSansGujarati"),
            ("NotoDevanagari", "NotoSansDevanagari"),
        ):
            pdf.add_font(family, "", str(FONTS / f"{stem}-Regular.ttf"))
            pdf.add_font(family, "B", str(FONTS / f"{stem}-Bold.ttf"))
        # Noto Sans is primary (the Indic fonts have no Latin letters); text in another script
        # falls back to the font that has it, and HarfBuzz shapes it.
        pdf.set_fallback_fonts(["NotoGujarati", "NotoDevanagari"], exact_match=False)
        pdf.set_text_shaping(True)
        pdf.set_creation_date(made.astimezone(dt.UTC))
        pdf.set_creator("handover")
        pdf.set_producer("handover")
        pdf.set_title(title)
        pdf.add_page()
        pdf.set_font("Noto", "B", 16)
        pdf.multi_cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        self.pdf: FPDF = pdf

    def heading(self, text: str) -> None:
        self.pdf.ln(3)
        self.pdf.set_font("Noto", "B", 11)
        self.pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
        self.pdf.set_font("Noto", "", 9)

    def line(self, label: str, value: str) -> None:
        """A labelled field: the label in bold on the left, the value beside it."""
        pdf = self.pdf
        top = pdf.get_y()
        pdf.set_font("Noto", "B", 9)
        pdf.multi_cell(60, 5, label, new_x="LMARGIN", new_y="NEXT")
        below_label = pdf.get_y()
        pdf.set_xy(pdf.l_margin + 62, top)
        pdf.set_font("Noto", "", 9)
        pdf.multi_cell(0, 5, value, new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(max(below_label, pdf.get_y()))

    def table(
        self, headings: Sequence[str], rows: Iterable[Sequence[str]], widths: Sequence[int]
    ) -> None:
        from fpdf.fonts import FontFace

        pdf = self.pdf
        pdf.set_font("Noto", "", 8)
        pdf.set_fill_color(255)
        style = FontFace(emphasis="BOLD", fill_color=GREY)
        with pdf.table(
            col_widths=widths, headings_style=style, line_height=4.5, text_align="LEFT"
        ) as table:
            table.row(list(headings))
            for row in rows:
                table.row(list(row))

    def boxes(self, items: Iterable[str], ticked: Iterable[bool] | None = None) -> None:
        """A checklist: a box drawn before each item (ticked where done)."""
        pdf = self.pdf
        pdf.set_font("Noto", "", 9)
        marks = list(ticked) if ticked is not None else None
        for n, item in enumerate(items):
            y = pdf.get_y()
            pdf.rect(pdf.l_margin, y + 1, 3.2, 3.2)
            if marks and marks[n]:
                pdf.line(pdf.l_margin + 0.6, y + 2.6, pdf.l_margin + 1.4, y + 3.6)
                pdf.line(pdf.l_margin + 1.4, y + 3.6, pdf.l_margin + 2.8, y + 1.4)
            pdf.set_x(pdf.l_margin + 5)
            pdf.multi_cell(0, 5, item, new_x="LMARGIN", new_y="NEXT")

    def qr(self, text: str, caption: str) -> None:
        import segno

        pdf = self.pdf
        image = io.BytesIO()
        segno.make(text, error="m").save(image, kind="png", scale=6, border=2)
        if pdf.get_y() > pdf.h - 60:
            pdf.add_page()
        y = pdf.get_y()
        pdf.image(image, x=pdf.l_margin, y=y, w=32, h=32)
        pdf.set_font("Noto", "", 8)
        pdf.set_y(y + 4)
        for line in caption.splitlines():  # one call per line: see Page.multi_cell
            pdf.set_x(pdf.l_margin + 36)
            pdf.multi_cell(0, 4.5, line, new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(y + 34)

    def signatures(self, parties: Sequence[tuple[str, str]]) -> None:
        """Signature blocks side by side: role and name, then a line to sign and date on."""
        pdf = self.pdf
        if pdf.get_y() > pdf.h - 55:
            pdf.add_page()
        pdf.ln(6)
        width = (pdf.w - pdf.l_margin - pdf.r_margin) / len(parties)
        top, bottom = pdf.get_y(), pdf.get_y()
        for n, (role, name) in enumerate(parties):
            pdf.set_xy(pdf.l_margin + n * width, top)
            pdf.set_font("Noto", "B", 8)
            pdf.multi_cell(width - 4, 4.5, role, new_x="LEFT", new_y="NEXT")
            pdf.set_font("Noto", "", 8)
            pdf.multi_cell(width - 4, 4.5, name, new_x="LEFT", new_y="NEXT")
            bottom = max(bottom, pdf.get_y())
        for n in range(len(parties)):
            x = pdf.l_margin + n * width
            pdf.line(x, bottom + 14, x + width - 8, bottom + 14)
            pdf.set_xy(x, bottom + 15)
            pdf.multi_cell(width - 4, 4.5, both(N_("Signature and date")), new_x="LEFT")
        pdf.set_y(bottom + 26)

    def bars(
        self,
        title: str,
        data: dict[str, dict[str, int]],
        keys: Sequence[str],
        colours: dict[str, tuple[int, int, int]],
        labels: dict[str, str],
    ) -> None:
        """A horizontal stacked bar chart: one bar per row of ``data``, one colour per key."""
        pdf = self.pdf
        self.heading(title)
        if not data:
            pdf.multi_cell(0, 5, "-", new_x="LMARGIN", new_y="NEXT")
            return
        longest = max(sum(v.values()) for v in data.values()) or 1
        left, width = pdf.l_margin + 40, pdf.w - pdf.l_margin - pdf.r_margin - 55
        for name, values in data.items():
            if pdf.get_y() > pdf.h - 30:
                pdf.add_page()
            y = pdf.get_y()
            pdf.set_font("Noto", "", 8)
            pdf.set_xy(pdf.l_margin, y)
            pdf.cell(38, 5, name)
            x = left
            for key in keys:
                share = values.get(key, 0) / longest * width
                if share:
                    pdf.set_fill_color(*colours[key])
                    pdf.rect(x, y + 0.8, share, 3.6, style="F")
                    x += share
            pdf.set_xy(x + 2, y)
            pdf.cell(12, 5, str(sum(values.values())))
            pdf.set_y(y + 5.5)
        pdf.ln(1)
        x = pdf.l_margin
        for key in keys:  # the legend
            pdf.set_fill_color(*colours[key])
            pdf.rect(x, pdf.get_y() + 1, 3, 3, style="F")
            pdf.set_xy(x + 4, pdf.get_y())
            text = labels[key]
            pdf.cell(pdf.get_string_width(text) + 6, 5, text)
            x = pdf.get_x()
        pdf.ln(6)

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def _name(party: Any) -> str:
    return f"{party.name or '-'} ({party.officer})"


def _safety(code: str | None) -> str:
    return _("safety code {code}").format(code=code or "-")


def charge_pdf(
    charge: Charge, *, checklist: Sequence[str], made: dt.datetime, registry: str
) -> bytes:
    """The charge report: handed over (and, once claimed, taken over) in one document."""
    doc = _Document(
        both(N_("Charge report")),
        made,
        f"handover · {charge.post} · {charge.packet_id}",
    )
    doc.line(both(N_("Department")), charge.department or "-")
    doc.line(both(N_("Post")), f"{charge.title} ({charge.post})")
    doc.line(both(N_("Level and district")), f"{charge.level} · {charge.district or '-'}")
    doc.line(
        both(N_("Relieved officer (handing over)")),
        _name(charge.relieved) + "\n" + _safety(charge.relieved.safety_code),
    )
    doc.line(
        both(N_("Relieving officer (taking over)")),
        _name(charge.relieving) + "\n" + _safety(charge.relieving.safety_code),
    )
    signed = (
        _("the holder of the post")
        if charge.capacity == "holder"
        else _("the IT cell, for the department") + f": {charge.reason or '-'}"
    )
    doc.line(both(N_("Packet signed by")), signed)
    doc.line(both(N_("Charge handed over")), when(charge.handed_over))
    doc.line(
        both(N_("Charge taken over")),
        when(charge.taken_over) if charge.taken_over else "______________________",
    )

    doc.heading(both(N_("Accounts handed over")) + f" ({len(charge.accounts)})")
    doc.table(
        [_("Platform"), _("Handle"), _("Address"), _("Verification"), _("Second factor"),
         _("Page roles")],
        (
            [
                a.platform,
                a.handle,
                a.url or "-",
                _(STATUS.get(a.verification, a.verification)),
                _(TWOFA.get(a.twofa_method, a.twofa_method))
                + (f": {a.twofa_where}" if a.twofa_where else ""),
                "\n".join(a.roles) or "-",
            ]
            for a in charge.accounts
        ),
        (18, 30, 32, 22, 40, 38),
    )  # fmt: skip
    doc.heading(both(N_("Groups the post runs")) + f" ({len(charge.groups)})")
    if charge.groups:
        doc.table(
            [_("Group"), _("Platform"), _("Admin posts")],
            ([f"{g.name} ({g.slug})", g.platform, ", ".join(g.admins)] for g in charge.groups),
            (90, 25, 65),
        )
    else:
        doc.pdf.multi_cell(0, 5, "-", new_x="LMARGIN", new_y="NEXT")

    doc.heading(both(N_("Checklist of the relieving officer")))
    done = bool(charge.accounts) and len(charge.rotated) == len(charge.accounts)
    from vault.exchange.handovers import ROLES_ITEM

    items = list(checklist)
    holders = {r.split(": ", 1)[-1] for a in charge.accounts for r in a.roles}
    if any(not h.startswith("post:") and h != charge.relieving.officer for h in holders):
        items.append(ROLES_ITEM)
    doc.boxes([_(item) for item in items], [done] + [False] * (len(items) - 1))
    if charge.taken_over is not None:
        doc.line(
            both(N_("Passwords changed since taking over")),
            f"{len(charge.rotated)} / {len(charge.accounts)}: {', '.join(charge.rotated) or '-'}",
        )

    doc.heading(both(N_("The handover packet")))
    doc.qr(
        charge.sha256,
        _("Packet {packet_id}").format(packet_id=charge.packet_id)
        + f"\nSHA-256 {charge.sha256}\n"
        + _("The code above is this SHA-256: scan it to compare with the packet file."),
    )
    doc.signatures(
        [
            (both(N_("Relieved officer")), _name(charge.relieved)),
            (both(N_("Relieving officer")), _name(charge.relieving)),
            (both(N_("IT cell")), "______________________"),
        ]
    )
    doc.pdf.set_font("Noto", "", 7)
    doc.pdf.multi_cell(
        0,
        4,
        _("Made by handover from the registry {registry}, {moment}.").format(
            registry=registry, moment=when(made)
        )
        + " "
        + _("It holds no password or other secret."),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return doc.output()


def audit_pdf(
    report: Report,
    *,
    department: str | None,
    registry: str,
    made: dt.datetime,
    by: str,
    verification: dict[str, dict[str, int]],
) -> bytes:
    """The audit, for the file or a meeting: a header, counts, two charts, the findings."""
    doc = _Document(both(N_("Audit of the registry")), made, f"handover · audit · {day(made)}")
    doc.line(both(N_("Department")), department or "-")
    doc.line(both(N_("Registry")), registry)
    doc.line(both(N_("Made")), when(made))
    doc.line(both(N_("Run by")), by)
    doc.line(
        both(N_("Findings")),
        ", ".join(f"{_(SEVERITY[s])} {report.counts[s]}" for s in SEVERITY)
        + " · "
        + _("{n} rules run").format(n=report.rules_run),
    )
    statuses = list(STATUS)
    doc.bars(
        both(N_("Verification by platform")),
        verification,
        statuses,
        {
            "unverified": (200, 200, 200),
            "applied": (240, 190, 80),
            "verified": (70, 160, 90),
            "rejected": (200, 70, 60),
            "lapsed": (140, 100, 170),
        },
        {s: _(STATUS[s]) for s in statuses},
    )
    by_district: dict[str, dict[str, int]] = {}
    for row in report.rollup:
        name = row["district"] if row["district"] != "-" else f"({_(LEVEL[row['level']])})"
        by_district[name] = {s: row[s] for s in SEVERITY}
    doc.bars(
        both(N_("Findings by district")),
        by_district,
        list(SEVERITY),
        {
            "critical": (120, 20, 20),
            "high": (210, 60, 50),
            "medium": (240, 170, 60),
            "low": (150, 190, 220),
        },
        {s: _(SEVERITY[s]) for s in SEVERITY},
    )
    doc.heading(both(N_("Findings by severity and district")))
    doc.table(
        [_("Level"), _("District"), *(_(SEVERITY[s]) for s in SEVERITY), _("Total")],
        ([r["level"], r["district"], *(str(r[s]) for s in SEVERITY), str(r["total"])]
         for r in report.rollup),
        (25, 40, 22, 22, 22, 22, 27),
    )  # fmt: skip
    doc.heading(both(N_("Findings")) + f" ({len(report.findings)})")
    if report.findings:
        doc.table(
            [_("Severity"), _("Rule"), _("Object"), _("Reason")],
            ([_(SEVERITY[f.severity.value]), f.rule, f.object, f.reason]
             for f in report.findings),
            (18, 35, 40, 87),
        )  # fmt: skip
    return doc.output()


# The audit's findings as CSV, the columns a spreadsheet of them needs, in this order.
AUDIT_CSV = (
    "rule", "severity", "object_type", "object", "level", "district", "post", "reason", "remedy",
)  # fmt: skip


def audit_json(report: Report, out: Any = None) -> None:
    """The audit as JSON (``handover audit --format json`` and the web page's download)."""
    from handover import output

    output.json_report(
        {
            "rollup": report.rollup,
            "counts": report.counts,
            "secrets_checked": report.secrets_checked,
            "rules_run": report.rules_run,
        },
        "findings",
        map(finding_json, report.findings),
        out,
    )


def _optional(value: str | None) -> str:
    return "null" if value is None else text(value)


def finding_json(f: Finding) -> str:
    """A finding as ``json`` writes its :meth:`~Finding.to_dict` (the same text, a test holds
    it so), written out field by field: three times faster, and an audit of 100,000 accounts
    writes some 80,000 findings."""
    return (
        f'{{"rule": {text(f.rule)}, "severity": {text(f.severity.value)}, '
        f'"object_type": {text(f.object_type)}, "object": {text(f.object)}, '
        f'"level": {_optional(f.level)}, "district": {_optional(f.district)}, '
        f'"post": {_optional(f.post)}, "reason": {text(f.reason)}, "remedy": {text(f.remedy)}}}'
    )


def audit_csv(report: Report, out: Any = None) -> None:
    """The audit's findings as CSV (``handover audit --format csv`` and the web page's)."""
    from handover import output

    output.csv_stream((f.to_dict() for f in report.findings), [(k, k) for k in AUDIT_CSV], out)
