"""PostgreSQL gone while licmon serves (a crash, a failover): check-ins are answered 503 with
Retry-After (the client keeps its lease and retries), never 500, /readyz says so and
/healthz stays up; when the database is back, licmon answers again by itself."""

import asyncio
import dataclasses
import logging
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from licmon.config import Settings
from licmon.datadir import DataDir
from licmon.domain.models import IpPrecision
from licmon.store import fault_episodes
from tests.conftest import World, checkin_body
from tests.pg import PgCluster

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def own_cluster() -> Iterator[PgCluster]:
    """A cluster of this module's own: the test stops and starts it."""
    root = Path(tempfile.mkdtemp(prefix="licmon-pg-away-"))
    cluster = PgCluster(root)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


async def _until(predicate: Callable[[], Any], seconds: float = 30) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = await predicate()
        if value:
            return value
        assert time.monotonic() < deadline, "not within the time"
        await asyncio.sleep(0.2)


async def test_a_database_gone_is_503_with_retry_after_and_recovers(
    make_client: Callable[..., Any],
    settings: Settings,
    clock: Any,
    own_cluster: PgCluster,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fault_episodes, "HOLD_SECONDS", 1.0)
    caplog.set_level(logging.INFO)
    url = own_cluster.fresh_database()
    client = await make_client(dataclasses.replace(settings, database_url=url))
    world = World(client, b"", clock)
    await world.store.add_org("acme", "Acme Ltd", IpPrecision.FULL, 60)
    await world.store.add_product("viewer", "Viewer")
    world.pepper = DataDir(settings.data_dir).pepper()
    key, _ = await world.add_license(seats=5, max_machines=5)
    first = await client.post("/v1/checkin", json=checkin_body(key, "machine-away-0001"))
    assert first.status == 200, await first.text()

    own_cluster.pause()
    try:
        answers = [
            await client.post("/v1/checkin", json=checkin_body(key, f"machine-away-{n:04d}"))
            for n in range(2, 6)
        ]
        for answer in answers:
            assert answer.status == 503, await answer.text()
            assert answer.headers.get("Retry-After", "").isdigit(), await answer.text()
            assert (await answer.json())["error"] in ("unavailable", "overloaded")
        health = await client.get("/healthz")
        assert health.status == 200
        ready = await client.get("/readyz")
        assert ready.status == 503
        assert (await ready.json())["checks"]["store"] == "database_unreachable"
    finally:
        own_cluster.resume()

    async def answers_again() -> bool:
        answer = await client.post("/v1/checkin", json=checkin_body(key, "machine-away-0009"))
        return answer.status == 200

    await _until(answers_again)

    async def ready_again() -> bool:
        return (await client.get("/readyz")).status == 200

    await _until(ready_again)  # once no request failed for HOLD_SECONDS: no flapping
    told = [r.getMessage() for r in caplog.records if r.name.startswith("licmon")]
    assert told.count("database unreachable: requests answered 503 until it answers again") == 1
    assert told.count("database reachable again") == 1
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # no traceback
    warned = [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and r.name.startswith("licmon")
    ]
    assert all(warned.count(line) == 1 for line in warned), warned  # once per episode
