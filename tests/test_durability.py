"""Real processes: kill -9 loses no acknowledged check-in; SIGTERM drains and exits 0."""

import asyncio
import os
import signal
import subprocess
from pathlib import Path

import aiohttp
import pytest

from tests.conftest import checkin_body
from tests.serverproc import free_port, log_path, seated_machines, seed, start

pytestmark = pytest.mark.slow


async def _hammer(
    url: str, key: str, acknowledged: set[str], stop: asyncio.Event, worker: int
) -> None:
    async with aiohttp.ClientSession() as session:
        n = 0
        while not stop.is_set():
            machine = f"machine-{worker:03d}-{n:06d}"
            n += 1
            try:
                async with session.post(url, json=checkin_body(key, machine)) as response:
                    if response.status == 200:
                        acknowledged.add(machine)
            except (aiohttp.ClientError, ConnectionError):
                await asyncio.sleep(0.01)


async def _traffic_then(proc: subprocess.Popen[bytes], port: int, key: str, sig: int) -> set[str]:
    acknowledged: set[str] = set()
    stop = asyncio.Event()
    url = f"http://127.0.0.1:{port}/v1/checkin"
    workers = [asyncio.create_task(_hammer(url, key, acknowledged, stop, w)) for w in range(16)]
    await asyncio.sleep(1.0)
    proc.send_signal(sig)
    await asyncio.to_thread(proc.wait, 30)
    stop.set()
    await asyncio.gather(*workers)
    return acknowledged


def test_kill_9_loses_no_acknowledged_checkin(tmp_path: Path) -> None:
    data = tmp_path / "data"
    key = seed(data, seats=1_000_000)
    port = free_port()
    proc = start(data, port)
    acknowledged = asyncio.run(_traffic_then(proc, port, key, signal.SIGKILL))
    assert proc.returncode == -signal.SIGKILL
    assert len(acknowledged) > 50, "the test must have seen real traffic"
    missing = acknowledged - seated_machines(data / "licmon.db")
    assert not missing, f"{len(missing)} acknowledged check-ins were lost"
    again = start(data, port)  # and it starts again on the same files
    again.terminate()
    assert again.wait(30) == 0


def test_sigterm_drains_the_queue_and_exits_zero(tmp_path: Path) -> None:
    data = tmp_path / "data"
    key = seed(data, seats=1_000_000)
    port = free_port()
    proc = start(data, port)
    acknowledged = asyncio.run(_traffic_then(proc, port, key, signal.SIGTERM))
    assert proc.returncode == 0, log_path(data).read_text()
    assert len(acknowledged) > 50
    assert acknowledged <= seated_machines(data / "licmon.db")
    assert os.path.exists(data / "licmon.db")
