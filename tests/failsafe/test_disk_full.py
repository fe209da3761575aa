"""Disk full on a small tmpfs: 503 with Retry-After, one log line per episode, /readyz
honest, and recovery by itself once space is back."""

import contextlib
import dataclasses
import logging
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from licmon.config import Settings
from licmon.datadir import DataDir
from licmon.domain.models import IpPrecision
from licmon.store import fault_episodes
from licmon.store.sqlite import faults
from tests.conftest import World, checkin_body


@contextlib.contextmanager
def small_tmpfs(where: Path, size: str = "3m") -> Iterator[Path]:
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=True)


def fill(disk: Path) -> Path:
    filler = disk / "filler"
    fd = os.open(filler, os.O_CREAT | os.O_WRONLY, 0o600)
    try:
        with contextlib.suppress(OSError):
            while True:
                os.write(fd, b"\0" * 4096)
    finally:
        os.close(fd)
    return filler


async def test_disk_full_is_503_once_logged_and_recovers(
    tmp_path: Path,
    make_client: Callable[..., Any],
    settings: Settings,
    clock: Any,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fault_episodes, "HOLD_SECONDS", 0.0)
    with small_tmpfs(tmp_path / "disk") as disk:
        data = disk / "data"
        client = await make_client(dataclasses.replace(settings, data_dir=data))
        world = World(client, DataDir(data).pepper(), clock)
        await world.store.add_org("acme", "Acme Ltd", IpPrecision.FULL, 60)
        await world.store.add_product("viewer", "Viewer")
        key, _ = await world.add_license(seats=100000, max_machines=100000)
        filler = fill(disk)
        caplog.set_level(logging.INFO)
        statuses = []
        for i in range(400):
            response = await client.post("/v1/checkin", json=checkin_body(key, f"machine-{i:06d}"))
            statuses.append(response.status)
            if response.status == 503:
                assert response.headers["Retry-After"] == str(faults.RETRY_AFTER_SECONDS)
                assert (await response.json())["error"] == "storage_unavailable"
        assert 500 not in statuses
        assert statuses.count(503) >= 50, statuses
        assert "Traceback" not in caplog.text
        full_lines = [r for r in caplog.records if "storage full" in r.getMessage()]
        assert len(full_lines) == 1
        ready = await client.get("/readyz")
        assert ready.status == 503
        assert (await ready.json())["checks"]["store"] == "storage_full"
        filler.unlink()
        response = await client.post("/v1/checkin", json=checkin_body(key, "machine-after"))
        assert response.status == 200
        assert (await client.get("/readyz")).status == 200
        back = [r for r in caplog.records if "writable again" in r.getMessage()]
        assert len(back) == 1 and back[0].refused_writes == statuses.count(503)
        await client.close()
