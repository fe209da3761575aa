"""Mount the staff console on an application: an aiohttp sub-application at /staff with
its own middlewares (security headers, HTML error pages) and templates, so that none of
them runs for a check-in; its resources (the login service, the seat sampler) live on the
main application, next to the store they use, and handlers reach them through
``request.config_dict``."""

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from licmon.catalog import stop_task
from licmon.domain.challenge import challenge_key
from licmon.keys import METRICS, PEPPER, SETTINGS, STAFF_AUTH, STORE, TRUSTED_PROXIES
from licmon.staff_login import StaffAuth
from licmon.web.console import (
    api,
    flags,
    login,
    machines,
    org_data_pages,
    pages,
    places,
    privacy_pages,
    reports,
    second_factor,
    users,
    webhooks_page,
)
from licmon.web.console.errors import console_errors
from licmon.web.console.render import staff_headers
from licmon.web.console.templating import add_helpers

log = logging.getLogger(__name__)
WEB = Path(__file__).resolve().parents[1]
PREFIX = "/staff"
ROUTE_TABLES = (
    login.routes,
    pages.routes,
    flags.routes,
    reports.routes,
    privacy_pages.routes,
    org_data_pages.routes,
    users.routes,
    places.routes,
    second_factor.routes,
    api.routes,
    webhooks_page.routes,
    machines.routes,
)


def install(app: web.Application, clock: Callable[[], float]) -> None:
    console = console_app()
    console[TRUSTED_PROXIES] = app[TRUSTED_PROXIES]  # web.api.client_address reads request.app
    app.add_subapp(PREFIX, console)
    app.cleanup_ctx.append(_console_ctx(clock))


def console_app() -> web.Application:
    """Routes are written with their full path (``/staff/...``) and mounted under PREFIX."""
    console = web.Application(middlewares=[staff_headers, console_errors])
    env = aiohttp_jinja2.setup(
        console,
        loader=jinja2.FileSystemLoader(WEB / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        default_helpers=False,
    )
    add_helpers(env)
    for routes in ROUTE_TABLES:
        console.router.add_routes(list(_relative(routes)))
    console.router.add_static("/static", WEB / "static", name="staff_static")
    return console


def _relative(routes: web.RouteTableDef) -> Iterator[web.RouteDef]:
    for route in routes:
        if not (isinstance(route, web.RouteDef) and route.path.startswith(PREFIX)):
            raise ValueError(f"a console route outside {PREFIX}: {route!r}")
        yield web.RouteDef(route.method, route.path[len(PREFIX) :], route.handler, route.kwargs)


def _console_ctx(
    clock: Callable[[], float],
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        app[STAFF_AUTH] = StaffAuth(
            app[STORE],
            settings,
            challenge_key(app[PEPPER]),
            clock,
            on_login=app[METRICS].staff_login,
        )
        sampler = asyncio.create_task(_sample_seats(app, settings.staff_seat_sample_seconds))
        yield
        await stop_task(sampler)

    return ctx


async def _sample_seats(app: web.Application, interval: float) -> None:
    """Seats in use per license, as each hour's peak, for the console's charts."""
    while True:
        try:
            await app[STORE].sample_seats()
        except Exception:
            log.exception("seat sampling failed")
        await asyncio.sleep(interval)
