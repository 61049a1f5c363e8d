"""The pages, one module per area: unlocking, the overview, the register, handing over, taking
charge, the audit. Each view parses the form, calls the core, and renders."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from handover.web.desk import Desk


def register(app: Flask, desk: Desk) -> None:
    from handover.web.pages import audit, give, overview, records, session, take

    for area in (session, overview, records, give, take, audit):
        area.register(app, desk)
