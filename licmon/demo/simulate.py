"""Simulated desktop programs, honest and abusive, built on ``licmon.client``.

Each behaviour runs a bounded loop until the deadline and returns what its programs were told,
in the client's own plain words. All traffic goes to the demo server on the loopback address.
"""

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp

from licmon.client import AsyncLicenseClient, Status, Timing, TrustedKeys
from licmon.demo.seed import LEASE_SECONDS, DemoLicense
from licmon.demo.world import DemoWorld
from licmon.domain import license_keys

HONEST_MACHINES = 4
OVERUSE_MACHINES = 6
# The library renews at half the lease; the demo renews about every second to be seen.
DEMO_TIMING = Timing(
    timeout=5.0,
    attempts=1,
    max_wait=0.0,
    heartbeat_fraction=1.0 / LEASE_SECONDS,
    min_heartbeat=0.5,
    release_timeout=2.0,
)


@dataclass(frozen=True)
class Told:
    """What the programs of one behaviour were told at the end."""

    behaviour: str
    message: str


class Simulation:
    """The programs of every behaviour; each speaks from its own network of the demo's
    world (one HTTP session per address, naming it in ``X-Forwarded-For``)."""

    def __init__(self, url: str, keys: TrustedKeys, world: DemoWorld, seconds: float) -> None:
        self.url, self.keys, self.world = url, keys, world
        self.deadline = asyncio.get_running_loop().time() + seconds
        self.rng = random.Random()
        self._sessions: dict[str, aiohttp.ClientSession] = {}

    def session(self, address: str) -> aiohttp.ClientSession:
        if address not in self._sessions:
            self._sessions[address] = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=10),
                headers={"X-Forwarded-For": address},
            )
        return self._sessions[address]

    async def close(self) -> None:
        await asyncio.gather(*(s.close() for s in self._sessions.values()))

    def client(
        self, key: str, product: str, machine: str, where: tuple[str, int]
    ) -> AsyncLicenseClient:
        """A program of behaviour ``where[0]`` on that behaviour's network ``where[1]``."""
        return AsyncLicenseClient(
            self.url,
            key,
            product,
            machine=machine,
            trusted_keys=self.keys,
            session=self.session(self.world.address(*where)),
            timing=DEMO_TIMING,
        )

    def running(self) -> bool:
        return asyncio.get_running_loop().time() < self.deadline

    async def every(self, period: float, action: Callable[[], Awaitable[None]]) -> None:
        """Run ``action`` about every ``period`` seconds (jittered) until the deadline."""
        while self.running():
            await action()
            remaining = self.deadline - asyncio.get_running_loop().time()
            await asyncio.sleep(max(0.0, min(period * (0.5 + self.rng.random()), remaining)))

    async def once(self, key: str, product: str, machine: str, where: tuple[str, int]) -> Status:
        """One check-in by a program that then goes away without releasing."""
        client = self.client(key, product, machine, where)
        try:
            return await client.checkin()
        finally:
            await client.close(release=False)


async def honest(sim: Simulation, lic: DemoLicense) -> Told:
    """A few machines start, renew in the background (the client's heartbeat), release at exit."""
    clients = [
        sim.client(lic.key, lic.product, f"demo-honest-{n:02d}", (lic.role, n))
        for n in range(HONEST_MACHINES)
    ]
    try:
        await asyncio.gather(*(c.start() for c in clients))
        while sim.running():
            await asyncio.sleep(
                min(0.2, max(0.0, sim.deadline - asyncio.get_running_loop().time()))
            )
        return Told("honest machines", clients[0].status.message)
    finally:
        await asyncio.gather(*(c.close() for c in clients))


async def seat_overuse(sim: Simulation, lic: DemoLicense) -> Told:
    """More machines than seats, each checking in again and again."""
    statuses: list[Status] = []

    async def machine(n: int) -> None:
        async def check() -> None:
            statuses.append(
                await sim.once(lic.key, lic.product, f"demo-overuse-{n:02d}", (lic.role, n))
            )

        await sim.every(0.7, check)

    await asyncio.gather(*(machine(n) for n in range(OVERUSE_MACHINES)))
    return Told("seat overuse", _denial(statuses))


async def machine_sharing(sim: Simulation, lic: DemoLicense) -> Told:
    """One key passed around: a new machine checks in every few tenths of a second."""
    seen: list[Status] = []

    async def new_machine() -> None:
        n = len(seen)
        seen.append(await sim.once(lic.key, lic.product, f"demo-shared-{n:03d}", (lic.role, n)))

    await sim.every(0.5, new_machine)
    return Told("many machines on one key", seen[-1].message if seen else "")


async def key_guessing(sim: Simulation, product: str) -> Told:
    """Well-formed random keys (they pass the client's typo check) tried one after another."""
    seen: list[Status] = []

    async def guess() -> None:
        key = license_keys.generate()
        seen.append(await sim.once(key, product, "demo-guesser-01", ("key guessing", 0)))

    await sim.every(0.15, guess)
    return Told("invalid-key guessing", seen[-1].message if seen else "")


async def dead_key(sim: Simulation, lic: DemoLicense) -> Told:
    """A revoked key that keeps checking in."""
    seen: list[Status] = []

    async def check() -> None:
        seen.append(await sim.once(lic.key, lic.product, "demo-revoked-01", (lic.role, 0)))

    await sim.every(1.0, check)
    return Told("revoked key in use", seen[-1].message if seen else "")


async def impossible_travel(sim: Simulation, lic: DemoLicense) -> Told:
    """One single-seat key used in turn in Vienna and in San Francisco, minutes apart, by
    two computers that each release the seat when done: two people, two continents."""
    seen: list[Status] = []
    turns = 0

    async def turn() -> None:
        nonlocal turns
        machine = f"demo-traveller-{turns % 2 + 1:02d}"
        client = sim.client(lic.key, lic.product, machine, (lic.role, turns))
        try:
            seen.append(await client.checkin())
        finally:
            await client.close(release=True)
        turns += 1

    await sim.every(1.5, turn)
    return Told("impossible travel", seen[-1].message if seen else "")


async def simulate(
    url: str, licenses: list[DemoLicense], keys: TrustedKeys, world: DemoWorld, seconds: float
) -> list[Told]:
    sim = Simulation(url, keys, world, seconds)
    role = {lic.role: lic for lic in licenses}
    try:
        return list(
            await asyncio.gather(
                honest(sim, role["honest"]),
                seat_overuse(sim, role["seat overuse"]),
                machine_sharing(sim, role["machine sharing"]),
                key_guessing(sim, "viewer"),
                dead_key(sim, role["revoked key"]),
                impossible_travel(sim, role["impossible travel"]),
            )
        )
    finally:
        await sim.close()


def _denial(statuses: list[Status]) -> str:
    refused = [s for s in statuses if not s.licensed]
    return (refused or statuses)[-1].message if statuses else ""
