"""Cost of the per-machine rules on the store's check-in: a lease chain (and a process) on
every renewal against plain renewals, same store, same run.

    python bench/machine_rules.py [--licenses 200] [--checkins 20000] [--rounds 3]

Prints check-ins per second of each kind and the ratio chained/plain (1.0: free).
"""

import argparse
import asyncio
import ipaddress
import tempfile
import time
from pathlib import Path

from licmon.domain.checkin import checkin_command
from licmon.domain.models import CheckinRequest, GeoInfo, IpPrecision, License, LicenseTerms
from licmon.store.sqlite import SqliteStore

ADDRESS = ipaddress.ip_address("192.0.2.10")
SECRET = "S" * 43


async def licenses(store: SqliteStore, count: int, **terms: object) -> list[License]:
    full = LicenseTerms(**{"seats": 10, "max_machines": 20, **terms})  # type: ignore[arg-type]
    return [
        await store.add_license("bench", "viewer", full, f"{terms}{i}".encode().ljust(32, b"k"))
        for i in range(count)
    ]


async def run(store: SqliteStore, lics: list[License], checkins: int, chained: bool) -> float:
    last: dict[int, str] = {}
    now = int(time.time())
    started = time.perf_counter()
    batch = []
    for n in range(checkins):
        lic = lics[n % len(lics)]
        lease_id = f"lease-{n:012d}-xxxx"
        fields = (
            {"installation": SECRET, "previous": last.get(lic.id), "process": "4242"}
            if chained
            else {}
        )
        req = CheckinRequest("k", "viewer", "bench-machine-01", "A" * 22, **fields)  # type: ignore[arg-type]
        batch.append(store.checkin(checkin_command(lic, req, ADDRESS, GeoInfo(), now, lease_id)))
        last[lic.id] = lease_id
        if len(batch) == 256:
            await asyncio.gather(*batch)
            batch = []
    await asyncio.gather(*batch)
    return checkins / (time.perf_counter() - started)


async def main(count: int, checkins: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(Path(tmp) / "licmon.db", synchronous="NORMAL")
        await store.open()
        await store.add_org("bench", "Bench", IpPrecision.FULL, 60)
        await store.add_product("viewer", "Viewer")
        plain_lics = await licenses(store, count)
        chained_lics = await licenses(store, count, max_processes=4)
        for _ in range(rounds):
            plain = await run(store, plain_lics, checkins, chained=False)
            chained = await run(store, chained_lics, checkins, chained=True)
            print(f"plain {plain:8.0f}/s  chained+process {chained:8.0f}/s  "
                  f"ratio {chained / plain:.2f}")  # fmt: skip
        await store.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--licenses", type=int, default=200)
    parser.add_argument("--checkins", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.licenses, args.checkins, args.rounds))
