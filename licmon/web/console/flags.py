"""Flags: the filtered list, one flag, its evidence after a stated purpose (audited
by the gateway), and the decisions (acknowledge, confirm, dismiss; audited)."""

from typing import Any

from aiohttp import web

from licmon.domain.access import ReadContext
from licmon.domain.evidence_text import explain
from licmon.domain.flags import NEXT, FlagStatus, suspends_license
from licmon.domain.ids import NOT_HERE, parse_id
from licmon.domain.staff import Permission, StaffUser, check_flag_scope
from licmon.errors import BadRequest, Forbidden, NotFound
from licmon.keys import SETTINGS, STORE
from licmon.web.console.auth import USER, staff_page
from licmon.web.console.listing import page_links, page_of
from licmon.web.console.render import render, see_other

routes = web.RouteTableDef()
STATUSES = tuple(status.value for status in FlagStatus)


@routes.get("/staff/flags")
@staff_page(Permission.FLAGS)
async def flag_list(request: web.Request) -> web.StreamResponse:
    user: StaffUser = request[USER]
    store, query = request.config_dict[STORE], request.query
    status = query.get("status") if query.get("status") in STATUSES else None
    license_text = query.get("license", "").strip()
    license_id = parse_id(license_text, BadRequest) if license_text else None
    org = user.org_id if user.org_id is not None else await _org_filter(request)
    kinds = await store.flag_kinds(org)
    kind = query.get("kind") if query.get("kind") in kinds else None
    listed = await store.flag_page(org, status, kind, license_id, page_of(request))
    filters = {"status": status or "", "kind": kind or "", "license": license_text[:12]}
    context: dict[str, Any] = {"flags": listed.rows, "kinds": kinds, "statuses": STATUSES}
    context["filters"] = filters
    context["pages"] = page_links(request, listed)
    context["orgs"] = [] if user.org_id is not None else await store.list_orgs()
    context["org_filter"] = query.get("org", "")
    return render(request, "flags.html", context)


async def _org_filter(request: web.Request) -> int | None:
    slug = request.query.get("org", "")
    orgs = {org.slug: org.id for org in await request.config_dict[STORE].list_orgs()}
    return orgs.get(slug) if slug else None


async def visible_flag(request: web.Request) -> dict[str, Any]:
    flag_id = parse_id(request.match_info["flag_id"])
    try:
        flag = await request.config_dict[STORE].get_flag(flag_id)
    except NotFound:
        raise NotFound(NOT_HERE) from None
    check_flag_scope(request[USER], flag["org_id"])
    return flag


@routes.get("/staff/flags/{flag_id}")
@staff_page(Permission.FLAGS)
async def flag_page(request: web.Request) -> web.StreamResponse:
    flag = await visible_flag(request)
    return render(request, "flag.html", _flag_context(request, flag))


def _flag_context(request: web.Request, flag: dict[str, Any]) -> dict[str, Any]:
    user: StaffUser = request[USER]
    may_act = user.may(Permission.FLAG_ACTIONS)
    return {
        "flag": flag,
        "next": sorted(s.value for s in NEXT[FlagStatus(flag["status"])]) if may_act else [],
        "purposes": user.purposes() if user.may(Permission.FLAG_EVIDENCE) else [],
        "evidence": None,
        "message": "",
        "staff_view": user.org_id is None,
        "suspend_always": request.config_dict[SETTINGS].suspend_on_confirm,
    }


@routes.post("/staff/flags/{flag_id}/evidence")
@staff_page(Permission.FLAG_EVIDENCE)
async def flag_evidence(request: web.Request) -> web.StreamResponse:
    flag = await visible_flag(request)
    user: StaffUser = request[USER]
    form = await request.post()
    purpose, justification = str(form.get("purpose", "")), str(form.get("justification", ""))
    context = _flag_context(request, flag)
    try:
        role = user.role_for(purpose)
        if role is None:
            raise Forbidden("Your role may not read evidence for this purpose.")
        ctx = ReadContext(user.actor, role, purpose, justification, user.org_id)
        read = await request.config_dict[STORE].read_flag(ctx, flag["id"])
    except Forbidden as exc:
        return render(request, "flag.html", {**context, "message": exc.message}, 403)
    evidence = read.get("evidence") or {}
    context.update(evidence=evidence, purpose=purpose)
    context["evidence_text"] = explain(flag["kind"], evidence)
    return render(request, "flag.html", context)


@routes.post("/staff/flags/{flag_id}/decide")
@staff_page(Permission.FLAG_ACTIONS)
async def flag_decide(request: web.Request) -> web.StreamResponse:
    flag = await visible_flag(request)
    form = await request.post()
    status = str(form.get("status", ""))
    if status not in STATUSES:
        raise BadRequest("Choose acknowledged, confirmed or dismissed.")
    target = FlagStatus(status)
    setting = request.config_dict[SETTINGS].suspend_on_confirm
    suspend = suspends_license(target, setting=setting, asked=form.get("suspend") == "1")
    await request.config_dict[STORE].decide_flag(
        flag["id"], target, request[USER].actor, str(form.get("reason", ""))[:500], suspend=suspend
    )
    return see_other(f"/staff/flags/{flag['id']}")
