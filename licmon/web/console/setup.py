"""Mount the staff console on an application: templates, routes, headers, its resources."""

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from licmon.catalog import stop_task
from licmon.datadir import open_data_dir
from licmon.domain.challenge import challenge_key
from licmon.keys import METRICS, SETTINGS, STAFF_AUTH, STORE
from licmon.staff_login import StaffAuth
from licmon.timetext import day_of, when
from licmon.web.console import api, flags, login, pages, privacy_pages, reports, users
from licmon.web.console.render import staff_headers

log = logging.getLogger(__name__)
WEB = Path(__file__).resolve().parents[1]
ROUTE_TABLES = (
    login.routes,
    pages.routes,
    flags.routes,
    reports.routes,
    privacy_pages.routes,
    users.routes,
    api.routes,
)


def install(app: web.Application, clock: Callable[[], float]) -> None:
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(WEB / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        default_helpers=False,
    )
    env.filters.update({"when": when, "day": day_of})
    app.middlewares.append(staff_headers)
    for routes in ROUTE_TABLES:
        app.router.add_routes(routes)
    app.router.add_static("/staff/static", WEB / "static", name="staff_static")
    app.cleanup_ctx.append(_console_ctx(clock))


def _console_ctx(
    clock: Callable[[], float],
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        pepper = await asyncio.to_thread(lambda: open_data_dir(settings).pepper())
        app[STAFF_AUTH] = StaffAuth(
            app[STORE], settings, challenge_key(pepper), clock, on_login=app[METRICS].staff_login
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
