"""Two licmon nodes on one PostgreSQL database: one of them delivers (it holds the webhook
job's lock), the other sends nothing, and every event still reaches the receiver once."""

import asyncio
import json

from licmon.domain import webhooks
from licmon.domain.models import IpPrecision, LicenseTerms
from licmon.metrics import Metrics
from licmon.services.webhooks.admin import add_endpoint
from licmon.services.webhooks.jobs import WebhookJobs
from licmon.services.webhooks.secrets import SecretBox
from licmon.services.webhooks.worker import DeliveryWorker
from licmon.store.postgres.store import PostgresStore
from tests.conftest import FakeClock
from tests.webhooks.conftest import Receiver, eventually

PEPPER = b"p" * 32


async def test_one_node_of_two_delivers_each_event_once(
    pg_url: str, clock: FakeClock, receiver: Receiver
) -> None:
    nodes = [PostgresStore(pg_url, clock=clock, pool_size=2) for _ in range(2)]
    jobs = []
    for store in nodes:
        await store.open()
        worker = DeliveryWorker(store, SecretBox(PEPPER), Metrics(), clock=clock)
        await worker.start()
        jobs.append(WebhookJobs(store, worker, 0.01, 14, 30, clock))
    try:
        first = nodes[0]
        await first.add_org("acme", "Acme", IpPrecision.FULL, 30)
        await first.add_product("viewer", "Viewer")
        await add_endpoint(
            first,
            SecretBox(PEPPER),
            receiver.url,
            [webhooks.LICENSE_CREATED],
            actor="t",
            require_https=False,
        )
        for n in range(5):
            await nodes[n % 2].add_license(
                "acme", "viewer", LicenseTerms(seats=1, max_machines=2), bytes([n]) * 32
            )
        for _ in range(20):  # both nodes look at once: without the lock both would send
            await asyncio.gather(*(job.turn() for job in jobs))
            await asyncio.gather(*(job.worker.settle() for job in jobs))

        async def all_five() -> bool:
            return len(receiver.received) >= 5

        await eventually(all_five, "five deliveries")
        busy = [len(job.worker._in_flight) for job in jobs]
        ids = [r.headers["webhook-id"] for r in receiver.received]
        assert len(ids) == len(set(ids)) == 5, ids
        assert {json.loads(r.body)["type"] for r in receiver.received} == {"license.created"}
        holders = [await store.job_lock("webhooks") for store in nodes]
        assert holders.count(True) == 1 and busy == [0, 0]
    finally:
        for job in jobs:
            await job.worker.stop()
        for store in nodes:
            await store.close()
