"""Flags: list by cursor (without evidence), one flag, and the decisions."""

from aiohttp import web

from licmon.domain.admin_bodies import FLAG_STATUSES, parse_decision
from licmon.domain.cursors import cursor_request, page_of
from licmon.domain.idempotency import Answer
from licmon.domain.ids import parse_id
from licmon.domain.staff import Permission
from licmon.errors import BadRequest
from licmon.keys import SETTINGS, STORE
from licmon.store.admin_base import FlagQuery
from licmon.web.admin.auth import admin_read, admin_write, answer_json, check_query, service, user
from licmon.web.admin.views import flag_view, page_view

routes = web.RouteTableDef()
MAX_KIND = 64


@routes.get("/v1/admin/flags")
@admin_read(Permission.FLAGS)
async def list_flags(request: web.Request) -> web.StreamResponse:
    query = request.query
    check_query(query, {"cursor", "limit", "status", "kind", "license"})
    status, kind = query.get("status"), query.get("kind")
    if status is not None and status not in FLAG_STATUSES:
        raise BadRequest(f"status must be one of {', '.join(FLAG_STATUSES)}.", field="status")
    if kind is not None and len(kind) > MAX_KIND:
        raise BadRequest(f"kind is at most {MAX_KIND} characters.", field="kind")
    license_text = query.get("license")
    license_id = parse_id(license_text, BadRequest) if license_text is not None else None
    viewer = user(request)
    wanted = cursor_request(query)
    rows = await request.config_dict[STORE].flag_cursor(
        FlagQuery(viewer.org_id, status, kind, license_id), wanted.after, wanted.limit + 1
    )
    page = page_of(rows, wanted, lambda flag: int(flag["id"]))
    return answer_json(page_view(page, [flag_view(flag, viewer) for flag in page.items]))


@routes.get("/v1/admin/flags/{flag_id}")
@admin_read(Permission.FLAGS)
async def get_flag(request: web.Request) -> web.StreamResponse:
    check_query(request.query, set())
    flag = await service(request).visible_flag(user(request), _flag_id(request))
    return answer_json(flag_view(flag, user(request)))


@routes.post("/v1/admin/flags/{flag_id}/decision")
@admin_write(Permission.FLAG_ACTIONS)
async def decide_flag(request: web.Request, body: object) -> Answer:
    """Acknowledge, confirm (``suspend``: and suspend the license) or dismiss."""
    decided = await service(request).decide_flag(
        user(request),
        _flag_id(request),
        parse_decision(body),
        request.config_dict[SETTINGS].suspend_on_confirm,
    )
    return Answer(200, flag_view(decided, user(request)))


def _flag_id(request: web.Request) -> int:
    return parse_id(request.match_info["flag_id"])
