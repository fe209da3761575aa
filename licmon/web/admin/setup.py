"""Mount the admin API on the application: its routes, and its service once the secrets
and the key index are loaded. Webhook routes (issue 18b) add their table to ROUTE_TABLES."""

from collections.abc import AsyncIterator, Callable

from aiohttp import web

from licmon.admin_service import AdminService
from licmon.keys import INDEX, PEPPER, STORE
from licmon.web.admin import catalog, flags, licenses, webhooks
from licmon.web.admin.auth import ADMIN

ROUTE_TABLES = (catalog.routes, licenses.routes, flags.routes, webhooks.routes)


def install(app: web.Application, clock: Callable[[], float]) -> None:
    for routes in ROUTE_TABLES:
        app.router.add_routes(routes)
    app.cleanup_ctx.append(_admin_ctx(clock))


def _admin_ctx(clock: Callable[[], float]) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        app[ADMIN] = AdminService(app[STORE], app[INDEX], app[PEPPER], clock)
        yield

    return ctx
