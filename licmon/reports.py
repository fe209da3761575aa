"""Building the abuse report from the store and writing it as HTML, CSV or JSON: the same
for the console, its API and ``licmon report abuse``."""

import json
from pathlib import Path
from typing import Any

import jinja2

from licmon.domain.audit import AuditEntry
from licmon.domain.reports import (
    AbuseReport,
    FlagSummary,
    LicenseFindings,
    UsagePoint,
    as_csv,
    as_json,
    bucket_for,
    peak_of,
    with_actions,
)
from licmon.store.base import Store
from licmon.web.console.templating import add_helpers

TEMPLATES = Path(__file__).resolve().parent / "web" / "templates"
STYLE = Path(__file__).resolve().parent / "web" / "static" / "console.css"
CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}


async def abuse_report(
    store: Store,
    since: int,
    until: int,
    org: tuple[int, str] | None,
    *,
    detailed: bool,
    actor: str,
) -> AbuseReport:
    """``org``: (id, slug) to limit the report to one organization. Each report made is an
    audit entry naming ``actor``."""
    rows = await store.abuse_report_data(
        since, until, org[0] if org else None, bucket_for(since, until)
    )
    findings = with_actions([_findings(row) for row in rows])
    details = {"since": since, "until": until, "detailed": detailed, "licenses": len(findings)}
    target = f"org:{org[0]}" if org else "orgs:all"
    await store.audit_record(AuditEntry(until, actor, "report.abuse", target, "ok", details))
    return AbuseReport(since, until, org[1] if org else None, detailed, findings)


def _findings(row: dict[str, Any]) -> LicenseFindings:
    flags = tuple(
        FlagSummary(
            f["id"],
            f["kind"],
            f["severity"],
            f["status"],
            f["count"],
            f["first_seen"],
            f["last_seen"],
        )
        for f in row["flags"]
    )
    allowed = tuple(sorted(c for c in row["allowed_countries"].split(",") if c))
    return LicenseFindings(
        license=row["id"],
        org=row["org"],
        org_name=row["org_name"],
        product=row["product"],
        status=row["status"],
        seats=row["seats"],
        peak_seats=peak_of(row["peak_seats"], row["seats_in_use"]),
        seats_in_use=row["seats_in_use"],
        machines_seen=row["machines_seen"],
        allowed_countries=allowed,
        countries={str(c): int(n) for c, n in row["countries"].items()},
        flags=flags,
        max_machines=row["max_machines"],
        refusals=int(row["refusals"]),
        series=tuple(
            UsagePoint(p["start"], p["peak_seats"], p["checkins"], p["refusals"])
            for p in row["series"]
        ),
    )


def render(report: AbuseReport, fmt: str) -> bytes:
    if fmt == "csv":
        return as_csv(report).encode()
    if fmt == "json":
        return json.dumps(as_json(report), indent=2, ensure_ascii=False).encode()
    return standalone_html(report).encode()


def standalone_html(report: AbuseReport) -> str:
    """A self-contained printable page (its style inline: a file has no server)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    add_helpers(env)
    template = env.get_template("staff/report_file.html")
    return template.render(report=report, style=STYLE.read_text())
