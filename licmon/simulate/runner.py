"""Run a scenario through a real licmon: seeded SQLite store, generated MaxMind files, the
app on 127.0.0.1 with a simulated clock, requests over HTTP with X-Forwarded-For from a
trusted proxy (127.0.0.0/8)."""

import asyncio
import calendar
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from licmon.app import create_app, open_store
from licmon.config import Settings
from licmon.datadir import open_data_dir
from licmon.domain import license_keys
from licmon.domain.access import ReadContext, Role
from licmon.domain.detectors import FlagKind
from licmon.domain.models import IpPrecision, LicenseStatus, LicenseTerms
from licmon.domain.purposes import ABUSE
from licmon.keys import STORE
from licmon.simulate.scenario import LicensePlan, Scenario, Step
from licmon.store.base import Store
from licmon.store.sqlite import prepare_database
from licmon.timetext import iso

START = calendar.timegm((2026, 11, 23, 0, 0, 0))  # a Monday, 00:00 UTC
TICK = 30  # seconds of simulated time sent together
LOOPBACK = "127.0.0.1"
PRODUCT = "viewer"
ACTOR = "cli:simulate"
SCORING = ReadContext(
    "cli:simulate", Role.OPERATOR, ABUSE, "licmon simulate: scoring the detectors"
)


class SimClock:
    def __init__(self) -> None:
        self.now = float(START)

    def __call__(self) -> float:
        return self.now


@dataclass
class Outcome:
    requests: int = 0
    seconds: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    genuine_throttled: int = 0
    license_ids: list[int] = field(default_factory=list)
    flags: list[tuple[str, str]] = field(default_factory=list)
    unknown_country_reports: int = 0


async def run(scenario: Scenario) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="licmon-simulate-") as tmp:
        directory = Path(tmp)
        databases = scenario.geo.write_databases(directory)
        settings = _settings(directory / "data", databases)
        clock = SimClock()
        await asyncio.to_thread(_initialize, settings)
        keys, ids = await _seed(settings, scenario.plans, scenario.places)
        outcome = await _serve_and_drive(settings, clock, scenario, keys)
        outcome.license_ids = ids
        return outcome


def _initialize(settings: Settings) -> None:
    directory = open_data_dir(settings)
    directory.keyring()
    prepare_database(settings.database_path)


def _settings(data_dir: Path, databases: dict[str, Path]) -> Settings:
    return Settings(
        data_dir=data_dir,
        host=LOOPBACK,
        port=0,
        trusted_proxies=("127.0.0.0/8",),
        sqlite_synchronous="NORMAL",
        geoip_city=str(databases["city"]),
        geoip_asn=str(databases["asn"]),
        geoip_anonymous=str(databases["anonymous"]),
        geoip_check_seconds=0.0,
        retention_interval_seconds=1e9,
        catalog_poll_seconds=3600.0,
    )


async def _seed(
    settings: Settings, plans: list[LicensePlan], places: list[str]
) -> tuple[list[str], list[int]]:
    pepper = open_data_dir(settings).pepper()
    store = open_store(settings)
    await store.open()
    try:
        await store.add_org("sim", "Simulated customers", IpPrecision.FULL, 60)
        await store.add_product(PRODUCT, "Viewer")
        keys = [license_keys.generate() for _ in plans]
        licenses = await asyncio.gather(
            *(
                _add(store, plan, license_keys.key_hash(pepper, k))
                for plan, k in zip(plans, keys, strict=True)
            )
        )
        for plan, lic in zip(plans, licenses, strict=True):
            if plan.revoked:
                await store.set_license_status(lic.id, LicenseStatus.REVOKED)
        for network in places:
            await store.add_place("sim", network, "vpn", "declared VPN egress", actor=ACTOR)
    finally:
        await store.close()
    return keys, [lic.id for lic in licenses]


async def _add(store: Store, plan: LicensePlan, key_hash: bytes) -> Any:
    terms = LicenseTerms(
        seats=plan.seats,
        max_machines=plan.max_machines,
        valid_until=START - 86400 if plan.expired else None,
        allowed_countries=frozenset(plan.countries),
        lease_seconds=3600,
    )
    return await store.add_license("sim", PRODUCT, terms, key_hash)


async def _serve_and_drive(
    settings: Settings, clock: SimClock, scenario: Scenario, keys: list[str]
) -> Outcome:
    runner = web.AppRunner(create_app(settings, clock=clock), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, LOOPBACK, 0)
        await site.start()
        url = f"http://{LOOPBACK}:{runner.addresses[0][1]}"
        outcome = await _drive(url, clock, scenario.steps, keys)
        await _read_flags(runner.app[STORE], outcome)
        return outcome
    finally:
        await runner.cleanup()


async def _drive(url: str, clock: SimClock, steps: list[Step], keys: list[str]) -> Outcome:
    outcome = Outcome()
    connector = aiohttp.TCPConnector(limit=64)
    async with aiohttp.ClientSession(url, connector=connector) as http:
        started = time.perf_counter()
        for tick in _ticks(steps):
            clock.now = START + tick[0].at
            statuses = await asyncio.gather(*(_send(http, step, keys) for step in tick))
            for step, status in zip(tick, statuses, strict=True):
                outcome.statuses[status] += 1
                genuine = step.license is not None or step.honest
                outcome.genuine_throttled += genuine and status == 429
        outcome.seconds = time.perf_counter() - started
    outcome.requests = len(steps)
    return outcome


def _ticks(steps: list[Step]) -> list[list[Step]]:
    ticks: dict[int, list[Step]] = {}
    for step in steps:
        ticks.setdefault(step.at // TICK, []).append(step)
    return [ticks[t] for t in sorted(ticks)]


async def _send(http: aiohttp.ClientSession, step: Step, keys: list[str]) -> int:
    key = keys[step.license] if step.license is not None else step.key
    body: dict[str, Any] = {"key": key, "product": PRODUCT, "machine": step.machine}
    path = "/v1/release" if step.release else "/v1/checkin"
    if not step.release:
        body["nonce"] = step.nonce
        if step.client_at is not None:
            body["client_time"] = iso(START + step.client_at)
    headers = {"X-Forwarded-For": step.address}
    async with http.post(path, json=body, headers=headers) as response:
        await response.read()
        return response.status


async def _read_flags(store: Store, outcome: Outcome) -> None:
    """Every flag raised; a key-guessing flag's network is evidence, read through the
    purpose gateway (audited), as staff would."""
    for flag in await store.list_flags(None, limit=1_000_000):
        kind = flag["kind"]
        if kind == FlagKind.UNKNOWN_COUNTRY:
            outcome.unknown_country_reports += 1
        elif kind == FlagKind.KEY_GUESSING:
            evidence = (await store.read_flag(SCORING, flag["id"]))["evidence"] or {}
            outcome.flags.append((kind, str(evidence.get("network"))))
        else:
            outcome.flags.append((kind, f"license:{flag['license_id']}"))
