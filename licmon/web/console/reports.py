"""The abuse report as a page, as CSV, JSON and printable HTML downloads, and through the
token API: the same report, the same role rules and organization scope everywhere."""

from collections.abc import Mapping
from urllib.parse import urlencode

from aiohttp import web

from licmon import reports
from licmon.domain.paging import Listed
from licmon.domain.purposes import DAY
from licmon.domain.reports import AbuseReport, check_format, check_period, parse_since
from licmon.domain.staff import Permission, StaffUser
from licmon.errors import NotFound
from licmon.keys import STAFF_AUTH, STORE
from licmon.timetext import parse_when
from licmon.web.console.api import api_route
from licmon.web.console.auth import USER, staff_page
from licmon.web.console.listing import page_links, page_of
from licmon.web.console.render import render

routes = web.RouteTableDef()
PERIODS = ("24h", "7d", "30d", "90d")
DEFAULT_PERIOD = "30d"


async def report_for(request: web.Request) -> AbuseReport:
    user: StaffUser = request[USER]
    now = request.config_dict[STAFF_AUTH].now()
    since, until = period_of(request.query, now)
    org = await _scope(request, user)
    detailed = user.may(Permission.REPORT_DETAILS)
    return await reports.abuse_report(
        request.config_dict[STORE], since, until, org, detailed=detailed, actor=user.actor
    )


def period_of(query: Mapping[str, str], now: int) -> tuple[int, int]:
    """``from``/``until`` (ISO dates or times, UTC; an end date counts whole), else
    ``since`` (a period like 30d) ending now."""
    start, end = query.get("from", "").strip(), query.get("until", "").strip()
    if not (start or end):
        return parse_since(query.get("since", DEFAULT_PERIOD), now), now
    until = parse_when(end, "The end")
    if until is not None and len(end) <= len("2026-12-01"):
        until += DAY - 1
    until = now if until is None else until
    since = parse_when(start, "The start")
    return check_period(until - 30 * DAY if since is None else since, until)


async def _scope(request: web.Request, user: StaffUser) -> tuple[int, str] | None:
    """A customer's own organization, always; staff: all, or the one they ask for."""
    wanted = request.query.get("org", "").strip()
    orgs = {org.slug: org.id for org in await request.config_dict[STORE].list_orgs()}
    if user.org_id is not None:
        own = next(slug for slug, org_id in orgs.items() if org_id == user.org_id)
        if wanted and wanted != own:
            raise NotFound("There is nothing at this address.")
        return user.org_id, own
    if not wanted:
        return None
    if wanted not in orgs:
        raise NotFound("There is no such organization.")
    return orgs[wanted], wanted


def download(report: AbuseReport, fmt: str) -> web.Response:
    body = reports.render(report, fmt)
    response = web.Response(body=body, headers={"Content-Type": reports.CONTENT_TYPES[fmt]})
    response.headers["Content-Disposition"] = f'attachment; filename="licmon-abuse-report.{fmt}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@routes.get("/staff/reports/abuse")
@staff_page(Permission.REPORTS)
async def abuse_page(request: web.Request) -> web.StreamResponse:
    report = await report_for(request)
    fmt = request.query.get("format", "")
    if fmt:
        return download(report, check_format(fmt))
    user: StaffUser = request[USER]
    since = request.query.get("since", DEFAULT_PERIOD)
    wanted = {k: request.query.get(k, "") for k in ("since", "from", "until")}
    query = urlencode({**{k: v for k, v in wanted.items() if v}, "org": report.org or ""})
    export_base = f"/staff/reports/abuse?{query}"
    listed = Listed(report.licenses[_window(request)], len(report.licenses), page_of(request))
    return render(
        request,
        "report.html",
        {
            "report": report,
            "cards": listed.rows,
            "pages": page_links(request, listed),
            "period": wanted,
            "since": since,
            "periods": PERIODS,
            "orgs": [] if user.org_id is not None else await request.config_dict[STORE].list_orgs(),
            "export_base": export_base,
        },
    )


def _window(request: web.Request) -> slice:
    page = page_of(request)
    return slice(page.offset, page.offset + page.limit)


@routes.get("/staff/api/reports/abuse")
@api_route(Permission.REPORTS)
async def abuse_api(request: web.Request) -> web.StreamResponse:
    report = await report_for(request)
    fmt = check_format(request.query.get("format", "json"))
    response = download(report, fmt)
    if fmt == "json":
        del response.headers["Content-Disposition"]
    return response
