"""Admission control: beyond max_inflight_checkins a check-in is 503 with Retry-After at
once, /readyz says shedding, /healthz stays fast; admitted check-ins still commit."""

import asyncio
import dataclasses
import subprocess
import time
from collections.abc import Callable
from typing import Any

from licmon.config import Settings
from licmon.domain.models import IpPrecision
from tests.conftest import World, checkin_body


def hold_write_lock(database: str) -> subprocess.Popen[str]:
    """An external sqlite3 holding the database's write lock until its stdin closes."""
    proc = subprocess.Popen(
        ["sqlite3", database],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("BEGIN IMMEDIATE;\nSELECT 'locked';\n")
    proc.stdin.flush()
    assert proc.stdout.readline().strip() == "locked"
    return proc


async def test_overload_is_shed_with_503_before_any_work(
    make_client: Callable[..., Any], settings: Settings, clock: Any
) -> None:
    client = await make_client(dataclasses.replace(settings, max_inflight_checkins=3))
    world = World(client, b"", clock)
    store = world.store
    await store.add_org("acme", "Acme Ltd", IpPrecision.FULL, 60)
    await store.add_product("viewer", "Viewer")
    world.pepper = (settings.data_dir / "pepper").read_bytes()
    key, _ = await world.add_license(seats=50, max_machines=50)
    locker = hold_write_lock(str(settings.database_path))
    try:
        admitted = [
            asyncio.create_task(
                client.post("/v1/checkin", json=checkin_body(key, f"machine-{i:05d}"))
            )
            for i in range(3)
        ]
        await asyncio.sleep(0.3)  # the three wait for the writer's lock
        started = time.perf_counter()
        shed = [
            await client.post("/v1/checkin", json=checkin_body(key, f"shed-me-{i:05d}"))
            for i in range(5)
        ]
        assert time.perf_counter() - started < 2.0
        for response in shed:
            assert response.status == 503
            assert response.headers["Retry-After"] == "1"
            assert (await response.json())["error"] == "overloaded"
        health = await client.get("/healthz")
        assert health.status == 200
        ready = await client.get("/readyz")
        assert ready.status == 503
        assert (await ready.json())["checks"]["store"] == "shedding"
    finally:
        assert locker.stdin is not None
        locker.stdin.close()
        locker.wait(10)
        assert locker.stdout is not None
        locker.stdout.close()
    for response in await asyncio.gather(*admitted):
        assert response.status == 200
