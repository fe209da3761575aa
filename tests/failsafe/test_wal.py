"""The WAL under a long reader (an external sqlite3 holding a read transaction): measured on
/readyz and /metrics, a warning while pinned, cut back once the reader ends."""

import asyncio
import dataclasses
import logging
import subprocess
from collections.abc import Callable
from typing import Any

import pytest

from licmon.config import Settings
from licmon.datadir import DataDir
from licmon.domain.models import IpPrecision
from licmon.store.sqlite import store as sqlite_store
from licmon.store.sqlite import wal as wal_module
from tests.conftest import World, checkin_body


def hold_read_transaction(database: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        ["sqlite3", database], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("BEGIN;\nSELECT count(*) FROM licenses;\n")
    proc.stdin.flush()
    proc.stdout.readline()
    return proc


async def checkins(world: World, key: str, prefix: str, count: int) -> None:
    for i in range(count):
        response = await world.client.post(
            "/v1/checkin", json=checkin_body(key, f"{prefix}-{i:06d}")
        )
        assert response.status == 200


async def ready_checks(world: World) -> dict[str, str]:
    await asyncio.sleep(0.4)  # a few checkpoint intervals
    return dict((await (await world.client.get("/readyz")).json())["checks"])


async def test_a_long_reader_pins_the_wal_and_it_shrinks_after(
    make_client: Callable[..., Any],
    settings: Settings,
    clock: Any,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(wal_module, "PIN_WARNING_BYTES", 200_000)
    monkeypatch.setattr(sqlite_store, "JOURNAL_SIZE_LIMIT", 100_000)
    client = await make_client(dataclasses.replace(settings, wal_checkpoint_seconds=0.1))
    world = World(client, b"", clock)
    await world.store.add_org("acme", "Acme Ltd", IpPrecision.FULL, 60)
    await world.store.add_product("viewer", "Viewer")
    world.pepper = DataDir(settings.data_dir).pepper()
    key, _ = await world.add_license(seats=100000, max_machines=100000)
    caplog.set_level(logging.INFO)
    reader = hold_read_transaction(str(settings.database_path))
    try:
        await checkins(world, key, "pinned", 600)
        checks = await ready_checks(world)
        assert checks["wal"] == "pinned_by_a_reader"
        assert int(checks["wal_bytes"]) > 200_000
        metrics = await (await client.get("/metrics")).text()
        assert "licmon_store_wal_bytes" in metrics
        warnings = [r for r in caplog.records if "pins the WAL" in r.getMessage()]
        assert len(warnings) == 1
    finally:
        assert reader.stdin is not None and reader.stdout is not None
        reader.stdin.close()
        reader.wait(10)
        reader.stdout.close()
    await ready_checks(world)  # the checkpoint completes now
    await checkins(world, key, "after", 5)  # the next write restarts the WAL, cut back
    checks = await ready_checks(world)
    assert checks["wal"] == "ok"
    assert int(checks["wal_bytes"]) <= 100_000 + 50_000
