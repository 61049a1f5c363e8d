"""``handover audit``: what an IT cell must act on, for the whole registry or one district."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from handover import output
from handover.cli import context
from handover.cli.context import FormatOption, JsonFlag

if TYPE_CHECKING:
    from vault.audit import Report

app = typer.Typer(rich_markup_mode=None, add_completion=False)
COLUMNS = [
    ("severity", "severity"),
    ("rule", "rule"),
    ("object", "object"),
    ("reason", "reason"),
]
ROLLUP = [
    ("level", "level"),
    ("district", "district"),
    ("critical", "critical"),
    ("high", "high"),
    ("medium", "medium"),
    ("low", "low"),
    ("total", "total"),
]


@app.command("audit")
def audit(
    level: Annotated[str | None, typer.Option("--level", help="state, hod or district.")] = None,
    district: Annotated[str | None, typer.Option("--district", help="Only this district.")] = None,
    post: Annotated[str | None, typer.Option("--post", help="Only this post.")] = None,
    fmt: FormatOption = None,
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            metavar="SEVERITY",
            help="Exit 3 if any finding is at least this severe: low, medium, high, critical.",
        ),
    ] = None,
    no_secrets: Annotated[
        bool,
        typer.Option("--no-secrets", help="Skip the rules that decrypt secrets (no unlocking)."),
    ] = False,
    json_: JsonFlag = False,
) -> None:
    """Audit the registry: unverified accounts, personal contacts, missing or weak 2FA,
    unrotated credentials after a handover, vacant posts, groups without an official admin,
    and a tampered event log. Each finding has a rule, severity, reason and remedy.

    Exit code 0, or 3 when a finding reaches --fail-on (1 when the audit could not run), so a
    scheduled job can tell findings from failure.
    'handover audit --help' and docs/audit.md list the rules.

    \b
    Examples:
      handover audit --district Ahmedabad
      handover audit --format json --fail-on high
    """
    from handover import reports
    from vault import audit as core

    fmt = context.out_format(json_, fmt, csv=True)
    threshold = core.Severity.parse(fail_on) if fail_on else None
    with _collector_off():
        with context.registry() as reg:
            report = core.run(reg, core.Filters(level, district, post), with_secrets=not no_secrets)
        if fmt is output.Format.JSON:
            reports.audit_json(report)
        elif fmt is output.Format.CSV:
            reports.audit_csv(report)
        else:
            _print(report)
        failed = threshold is not None and any(
            f.severity.rank >= threshold.rank for f in report.findings
        )
        del report  # let go before the collector is back
    if failed:
        raise typer.Exit(context.EXIT_FINDINGS)


@contextmanager
def _collector_off() -> Iterator[None]:
    """The audit makes many objects that live to its end, and no cycles: the collector, which
    goes over the young ones each time 100,000 more are alive (3 or 4 times at 100,000
    accounts, never at 10,000), stays off until the report is written and let go."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _print(report: Report) -> None:
    """The report as tables for people: findings, remedies, the roll-up and a count."""
    output.table((f.to_dict() for f in report.findings), COLUMNS, empty="no findings")
    if report.findings:
        typer.echo("\nRemedies:")
        remedies = {f.rule: f.remedy for f in report.findings}
        output.table(
            ({"rule": k, "remedy": v} for k, v in remedies.items()),
            [("rule", "rule"), ("remedy", "remedy")],
        )
        typer.echo("\nBy level and district:")
        output.table(report.rollup, ROLLUP)
    checked = "" if report.secrets_checked else " (secrets not checked)"
    typer.echo(
        f"\n{len(report.findings)} findings: "
        + ", ".join(f"{n} {s}" for s, n in report.counts.items() if n)
        + checked
    )
