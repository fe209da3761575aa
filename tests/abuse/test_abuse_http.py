"""Detectors in a running licmon, over HTTP: throttling, flags, restarts, GeoIP, /readyz."""

import asyncio
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from licmon.app import create_app
from licmon.domain import license_keys
from licmon.errors import ConfigError
from licmon.keys import INDEX, STORE
from licmon.store.sqlite import SqliteStore
from tests.abuse.conftest import Abused, abuse_settings
from tests.abuse.geofiles import city_file
from tests.conftest import FakeClock


async def flags_of(world: Abused, kind: str) -> list[dict[str, Any]]:
    return await world.store.list_flags(None, kind=kind)


async def test_key_guessing_gets_429_with_retry_after_and_genuine_licenses_keep_working(
    aworld: Abused,
) -> None:
    key, _ = await aworld.add_license(seats=5)
    assert (await aworld.checkin_from(key, "203.0.113.200", "office-pc"))[0] == 200
    statuses = [
        (await aworld.checkin_from(license_keys.generate(), "203.0.113.5", "guesser-01"))[0]
        for _ in range(12)
    ]
    assert statuses[:10] == [403] * 10 and statuses[10:] == [429, 429]
    status, body, headers = await aworld.checkin_from(key, "203.0.113.5", "guesser-01")
    assert status == 429 and body["error"] == "throttled" and "message" in body
    assert 0 < int(headers["Retry-After"]) <= 60
    assert (await aworld.checkin_from(key, "203.0.113.200", "office-pc"))[0] == 200
    assert (await aworld.checkin_from(key, "203.0.113.201", "new-pc-0001"))[0] == 200
    assert await flags_of(aworld, "key_guessing") == []  # throttled first
    aworld.clock.advance(int(headers["Retry-After"]) + 1)
    for _ in range(10):
        await aworld.checkin_from(license_keys.generate(), "203.0.113.5", "guesser-01")
    (flag,) = await flags_of(aworld, "key_guessing")
    assert flag["license_id"] is None and flag["status"] == "open"
    metrics = await (await aworld.client.get("/metrics")).text()
    assert "licmon_throttled_total" in metrics and "203.0.113" not in metrics
    assert 'licmon_flags_raised_total{kind="key_guessing",severity="medium"} 1.0' in metrics


async def test_release_with_unknown_keys_is_throttled_too(aworld: Abused) -> None:
    body = {"key": license_keys.generate(), "product": "viewer", "machine": "guesser-1"}
    headers = {"X-Forwarded-For": "198.51.100.99"}
    statuses = [
        (await aworld.client.post("/v1/release", json=body, headers=headers)).status
        for _ in range(11)
    ]
    assert statuses[-1] == 429


async def test_impossible_travel_and_territory_from_geoip(aworld: Abused) -> None:
    key, lic = await aworld.add_license()
    assert (await aworld.checkin_from(key, "198.51.100.7"))[0] == 200  # Berlin
    aworld.clock.advance(3600)
    assert (await aworld.checkin_from(key, "203.0.113.7"))[0] == 200  # New York
    assert await flags_of(aworld, "impossible_travel") == []  # one machine: may come back
    aworld.clock.advance(3 * 3600)
    assert (await aworld.checkin_from(key, "203.0.113.7"))[0] == 200  # still in New York
    (travel,) = await flags_of(aworld, "impossible_travel")
    assert travel["license_id"] == lic.id and travel["severity"] == "high"
    de_key, _ = await aworld.add_license(allowed_countries=frozenset({"DE"}))
    status, body, _ = await aworld.checkin_from(de_key, "203.0.113.7")
    assert status == 403 and body["reason"] == "territory"
    assert len(await flags_of(aworld, "territory")) == 1


async def test_a_flag_persisting_is_counted_once_per_refire_period(aworld: Abused) -> None:
    key, _ = await aworld.add_license(seats=5, max_machines=2)
    for n in range(4):
        await aworld.checkin_from(key, "198.51.100.7", f"machine-{n:04d}")
    aworld.clock.advance(3601)
    await aworld.checkin_from(key, "198.51.100.7", "machine-0003")
    (flag,) = await flags_of(aworld, "machine_sharing")
    assert flag["count"] == 2


