"""/metrics: on the main port, or alone on `metrics_port`; and the snapshot behind it.

A scrape renders the app's own registry from memory. The gauges that need the database are
refreshed by a background task whose reads run on the store's reader threads.
"""

import asyncio
import time
from collections.abc import AsyncIterator, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from licmon.catalog import stop_task
from licmon.errors import ConfigError
from licmon.gauges import store_source
from licmon.keys import GAUGES, METRICS, SETTINGS, STORE
from licmon.tls import server_context

Clock = Callable[[], float]


async def metrics_handler(request: web.Request) -> web.Response:
    body = request.app[METRICS].exposition()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def install(app: web.Application, clock: Clock = time.time) -> None:
    """Route /metrics (here or on its own port) and start the gauge refresh."""
    if app[SETTINGS].metrics_port:
        app.cleanup_ctx.append(_metrics_site_ctx)
    else:
        app.router.add_get("/metrics", metrics_handler)
    app.cleanup_ctx.append(_gauges_ctx(clock))


def _gauges_ctx(clock: Clock) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        refresher = app[GAUGES]
        refresher.add("store", store_source(app[STORE], app[METRICS], clock))
        await refresher.refresh()
        task = asyncio.create_task(refresher.run())
        yield
        await stop_task(task)

    return ctx


async def _metrics_site_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    host, port = settings.metrics_host or settings.host, settings.metrics_port
    if port == settings.port or not 0 < port < 65536:
        raise ConfigError("metrics_port must be a port (1-65535) other than port, or 0")
    ssl_context = server_context(settings)
    metrics_app = web.Application()
    metrics_app[METRICS] = app[METRICS]
    metrics_app.router.add_get("/metrics", metrics_handler)
    runner = web.AppRunner(metrics_app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port, ssl_context=ssl_context).start()
    except OSError as exc:
        await runner.cleanup()
        raise ConfigError(f"cannot listen on {host}:{port} for metrics: {exc.strerror}") from None
    yield
    await runner.cleanup()
