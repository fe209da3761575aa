"""The delivery worker: a background task, off the check-in path, that sends due deliveries
(at most ``concurrency`` at a time, each with a timeout), records each attempt, schedules
the next one with backoff and jitter, and gives up visibly after the last.

Every attempt of one event carries the same ``webhook-id``; at-least-once: a crash between
a 2xx and its record sends that event again, with that same id, for receivers to drop.
"""

import asyncio
import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import aiohttp

from licmon import __version__
from licmon.domain.webhook_retries import retry_delay
from licmon.domain.webhooks import Attempt, DeliveryStatus, DueDelivery
from licmon.errors import ConfigError
from licmon.metrics import Metrics
from licmon.services.webhooks.secrets import SecretBox
from licmon.services.webhooks.signing import signed_headers
from licmon.store.base import Store

log = logging.getLogger(__name__)
Clock = Callable[[], float]
PER_ENDPOINT = 2  # attempts under way to one endpoint, at most
OUTCOMES = {
    DeliveryStatus.DELIVERED: "delivered",
    DeliveryStatus.PENDING: "retried",
    DeliveryStatus.FAILED: "failed",
}


@dataclass
class DeliveryWorker:
    store: Store
    box: SecretBox
    metrics: Metrics
    concurrency: int = 8
    timeout: float = 10.0
    clock: Clock = time.time
    rng: random.Random = field(default_factory=random.Random)
    _session: aiohttp.ClientSession | None = None
    _in_flight: dict[int, "asyncio.Task[None]"] = field(default_factory=dict)
    _endpoint_of: dict[int, int] = field(default_factory=dict)  # delivery -> its endpoint

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.timeout, connect=min(self.timeout, 5.0)),
            connector=aiohttp.TCPConnector(limit=self.concurrency),
            headers={"User-Agent": f"licmon/{__version__} (webhooks)"},
        )

    async def stop(self) -> None:
        for task in list(self._in_flight.values()):
            task.cancel()
        await asyncio.gather(*self._in_flight.values(), return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def dispatch(self) -> int:
        """Start sending what is due, within the free slots and at most ``PER_ENDPOINT``
        at a time to one endpoint (a hanging receiver holds two slots, not all of them);
        how many were started."""
        free = self.concurrency - len(self._in_flight)
        if free <= 0:
            return 0
        now = int(self.clock())
        due = await self.store.due_webhook_deliveries(
            now, free + len(self._in_flight), PER_ENDPOINT
        )
        started = 0
        for item in due:
            if started == free:
                break
            if item.id in self._in_flight or self._busy(item.endpoint_id):
                continue
            task = asyncio.create_task(self._deliver(item))
            self._in_flight[item.id] = task
            self._endpoint_of[item.id] = item.endpoint_id
            task.add_done_callback(partial(self._finished, item.id))
            started += 1
        return started

    def _busy(self, endpoint_id: int) -> bool:
        return list(self._endpoint_of.values()).count(endpoint_id) >= PER_ENDPOINT

    def _finished(self, delivery_id: int, _: "asyncio.Task[None]") -> None:
        self._in_flight.pop(delivery_id, None)
        self._endpoint_of.pop(delivery_id, None)

    async def settle(self) -> None:
        """Wait for the attempts under way (tests, shutdown)."""
        await asyncio.gather(*list(self._in_flight.values()), return_exceptions=True)

    async def _deliver(self, item: DueDelivery) -> None:
        try:
            attempt = await self._attempt(item)
            retry_at = None
            if not attempt.delivered:
                delay = retry_delay(item.attempts + 1, self.rng)
                retry_at = None if delay is None else int(self.clock()) + math.ceil(delay)
            status = await self.store.record_webhook_attempt(item.id, attempt, retry_at)
        except Exception:
            log.exception("webhook delivery could not be recorded", extra={"delivery": item.id})
            return
        self.metrics.webhook_attempted(OUTCOMES[status])
        if status is DeliveryStatus.FAILED:
            log.warning(
                "webhook delivery given up",
                extra={"delivery": item.id, "endpoint": item.endpoint_id, "result": attempt.result},
            )

    async def _attempt(self, item: DueDelivery) -> Attempt:
        assert self._session is not None, "start() the worker first"
        try:
            secret = self.box.open(item.sealed_secret)
        except ConfigError:  # another pepper sealed it: retried, and given up in the end
            return Attempt(False, "secret unreadable (pepper changed)")
        headers = signed_headers(secret, item.message_id, int(self.clock()), item.payload)
        try:
            async with self._session.post(
                item.url, data=item.payload.encode(), headers=headers, allow_redirects=False
            ) as response:
                return _judged(response.status)
        except TimeoutError:
            return Attempt(False, "timeout")
        except aiohttp.ClientConnectorError:
            return Attempt(False, "connection failed")
        except aiohttp.ClientError as exc:  # never str(exc): it names the host
            return Attempt(False, f"error: {type(exc).__name__}")


def _judged(status: int) -> Attempt:
    if 200 <= status < 300:
        return Attempt(True, f"HTTP {status}")
    if 300 <= status < 400:
        return Attempt(False, f"HTTP {status} (redirects are not followed)")
    return Attempt(False, f"HTTP {status}")
