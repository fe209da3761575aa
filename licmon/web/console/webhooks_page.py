"""The webhooks page (vendor administrators): every endpoint with its pending and failed
counts, and the deliveries given up, for someone to look at (redelivery: API or CLI)."""

from aiohttp import web

from licmon.domain.staff import Permission
from licmon.domain.webhooks import DeliveryStatus
from licmon.keys import STORE
from licmon.web.console.auth import staff_page
from licmon.web.console.render import render

routes = web.RouteTableDef()
FAILED_SHOWN = 100


@routes.get("/staff/webhooks")
@staff_page(Permission.CATALOG)
async def webhooks_page(request: web.Request) -> web.StreamResponse:
    store = request.config_dict[STORE]
    endpoints = await store.list_webhooks()
    failed = await store.list_webhook_deliveries(status=DeliveryStatus.FAILED, limit=FAILED_SHOWN)
    urls = {endpoint.id: endpoint.url for endpoint in endpoints}
    return render(
        request, "webhooks.html", {"endpoints": endpoints, "failed": failed, "urls": urls}
    )
