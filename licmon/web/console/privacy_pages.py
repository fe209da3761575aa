"""Audit log, data-subject requests and legal holds (admin and dpo)."""

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from licmon.domain.access import ReadContext
from licmon.domain.ids import parse_id
from licmon.domain.paging import AuditFilter, check_period, search_text
from licmon.domain.purposes import DAY, DSR
from licmon.domain.staff import Permission, StaffUser
from licmon.domain.subjects import Subject
from licmon.errors import BadRequest, Forbidden, LicmonError
from licmon.keys import STAFF_AUTH, STORE
from licmon.timetext import parse_when
from licmon.web.console.auth import USER, staff_page
from licmon.web.console.listing import page_links, page_of
from licmon.web.console.receipts import download_name, receipt_json, receipt_text
from licmon.web.console.render import render, see_other

routes = web.RouteTableDef()
AUDIT_FIELDS = ("actor", "action", "target", "since", "until")
DATE_LENGTH = len("2026-12-01")
DSR_ACTIONS = ("export", "erase", "restrict")


@routes.get("/staff/audit")
@staff_page(Permission.AUDIT)
async def audit(request: web.Request) -> web.StreamResponse:
    store = request.config_dict[STORE]
    wanted = audit_filter(request.query)
    checked, broken = await store.audit_verify()
    listed = await store.audit_page(wanted, page_of(request))
    return render(
        request,
        "audit.html",
        {
            "entries": listed.rows,
            "names": await store.user_names(
                {s.entry.actor for s in listed.rows} | {s.entry.target for s in listed.rows}
            ),
            "pages": page_links(request, listed),
            "filters": {k: request.query.get(k, "")[:100] for k in AUDIT_FIELDS},
            "checked": checked,
            "broken": broken,
            "attempts": await store.login_attempts(50),
            "runs": await store.retention_runs(10),
        },
    )


def audit_filter(query: Mapping[str, str]) -> AuditFilter:
    """Actor, action, target and a period (ISO dates or times, UTC) as typed."""
    since = parse_when(query.get("since", "").strip(), "The start")
    until = parse_when(query.get("until", "").strip(), "The end")
    if until is not None and len(query.get("until", "").strip()) <= DATE_LENGTH:
        until += DAY - 1  # a date as the end: the whole of that day
    check_period(since, until)
    return AuditFilter(
        actor=search_text(query.get("actor")),
        action=search_text(query.get("action")),
        target=search_text(query.get("target")),
        since=since,
        until=until,
    )


@routes.get("/staff/dsr")
@staff_page(Permission.DSR)
async def dsr_form(request: web.Request) -> web.StreamResponse:
    return render(request, "dsr.html", {"result": None, "action": "", "message": ""})


@routes.post("/staff/dsr")
@staff_page(Permission.DSR)
async def dsr_submit(request: web.Request) -> web.StreamResponse:
    """Export, erase or restrict one subject's data, for the purpose dsr (audited)."""
    form = await request.post()
    action = str(form.get("action", ""))
    if action == "erase" and form.get("confirmed") != "1":
        return _confirm_erase(request, form)
    try:
        result = await _run_dsr(request, action, form)
    except (BadRequest, Forbidden) as exc:
        context = {"result": None, "action": action, "message": exc.message}
        return render(request, "dsr.html", context, exc.status)
    user: StaffUser = request[USER]
    why = str(form.get("justification", ""))[:500]
    at = int(result.get("at") or request.config_dict[STAFF_AUTH].now())
    files = {
        "text": receipt_text(result, f"{user.username} ({user.actor})", why),
        "text_name": download_name(action, at, "txt"),
        "json": receipt_json(result),
        "json_name": download_name(action, at, "json"),
    }
    shown = {"result": result, "action": action, "message": "", "files": files}
    return render(request, "dsr.html", shown)


def _confirm_erase(request: web.Request, form: Any) -> web.Response:
    """The second step: what will go, named, before anything is erased."""
    fields = {k: str(form.get(k, ""))[:500] for k in ("kind", "value", "justification")}
    try:
        subject = Subject.parse(fields["kind"], fields["value"][:200])
    except BadRequest as exc:
        refused = {"result": None, "action": "erase", "message": exc.message}
        return render(request, "dsr.html", refused, exc.status)
    named = f"{subject.kind.value} {subject.value}"
    context: dict[str, Any] = {"result": None, "action": "erase", "message": ""}
    context.update(confirm=fields, named=named)
    return render(request, "dsr.html", context)


async def _run_dsr(request: web.Request, action: str, form: Any) -> dict[str, Any]:
    if action not in DSR_ACTIONS:
        raise BadRequest("Choose export, erase or restrict.")
    user: StaffUser = request[USER]
    role = user.role_for(DSR)
    if role is None:
        raise Forbidden("Your role may not act on data-subject requests.")
    subject = Subject.parse(str(form.get("kind", "")), str(form.get("value", ""))[:200])
    store = request.config_dict[STORE]
    org_id = user.org_id or await request_org(store, str(form.get("org", "")).strip())
    ctx = ReadContext(user.actor, role, DSR, str(form.get("justification", "")), org_id)
    run = {"export": store.dsr_export, "erase": store.dsr_erase, "restrict": store.dsr_restrict}
    return await run[action](ctx, subject)


async def request_org(store: Any, slug: str) -> int | None:
    """The organization a request comes from (empty: every organization)."""
    if not slug:
        return None
    found: list[int] = [org.id for org in await store.list_orgs() if org.slug == slug]
    if not found:
        raise BadRequest("No such organization.")
    return found[0]


@routes.get("/staff/holds")
@staff_page(Permission.HOLDS)
async def holds(request: web.Request) -> web.StreamResponse:
    return await _holds_page(request, "", 200)


async def _holds_page(request: web.Request, message: str, status: int) -> web.Response:
    everything = request.query.get("all") == "1"
    found = await request.config_dict[STORE].list_holds(active_only=not everything)
    context = {"holds": found, "message": message, "all": everything}
    return render(request, "holds.html", context, status)


@routes.post("/staff/holds")
@staff_page(Permission.HOLDS)
async def hold_add(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    field = {name: str(form.get(name, "")).strip()[:500] for name in form}
    try:
        await request.config_dict[STORE].add_hold(
            field.get("scope", ""),
            field.get("ref", ""),
            field.get("reason", ""),
            field.get("citation", ""),
            parse_when(str(field.get("expires", "")), "The expiry"),
            request[USER].actor,
        )
    except LicmonError as exc:
        return await _holds_page(request, exc.message, exc.status)
    return see_other("/staff/holds")


@routes.post("/staff/holds/{hold_id}/release")
@staff_page(Permission.HOLDS)
async def hold_release(request: web.Request) -> web.StreamResponse:
    hold_id = parse_id(request.match_info["hold_id"])
    await request.config_dict[STORE].release_hold(hold_id, request[USER].actor)
    return see_other("/staff/holds")
