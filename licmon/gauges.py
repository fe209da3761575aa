"""The database-backed gauges behind /metrics, refreshed periodically off the event loop.

A scrape only reads what the last refresh left in memory. Each source is a coroutine that
reads through the store (whose reads run on threads) and sets its gauges; other parts add
their own source, e.g. the flag detectors::

    app[GAUGES].add("flags", lambda: refresh_open_flags(store, metrics))
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from licmon.errors import ConfigError
from licmon.metrics import Metrics
from licmon.store.base import Store

log = logging.getLogger(__name__)
Source = Callable[[], Awaitable[None]]
Clock = Callable[[], float]


class GaugeRefresher:
    def __init__(self, metrics: Metrics, every: float, clock: Clock = time.time) -> None:
        if not every > 0:
            raise ConfigError("metrics_refresh_seconds must be more than 0")
        self.metrics = metrics
        self.every = every
        self.clock = clock
        self._sources: dict[str, Source] = {}

    def add(self, name: str, source: Source) -> None:
        """Register a source, refreshed with the others every ``every`` seconds."""
        self._sources[name] = source

    async def refresh(self) -> None:
        """Run every source once; a failing source is logged and counted, the rest go on."""
        for name, source in list(self._sources.items()):
            try:
                await source()
            except Exception:
                log.warning("gauge refresh failed", extra={"source": name}, exc_info=True)
                self.metrics.gauge_refresh_errors.labels(name).inc()

    async def run(self) -> None:
        """Refresh every ``every`` seconds until cancelled."""
        while True:
            await asyncio.sleep(self.every)
            await self.refresh()


def store_source(store: Store, metrics: Metrics, clock: Clock) -> Source:
    """Seats per product and database size, read on a store reader thread."""

    async def refresh() -> None:
        if not await store.job_lock("gauges"):  # one node of several reads them
            return
        now = clock()
        metrics.snapshot.update(await store.gauges(int(now)), now)

    return refresh
