"""The IT cell's overview: the register at a glance, each chart linking to its list."""

from __future__ import annotations

from collections import Counter
from typing import Any

from flask import Flask, render_template, url_for

from handover.i18n import translate as _
from handover.web import charts
from handover.web.desk import Desk
from handover.web.pages.common import registry_of

STATES = ("verified", "applied", "unverified", "rejected", "lapsed")
SEVERITIES = ("critical", "high", "medium", "low")


def register(app: Flask, desk: Desk) -> None:
    @app.get("/")
    def overview() -> Any:
        from vault import audit
        from vault.records import accounts, posts, transfers

        reg = registry_of(desk)
        every = posts.list_posts(reg)
        places = Counter((p.level.value, p.district or "") for p in every)
        by_place = charts.bars(
            _("Posts by level and district"),
            [
                (
                    f"{_(level)}{' · ' + district if district else ''}",
                    url_for("post_list", level=level, district=district or None),
                    [("posts", n, _("Posts"))],
                )
                for (level, district), n in places.items()
            ],
        )
        with reg.read() as conn:
            verification = accounts.verification_by_platform(conn)
        by_platform = charts.bars(
            _("Accounts by platform and verification"),
            [
                (
                    platform,
                    url_for("account_list", platform=platform),
                    [(state, counts.get(state, 0), _(state)) for state in STATES],
                )
                for platform, counts in sorted(verification.items())
            ],
            [(state, _(state)) for state in STATES],
        )
        report = audit.run(reg)
        by_district = charts.bars(
            _("Audit findings by severity and district"),
            [
                (
                    f"{_(row['level']) if row['level'] != '-' else _('whole registry')}"
                    f"{' · ' + row['district'] if row['district'] != '-' else ''}",
                    url_for(
                        "audit_page",
                        level=None if row["level"] == "-" else row["level"],
                        district=None if row["district"] == "-" else row["district"],
                    ),
                    [(s, row[s], _(s)) for s in SEVERITIES],
                )
                for row in report.rollup
            ],
            [(s, _(s)) for s in SEVERITIES],
        )
        moving = [t for t in transfers.list_status(reg) if not t.state.startswith("complete")]
        return render_template(
            "overview.html",
            charts=(by_place, by_platform, by_district),
            vacant=[p for p in every if p.holder is None],
            transfers=moving,
            counts=report.counts,
        )
