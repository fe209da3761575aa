"""SIGTERM: every request the server received is answered (the drain answers 503 with
Retry-After, no connection is reset), and the process exits within shutdown_timeout even
when a request is stuck on the database."""

import asyncio
import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import aiohttp
import pytest

from tests.conftest import checkin_body
from tests.failsafe.test_overload import hold_write_lock
from tests.serverproc import free_port, log_path, seated_machines, seed, start

pytestmark = pytest.mark.slow
WORKERS = 48


async def _polite_client(
    url: str, key: str, worker: int, stop: asyncio.Event, seen: Counter[str], acked: set[str]
) -> None:
    """Sends check-ins back to back and honours Retry-After, as licmon's client does."""
    async with aiohttp.ClientSession() as session:
        n = 0
        while not stop.is_set():
            n += 1
            machine = f"machine-{worker:03d}-{n:06d}"
            try:
                async with session.post(url, json=checkin_body(key, machine)) as response:
                    await response.read()
                    seen[str(response.status)] += 1
                    if response.status == 200:
                        acked.add(machine)
                    if response.status == 503:
                        seen["retry_after"] += "Retry-After" in response.headers
                        await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
            except aiohttp.ClientConnectorError:
                seen["refused"] += 1  # the listener is closed: nothing was sent
                await asyncio.sleep(0.05)
            except (aiohttp.ClientError, ConnectionError):
                seen["reset"] += 1  # sent, and the connection went away unanswered
                await asyncio.sleep(0.05)


async def _load_then_sigterm(
    proc: subprocess.Popen[bytes], port: int, key: str
) -> tuple[Counter[str], set[str]]:
    seen: Counter[str] = Counter()
    acked: set[str] = set()
    stop = asyncio.Event()
    url = f"http://127.0.0.1:{port}/v1/checkin"
    workers = [
        asyncio.create_task(_polite_client(url, key, w, stop, seen, acked)) for w in range(WORKERS)
    ]
    await asyncio.sleep(1.5)
    proc.send_signal(signal.SIGTERM)
    await asyncio.sleep(0.2)
    readyz = f"http://127.0.0.1:{port}/readyz"
    async with aiohttp.ClientSession() as session, session.get(readyz) as ready:
        seen[f"readyz {ready.status} {(await ready.json())['checks']['store']}"] += 1
    await asyncio.to_thread(proc.wait, 60)
    stop.set()
    await asyncio.gather(*workers)
    return seen, acked


def test_sigterm_answers_every_received_request(tmp_path: Path) -> None:
    data = tmp_path / "data"
    key = seed(data, seats=1_000_000)
    port = free_port()
    proc = start(data, port)
    seen, acked = asyncio.run(_load_then_sigterm(proc, port, key))
    assert proc.returncode == 0, log_path(data).read_text()
    assert seen["200"] > 50, "the test must have seen real traffic"
    assert seen["reset"] == 0, f"{seen['reset']} requests were reset: {dict(seen)}"
    assert seen["503"] > 0 and seen["retry_after"] == seen["503"], dict(seen)
    assert seen["readyz 503 draining"] == 1, "a load balancer must see the drain"
    assert acked <= seated_machines(data / "licmon.db")


def test_sigterm_exits_within_shutdown_timeout_with_a_request_stuck(tmp_path: Path) -> None:
    data = tmp_path / "data"
    key = seed(data, seats=100)
    port = free_port()
    os.environ["LICMON_SHUTDOWN_TIMEOUT"] = "2"
    try:
        proc = start(data, port)
    finally:
        del os.environ["LICMON_SHUTDOWN_TIMEOUT"]
    lock = hold_write_lock(str(data / "licmon.db"))  # the writer now waits on BEGIN
    try:

        async def stuck_then_sigterm() -> float:
            async with aiohttp.ClientSession() as session:
                url = f"http://127.0.0.1:{port}/v1/checkin"
                pending = asyncio.create_task(session.post(url, json=checkin_body(key)))
                await asyncio.sleep(0.5)
                began = time.monotonic()
                proc.send_signal(signal.SIGTERM)
                await asyncio.to_thread(proc.wait, 60)
                pending.cancel()
                return time.monotonic() - began

        took = asyncio.run(stuck_then_sigterm())
    finally:
        lock.communicate("ROLLBACK;\n", timeout=10)
    assert took < 2 + 1.5, f"exit took {took:.1f} s with shutdown_timeout 2"
    assert "shutdown_timeout" in log_path(data).read_text()
