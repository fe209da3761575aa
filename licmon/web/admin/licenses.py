"""Licenses: issue (the key shown once), list by cursor, read, change terms, suspend,
resume, revoke; a license's machines, and deactivating one (frees its seat)."""

from aiohttp import web

from licmon.domain.admin_bodies import (
    LICENSE_STATUSES,
    parse_new_license,
    parse_reason,
    parse_terms_change,
)
from licmon.domain.cursors import cursor_request, page_of
from licmon.domain.idempotency import Answer
from licmon.domain.ids import parse_id
from licmon.domain.models import LicenseStatus
from licmon.domain.staff import Permission
from licmon.errors import BadRequest
from licmon.keys import STORE
from licmon.store.admin_base import LicenseQuery
from licmon.web.admin.auth import admin_read, admin_write, answer_json, check_query, service, user
from licmon.web.admin.views import license_view, machine_view, page_view

routes = web.RouteTableDef()
PAGING = {"cursor", "limit"}
LICENSE_FILTERS = {"org", "product", "status"}
STATUS_ACTIONS = {
    "suspend": LicenseStatus.SUSPENDED,
    "resume": LicenseStatus.ACTIVE,
    "revoke": LicenseStatus.REVOKED,
}


@routes.post("/v1/admin/licenses")
@admin_write(Permission.CATALOG)
async def create_license(request: web.Request, body: object) -> Answer:
    lic, key = await service(request).create_license(user(request), parse_new_license(body))
    return Answer(201, {**license_view(lic), "key": key})


@routes.get("/v1/admin/licenses")
@admin_read(Permission.LICENSES)
async def list_licenses(request: web.Request) -> web.StreamResponse:
    query = request.query
    check_query(query, PAGING | LICENSE_FILTERS)
    status = query.get("status")
    if status is not None and status not in LICENSE_STATUSES:
        raise BadRequest(f"status must be one of {', '.join(LICENSE_STATUSES)}.", field="status")
    wanted = cursor_request(query)
    filters = LicenseQuery(user(request).org_id, query.get("org"), query.get("product"), status)
    rows = await request.config_dict[STORE].license_cursor(filters, wanted.after, wanted.limit + 1)
    page = page_of(rows, wanted, lambda lic: lic.id)
    return answer_json(page_view(page, [license_view(lic) for lic in page.items]))


@routes.get("/v1/admin/licenses/{license_id}")
@admin_read(Permission.LICENSES)
async def get_license(request: web.Request) -> web.StreamResponse:
    check_query(request.query, set())
    lic = await service(request).visible_license(user(request), _license_id(request))
    usage = await request.config_dict[STORE].license_usage(lic.id)
    return answer_json(license_view(lic, usage))


@routes.patch("/v1/admin/licenses/{license_id}")
@admin_write(Permission.CATALOG)
async def patch_license(request: web.Request, body: object) -> Answer:
    changes = parse_terms_change(body)
    lic = await service(request).change_terms(user(request), _license_id(request), changes)
    return Answer(200, license_view(lic))


@routes.post("/v1/admin/licenses/{license_id}/suspend")
@routes.post("/v1/admin/licenses/{license_id}/resume")
@routes.post("/v1/admin/licenses/{license_id}/revoke")
@admin_write(Permission.FLAG_ACTIONS)
async def change_status(request: web.Request, body: object) -> Answer:
    status = STATUS_ACTIONS[request.path.rsplit("/", 1)[1]]
    lic = await service(request).set_status(
        user(request), _license_id(request), status, parse_reason(body)
    )
    return Answer(200, license_view(lic))


@routes.get("/v1/admin/licenses/{license_id}/machines")
@admin_read(Permission.LICENSES)
async def list_machines(request: web.Request) -> web.StreamResponse:
    check_query(request.query, PAGING)
    wanted = cursor_request(request.query)
    rows = await service(request).machines(
        user(request), _license_id(request), wanted.after, wanted.limit + 1
    )
    page = page_of(rows, wanted, lambda machine: machine.id)
    return answer_json(page_view(page, [machine_view(machine) for machine in page.items]))


@routes.delete("/v1/admin/licenses/{license_id}/machines/{machine_id}")
@admin_write(Permission.DEACTIVATE)
async def deactivate_machine(request: web.Request, body: object) -> Answer:
    """Deactivate: the machine's seat is free at once (``?reason=``, audited)."""
    check_query(request.query, {"reason"})
    reason = parse_reason(dict(request.query))
    machine = await service(request).deactivate(
        user(request),
        _license_id(request),
        parse_id(request.match_info["machine_id"]),
        reason,
    )
    return Answer(200, machine_view(machine))


def _license_id(request: web.Request) -> int:
    return parse_id(request.match_info["license_id"])
