"""Self-service: a machine's seat freed from the console (a customer: its own
organization's), with a reason, audited, through the admin API's service."""

from aiohttp import web

from licmon.domain.admin_bodies import reason_text
from licmon.domain.ids import parse_id
from licmon.domain.staff import Permission
from licmon.web.admin.auth import ADMIN
from licmon.web.console.auth import USER, staff_page
from licmon.web.console.pages import visible_license
from licmon.web.console.render import see_other

routes = web.RouteTableDef()


@routes.post("/staff/licenses/{license_id}/machines/{machine_id}/deactivate")
@staff_page(Permission.DEACTIVATE)
async def deactivate(request: web.Request) -> web.StreamResponse:
    lic = await visible_license(request)
    form = await request.post()
    reason = reason_text({"reason": str(form.get("reason", ""))}, "reason")
    machine_id = parse_id(request.match_info["machine_id"])
    await request.config_dict[ADMIN].deactivate(request[USER], lic.id, machine_id, reason)
    return see_other(f"/staff/licenses/{lic.id}")
