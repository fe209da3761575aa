"""Webhooks under /v1/admin: add (the secret shown once), list, read, disable, enable,
delete; an endpoint's deliveries by cursor, and a delivery sent again. Vendor staff with
the catalog permission only (a customer's token gets 403) and the ``webhooks:write`` scope
for every change."""

from aiohttp import web

from licmon.domain.cursors import cursor_request, page_of
from licmon.domain.idempotency import Answer
from licmon.domain.ids import parse_id
from licmon.domain.scopes import WEBHOOKS_WRITE
from licmon.domain.staff import Permission
from licmon.domain.webhooks import DeliveryStatus, parse_empty, parse_new_endpoint
from licmon.errors import BadRequest
from licmon.keys import SETTINGS, STORE
from licmon.services.webhooks.admin import add_endpoint
from licmon.services.webhooks.views import delivery_view, endpoint_view
from licmon.services.webhooks.wiring import SECRET_BOX
from licmon.store.base import Store
from licmon.web.admin.auth import admin_read, admin_write, answer_json, check_query, user
from licmon.web.admin.views import page_view

routes = web.RouteTableDef()
PERMISSION = Permission.CATALOG  # vendor administrators: webhooks tell of every organization
STATUSES = tuple(status.value for status in DeliveryStatus)


@routes.post("/v1/admin/webhooks")
@admin_write(PERMISSION, WEBHOOKS_WRITE)
async def create_webhook(request: web.Request, body: object) -> Answer:
    """201 with the endpoint and its signing secret, which is never shown again."""
    new = parse_new_endpoint(body)
    endpoint, secret = await add_endpoint(
        _store(request),
        request.config_dict[SECRET_BOX],
        new.url,
        new.events,
        actor=user(request).username,
        require_https=request.config_dict[SETTINGS].webhook_require_https,
    )
    return Answer(201, {**endpoint_view(endpoint), "secret": secret})


@routes.get("/v1/admin/webhooks")
@admin_read(PERMISSION)
async def list_webhooks(request: web.Request) -> web.StreamResponse:
    check_query(request.query, {"cursor", "limit"})
    wanted = cursor_request(request.query)
    endpoints = [e for e in await _store(request).list_webhooks() if e.id > (wanted.after or 0)]
    page = page_of(endpoints[: wanted.limit + 1], wanted, lambda endpoint: endpoint.id)
    return answer_json(page_view(page, [endpoint_view(e) for e in page.items]))


@routes.get("/v1/admin/webhooks/{webhook_id}")
@admin_read(PERMISSION)
async def get_webhook(request: web.Request) -> web.StreamResponse:
    check_query(request.query, set())
    return answer_json(endpoint_view(await _store(request).get_webhook(_webhook_id(request))))


@routes.post("/v1/admin/webhooks/{webhook_id}/disable")
@routes.post("/v1/admin/webhooks/{webhook_id}/enable")
@admin_write(PERMISSION, WEBHOOKS_WRITE)
async def switch_webhook(request: web.Request, body: object) -> Answer:
    parse_empty(body)
    enabled = request.path.rsplit("/", 1)[1] == "enable"
    endpoint = await _store(request).set_webhook_enabled(
        _webhook_id(request), enabled, actor=user(request).username
    )
    return Answer(200, endpoint_view(endpoint))


@routes.delete("/v1/admin/webhooks/{webhook_id}")
@admin_write(PERMISSION, WEBHOOKS_WRITE)
async def delete_webhook(request: web.Request, body: object) -> Answer:
    check_query(request.query, set())
    webhook_id = _webhook_id(request)
    await _store(request).delete_webhook(webhook_id, actor=user(request).username)
    return Answer(200, {"id": webhook_id, "deleted": True})


@routes.get("/v1/admin/webhooks/{webhook_id}/deliveries")
@admin_read(PERMISSION)
async def list_deliveries(request: web.Request) -> web.StreamResponse:
    """Newest first; ``?status=pending|delivered|failed``."""
    query = request.query
    check_query(query, {"cursor", "limit", "status"})
    status = query.get("status")
    if status is not None and status not in STATUSES:
        raise BadRequest(f"status must be one of {', '.join(STATUSES)}.", field="status")
    wanted = cursor_request(query)
    rows = await _store(request).list_webhook_deliveries(
        _webhook_id(request),
        None if status is None else DeliveryStatus(status),
        before=wanted.after,
        limit=wanted.limit + 1,
    )
    page = page_of(rows, wanted, lambda delivery: delivery.id)
    return answer_json(page_view(page, [delivery_view(d) for d in page.items]))


@routes.post("/v1/admin/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver")
@admin_write(PERMISSION, WEBHOOKS_WRITE)
async def redeliver(request: web.Request, body: object) -> Answer:
    """202: queued again with the same webhook-id, sent by the worker."""
    parse_empty(body)
    delivery = await _store(request).redeliver_webhook(
        _webhook_id(request),
        parse_id(request.match_info["delivery_id"]),
        actor=user(request).username,
    )
    return Answer(202, delivery_view(delivery))


def _store(request: web.Request) -> Store:
    return request.config_dict[STORE]


def _webhook_id(request: web.Request) -> int:
    return parse_id(request.match_info["webhook_id"])
