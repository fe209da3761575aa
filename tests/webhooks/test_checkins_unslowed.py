"""A receiver that is down for a long time does not slow check-ins: check-in latency while
the delivery worker is busy failing (one receiver hanging until the timeout, one refusing
connections, retries kept due by the clock) is compared with the same server's latency
while its endpoints are disabled, in alternating blocks of the same test (so that the
machine's other load weighs on both sides alike)."""

import gc
import statistics
import time
from collections.abc import Iterator

import pytest

from licmon.domain import webhooks
from licmon.domain.models import LicenseTerms
from licmon.services.webhooks.wiring import WEBHOOK_JOBS
from tests.conftest import World, checkin_body
from tests.serverproc import free_port
from tests.webhooks.conftest import Receiver, eventually, subscribe

BLOCKS = 6
ROUNDS = 15
EVENTS = 60


async def latencies(world: World, key: str) -> list[float]:
    seconds = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        response = await world.client.post("/v1/checkin", json=checkin_body(key, "machine-0001"))
        seconds.append(time.perf_counter() - started)
        assert response.status == 200
        world.clock.advance(10)  # keeps the refused receiver's retries due
    return seconds


async def attempts_made(world: World) -> int:
    return sum(d.attempts for d in await world.store.list_webhook_deliveries(limit=1000))


@pytest.fixture
def frozen_heap() -> Iterator[None]:
    """As ``licmon serve`` does once started (``gc.freeze``): what the test process holds
    from the tests before this one is out of the collector's sight. A full collection of
    that heap pauses the loop for as long as the suite so far is large, on either side of
    the comparison at random, which says nothing about the delivery worker."""
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


@pytest.mark.usefixtures("frozen_heap")
async def test_a_long_dead_receiver_does_not_slow_check_ins(
    world: World, receiver: Receiver
) -> None:
    key, _ = await world.add_license(seats=5)
    receiver.hang = True  # accepts, never answers: each attempt waits for the timeout
    endpoints = [
        (await subscribe(world, receiver.url, *webhooks.EVENT_TYPES))[0].id,
        (await subscribe(world, f"http://127.0.0.1:{free_port()}/", *webhooks.EVENT_TYPES))[0].id,
    ]
    store, worker = world.store, world.client.app[WEBHOOK_JOBS].worker
    for n in range(EVENTS):
        terms = LicenseTerms(seats=1, max_machines=2)
        await store.add_license("acme", "viewer", terms, b"%032d" % n)
    await latencies(world, key)  # warm up

    async def busy() -> bool:
        return len(worker._in_flight) > 0

    idle, loaded, attempts = [], [], 0
    for _ in range(BLOCKS):
        for endpoint in endpoints:
            await store.set_webhook_enabled(endpoint, False, actor="test")
        idle += await latencies(world, key)
        for endpoint in endpoints:
            await store.set_webhook_enabled(endpoint, True, actor="test")
        await eventually(busy, "the worker at work")
        before = await attempts_made(world)
        loaded += await latencies(world, key)
        attempts += await attempts_made(world) - before

    assert receiver.received, "the hanging receiver was never called"
    assert attempts >= BLOCKS, f"only {attempts} attempts while measuring"
    quiet, busy_mean = statistics.mean(idle), statistics.mean(loaded)  # stalls count
    print(
        f"check-in mean {quiet * 1000:.2f} ms idle, {busy_mean * 1000:.2f} ms busy, "
        f"{attempts} failed attempts meanwhile"
    )
    assert busy_mean < 2.5 * quiet, (quiet, busy_mean)
