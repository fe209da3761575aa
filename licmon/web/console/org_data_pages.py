"""A customer leaving, in the console: its organization's data exported or erased.

A customer acts for its own organization only (whatever the form names); an admin or a
dpo names the organization. Erasure asks for the organization's slug, typed, as the
confirmation. Both act for the purpose dsr and land in the audit log.
"""

import json
from typing import Any

from aiohttp import web

from licmon.domain.access import ReadContext, Role
from licmon.domain.ids import parse_id
from licmon.domain.purposes import DSR
from licmon.domain.staff import Permission, StaffUser
from licmon.errors import BadRequest, Forbidden, LicmonError
from licmon.keys import STORE
from licmon.web.console.auth import USER, staff_page
from licmon.web.console.render import render

routes = web.RouteTableDef()


@routes.get("/staff/org/data")
@staff_page(Permission.ORG_DATA)
async def org_data(request: web.Request) -> web.StreamResponse:
    return await _page(request, {}, "", 200)


@routes.post("/staff/org/data/export")
@staff_page(Permission.ORG_DATA)
async def org_data_export(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    try:
        ctx, slug = await _request(request, form)
        data = await request.config_dict[STORE].org_export(ctx, slug)
    except LicmonError as exc:
        return await _page(request, {}, exc.message, exc.status)
    body = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    return web.Response(
        text=body,
        content_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="org-{data["organization"]["id"]}.json"',
            "Cache-Control": "no-store",
        },
    )


@routes.post("/staff/org/data/erase")
@staff_page(Permission.ORG_DATA)
async def org_data_erase(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    try:
        ctx, slug = await _request(request, form)
        if str(form.get("confirm", "")).strip() != slug:
            raise BadRequest(f"To confirm the erasure, type the organization's slug ({slug}).")
        receipt = await request.config_dict[STORE].org_erase(ctx, slug)
    except LicmonError as exc:
        return await _page(request, {}, exc.message, exc.status)
    return await _page(request, receipt, "", 200)


@routes.post("/staff/dsr/correct")
@staff_page(Permission.DSR)
async def dsr_correct(request: web.Request) -> web.StreamResponse:
    """Rectification by a dpo or an admin: a machine's license, an organization's name."""
    form = await request.post()
    field = {name: str(form.get(name, "")).strip()[:200] for name in form}
    try:
        ctx = _staff_context(request[USER], field.get("justification", ""))
        receipt = await _correct(request, ctx, field)
    except LicmonError as exc:
        context = {"result": None, "action": "correct", "message": exc.message}
        return render(request, "dsr.html", context, exc.status)
    return render(request, "dsr.html", {"result": receipt, "action": "correct", "message": ""})


async def _correct(request: web.Request, ctx: ReadContext, field: dict[str, str]) -> Any:
    store = request.config_dict[STORE]
    if field.get("what") == "machine":
        from_license = parse_id(field.get("from_license", ""), BadRequest)
        to_license = parse_id(field.get("to_license", ""), BadRequest)
        machine = field.get("machine", "")
        return await store.dsr_correct_machine(ctx, machine, from_license, to_license)
    if field.get("what") == "org":
        return await store.dsr_correct_org(ctx, field.get("org", ""), field.get("name", ""))
    raise BadRequest("Choose what to correct: a machine's license or an organization's name.")


async def _request(request: web.Request, form: Any) -> tuple[ReadContext, str]:
    """The request's context and organization: a customer's own, or the one named."""
    user: StaffUser = request[USER]
    justification = str(form.get("justification", ""))[:500]
    if user.org_id is not None:
        info = await request.config_dict[STORE].org_info(user.org_id)
        if info is None:
            raise Forbidden("Your organization is gone.")
        return ReadContext(user.actor, Role.CUSTOMER, DSR, justification, user.org_id), info["slug"]
    slug = str(form.get("org", "")).strip()[:100]
    if not slug:
        raise BadRequest("Name the organization (its slug).")
    return _staff_context(user, justification), slug


def _staff_context(user: StaffUser, justification: str) -> ReadContext:
    """An admin's or a dpo's request, for any organization."""
    role = user.role_for(DSR)
    if role is None:
        raise Forbidden("Your role may not act on data-subject requests.")
    return ReadContext(user.actor, role, DSR, justification[:500])


async def _page(
    request: web.Request, receipt: dict[str, Any], message: str, status: int
) -> web.Response:
    user: StaffUser = request[USER]
    own = None
    if user.org_id is not None:
        own = await request.config_dict[STORE].org_info(user.org_id)
    context = {"own": own, "receipt": receipt, "message": message}
    return render(request, "org_data.html", context, status)
