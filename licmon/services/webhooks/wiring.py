"""The running server's webhook resources, as an aiohttp cleanup context: the sealing box
(from the pepper), the delivery worker and its jobs, the backlog gauge."""

import asyncio
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from licmon.catalog import stop_task
from licmon.keys import GAUGES, METRICS, PEPPER, SETTINGS, STORE
from licmon.services.webhooks.jobs import WebhookJobs
from licmon.services.webhooks.secrets import SecretBox
from licmon.services.webhooks.worker import DeliveryWorker

Clock = Callable[[], float]
SECRET_BOX: web.AppKey[SecretBox] = web.AppKey("webhook_secret_box", SecretBox)
WEBHOOK_JOBS: web.AppKey[WebhookJobs] = web.AppKey("webhook_jobs", WebhookJobs)


def webhooks_ctx(clock: Clock) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        settings, store, metrics = app[SETTINGS], app[STORE], app[METRICS]
        box = app[SECRET_BOX] = SecretBox(app[PEPPER])
        worker = DeliveryWorker(
            store,
            box,
            metrics,
            concurrency=settings.webhook_concurrency,
            timeout=settings.webhook_timeout_seconds,
            clock=clock,
        )
        jobs = app[WEBHOOK_JOBS] = WebhookJobs(
            store,
            worker,
            settings.webhook_poll_seconds,
            settings.webhook_expiring_days,
            settings.webhook_history_days,
            clock,
        )

        async def backlog() -> None:
            metrics.set_webhook_backlog(await store.webhook_delivery_counts())

        app[GAUGES].add("webhooks", backlog)
        await worker.start()
        task = asyncio.create_task(jobs.run())
        yield
        await stop_task(task)
        await worker.stop()

    return ctx
