"""The webhook jobs inside ``licmon serve``: dispatch due deliveries every poll, tell
expiring licenses and forget old deliveries every hour. A singleton job: on PostgreSQL one
node of several holds its lock and delivers (the lock moves when that node dies); on SQLite
the one node always does. Each step's failure is logged and tried again at the next turn;
nothing here runs on the check-in path."""

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from licmon.domain.purposes import DAY
from licmon.services.webhooks.worker import DeliveryWorker
from licmon.store.base import Store

log = logging.getLogger(__name__)
HOUSEKEEPING_SECONDS = 3600.0
JOB = "webhooks"


@dataclass
class WebhookJobs:
    store: Store
    worker: DeliveryWorker
    poll_seconds: float
    expiring_days: int
    history_days: int
    clock: Callable[[], float] = time.time
    _housekept_at: float | None = None

    async def run(self) -> None:
        """Until cancelled."""
        while True:
            await self.turn()
            await asyncio.sleep(self.poll_seconds)

    async def turn(self) -> None:
        try:
            if not await self.store.job_lock(JOB):
                return
            if self._housekeeping_due():
                await self.housekeeping()
            await self.worker.dispatch()
        except Exception:
            log.exception("webhook jobs failed; trying again")

    def _housekeeping_due(self) -> bool:
        last = self._housekept_at
        return last is None or self.clock() - last >= HOUSEKEEPING_SECONDS

    async def housekeeping(self) -> None:
        now = int(self.clock())
        self._housekept_at = now
        if self.expiring_days:
            await self.store.emit_license_expiring(now, self.expiring_days)
        await self.store.prune_webhook_history(now - self.history_days * DAY)
