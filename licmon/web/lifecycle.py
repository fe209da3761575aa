"""Serving until SIGTERM or SIGINT, then an orderly stop inside ``shutdown_timeout``.

The stop: drain (the listener stays open; every request but the health checks is answered
503 with ``Retry-After`` and ``Connection: close``, ``/readyz`` says "draining", so load
balancers and clients move away), then close the listener and the idle connections, let the
requests already being handled finish, and close the store. Closing the listener at once, as
aiohttp's ``run_app`` does, resets the connections waiting in its backlog.
"""

import asyncio
import logging
import signal
import ssl
from dataclasses import dataclass

from aiohttp import web

from licmon.web.admission import ADMISSION

log = logging.getLogger("licmon")
KEEPALIVE_SECONDS = 75.0
BACKLOG = 1024


@dataclass(frozen=True, slots=True)
class StopBudget:
    """How ``shutdown_timeout`` is spent: drain first, then in-flight handlers, and the rest
    for closing the store."""

    total: float
    drain: float

    @classmethod
    def of(cls, shutdown_timeout: float, drain_seconds: float) -> "StopBudget":
        return cls(shutdown_timeout, min(drain_seconds, shutdown_timeout / 2))

    @property
    def handlers(self) -> float:
        return (self.total - self.drain) / 2


async def serve_until_signalled(
    app: web.Application,
    host: str,
    port: int,
    ssl_context: ssl.SSLContext | None,
    budget: StopBudget,
    *,
    reuse_port: bool = False,
) -> bool:
    """Serve until signalled; True when everything closed within the budget."""
    runner = web.AppRunner(
        app,
        access_log=None,
        handle_signals=False,
        keepalive_timeout=KEEPALIVE_SECONDS,
        shutdown_timeout=budget.handlers,
    )
    await runner.setup()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + budget.total
    try:
        site = web.TCPSite(
            runner, host, port, ssl_context=ssl_context, backlog=BACKLOG, reuse_port=reuse_port
        )
        await site.start()
        await _signalled()
        deadline = loop.time() + budget.total
        app[ADMISSION].draining = True
        log.info("licmon draining", extra={"seconds": budget.drain})
        await asyncio.sleep(budget.drain)
    finally:
        finished = await _bounded_cleanup(runner, deadline - loop.time())
    return finished


async def _signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)


async def _bounded_cleanup(runner: web.AppRunner, seconds: float) -> bool:
    try:
        await asyncio.wait_for(runner.cleanup(), max(seconds, 0.1))
    except TimeoutError:
        log.warning("shutdown_timeout reached before everything closed; exiting anyway")
        return False
    return True
