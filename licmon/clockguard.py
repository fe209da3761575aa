"""A clock that went backwards against the newest committed row: logged (once per episode)
and exposed as ``licmon_clock_behind_seconds`` and ``licmon_clock_backwards_total``."""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge

from licmon.store.base import Store

log = logging.getLogger(__name__)
TOLERANCE_SECONDS = 60  # ordinary NTP steps are smaller


@dataclass
class ClockWatch:
    store: Store
    clock: Callable[[], float]
    registry: CollectorRegistry
    behind: int = 0
    _gauge: Gauge = field(init=False)
    _episodes: Counter = field(init=False)

    def __post_init__(self) -> None:
        self._gauge = Gauge(
            "licmon_clock_behind_seconds",
            "How far the clock is behind the newest committed row (0: not behind).",
            registry=self.registry,
        )
        self._episodes = Counter(
            "licmon_clock_backwards",
            "Times the clock was found behind the newest committed row.",
            registry=self.registry,
        )

    async def check(self) -> None:
        newest = await self.store.newest_row_at()
        behind = 0 if newest is None else max(0, newest - int(self.clock()))
        if behind > TOLERANCE_SECONDS and self.behind <= TOLERANCE_SECONDS:
            self._episodes.inc()
            log.warning(
                "the clock is behind the newest committed row: seats and deadlines are "
                "judged by a clock that went backwards; check the time source",
                extra={"behind_seconds": behind},
            )
        self.behind = behind
        self._gauge.set(behind)

    async def run_every(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await self.check()
            except Exception:
                log.warning("clock check failed", exc_info=True)