async def test_a_restart_keeps_the_detector_windows(
    make_client: Callable[..., Any], aworld: Abused
) -> None:
    key, _ = await aworld.add_license(seats=5, max_machines=2)
    for n in range(2):
        assert (await aworld.checkin_from(key, "198.51.100.7", f"machine-{n:04d}"))[0] == 200
    await aworld.client.close()  # licmon stops; its memory is gone
    assert aworld.settings is not None
    restarted = await make_client(aworld.settings)
    aworld.client = restarted
    assert (await aworld.checkin_from(key, "198.51.100.7", "machine-0002"))[0] == 200
    (flag,) = await flags_of(aworld, "machine_sharing")
    assert flag["count"] == 1
    reads = [
        e.entry
        for e in await aworld.store.audit_recent()
        if e.entry.action == "personal_data.read" and e.entry.target == "detectors"
    ]
    assert reads and reads[0].actor == "system:detectors" and reads[0].details["connections"] == 2


async def test_readyz_shows_each_geoip_database(aworld: Abused) -> None:
    checks = (await (await aworld.client.get("/readyz")).json())["checks"]
    assert checks["geoip_city"].startswith("loaded GeoIP2-City built")
    assert checks["geoip_anonymous"].startswith("loaded GeoIP2-Anonymous-IP")


async def test_a_missing_database_is_a_readyz_line_not_a_failure(
    make_client: Callable[..., Any], settings: Any, geo_files: dict[str, Path], tmp_path: Path
) -> None:
    configured = abuse_settings(settings, {**geo_files, "asn": tmp_path / "absent.mmdb"})
    client = await make_client(configured)
    response = await client.get("/readyz")
    assert response.status == 200
    assert (await response.json())["checks"]["geoip_asn"].startswith("missing")


async def test_a_corrupt_database_stops_start_up_with_a_clear_error(
    settings: Any, geo_files: dict[str, Path], clock: FakeClock
) -> None:
    geo_files["city"].write_bytes(b"\x00" * 100)
    app = create_app(abuse_settings(settings, geo_files), clock=clock)
    server = TestServer(app)
    with pytest.raises(ConfigError, match=str(geo_files["city"])):
        await server.start_server()
    await server.close()


async def test_sighup_reloads_the_geoip_files(aworld: Abused, tmp_path: Path) -> None:
    assert aworld.settings is not None
    key, _ = await aworld.add_license(allowed_countries=frozenset({"DE"}))
    assert (await aworld.checkin_from(key, "192.0.2.1"))[1]["status"] == "granted"
    paris = (("192.0.2.0/24", ("FR", "Paris", 48.86, 2.35, 20)),)
    os.replace(city_file(tmp_path / "new.mmdb", paris), aworld.settings.geoip_city)
    os.kill(os.getpid(), signal.SIGHUP)
    for _ in range(100):
        await asyncio.sleep(0.02)
        if (await aworld.checkin_from(key, "192.0.2.1", "machine-0002"))[0] == 403:
            break
    status, body, _ = await aworld.checkin_from(key, "192.0.2.1", "machine-0003")
    assert (status, body["reason"]) == (403, "territory")
    assert aworld.client.app[INDEX] and aworld.client.app[STORE]


async def test_rotating_machines_from_one_address_gets_429(aworld: Abused) -> None:
    """A guesser behind one address changes its machine on every try: still one caller, on a
    public address and on a shared (carrier-grade NAT) one, which has a larger budget."""
    budget = aworld.settings.guess_shared_host_threshold if aworld.settings else 0
    for address, allowed in (("203.0.113.5", 10), ("100.64.7.7", budget)):
        statuses = [
            (await aworld.checkin_from(license_keys.generate(), address, f"guesser-{n:04d}"))[0]
            for n in range(allowed + 2)
        ]
        assert statuses[:allowed] == [403] * allowed and statuses[allowed:] == [429, 429]


async def test_checkins_during_the_start_up_replay_reach_the_detectors(
    make_client: Callable[..., Any], aworld: Abused, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A restart serves before its windows are refilled; what arrives meanwhile is held and
    observed once the replay is done, so no pattern slips through a restart."""
    key, lic = await aworld.add_license(seats=5, max_machines=2)
    await aworld.client.close()
    replay_may_end = asyncio.Event()
    history = SqliteStore.detector_history

    async def slow_history(self: SqliteStore, *args: Any) -> Any:
        rows = await history(self, *args)
        await replay_may_end.wait()  # a long log: the replay outlasts start-up's wait
        return rows

    monkeypatch.setattr(SqliteStore, "detector_history", slow_history)
    assert aworld.settings is not None
    aworld.client = await make_client(aworld.settings)
    for n in range(3):  # three machines on a two-machine license, while the replay runs
        assert (await aworld.checkin_from(key, "198.51.100.7", f"machine-{n:04d}"))[0] == 200
    assert await flags_of(aworld, "machine_sharing") == []
    replay_may_end.set()
    for _ in range(100):
        if flags := await flags_of(aworld, "machine_sharing"):
            break
        await asyncio.sleep(0.02)
    assert [flag["license_id"] for flag in flags] == [lic.id]
