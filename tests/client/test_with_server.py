"""The client against a real licmon: granted, renewed, denied, heartbeat, release, sync API."""

import asyncio
import json
import stat
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from licmon.client import KeyTypo, LicenseClient, State, Status
from licmon.domain import license_keys
from licmon.domain.models import LicenseStatus
from licmon.keys import INDEX
from tests.client.conftest import FAST, Sleeps, pinned_keys, url_of
from tests.conftest import START, World


async def test_granted_lease_is_verified_and_kept_owner_only(
    world: World, new_client: Any, state_dir: Path
) -> None:
    key, lic = await world.add_license(seats=2, entitlements=("export",))
    client = new_client(key)
    status = await client.checkin()
    assert status.state is State.LICENSED and status.licensed
    assert status.lease is not None
    assert status.lease.license_id == str(lic.id)
    assert status.lease.machine == "machine-0001"
    assert status.lease.expires_at == START + 1800
    assert status.entitlements == ("export",)
    saved = state_dir / "lease-viewer.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert json.loads(saved.read_text())["lease"] == status.lease.token
    assert key not in saved.read_text()
    names = sorted(p.name for p in state_dir.iterdir())
    assert names == [".chain-viewer.lock", "chain-viewer.json", "lease-viewer.json"]
    assert stat.S_IMODE((state_dir / "chain-viewer.json").stat().st_mode) == 0o600


async def test_same_machine_renews_its_one_seat(world: World, new_client: Any) -> None:
    key, lic = await world.add_license(seats=1)
    client = new_client(key)
    first = await client.checkin()
    world.clock.advance(600)
    second = await client.checkin()
    assert first.lease is not None and second.lease is not None
    assert second.state is State.LICENSED
    assert second.lease.expires_at == first.lease.expires_at + 600
    assert second.lease.nonce != first.lease.nonce
    assert (await world.store.license_usage(lic.id)).seats_in_use == 1


async def test_heartbeat_renews_at_half_the_lease_in_the_background(
    world: World, new_client: Any, sleeps: Sleeps
) -> None:
    key, _ = await world.add_license(lease_seconds=60)
    client = new_client(key, timing=replace(FAST, min_heartbeat=1.0))
    first = await client.start()
    assert first.lease is not None
    await _until(lambda: _nonce(client.status) != first.lease.nonce)  # type: ignore[union-attr]
    await client.stop_heartbeat()
    assert client.status.state is State.LICENSED
    assert sleeps.delays[0] == 30.0


async def test_seats_exhausted_is_said_in_plain_words(world: World, new_client: Any) -> None:
    key, _ = await world.add_license(seats=1)
    await new_client(key, machine="machine-aaaa").checkin()
    status = await new_client(key, machine="machine-bbbb").checkin()
    assert status.state is State.DENIED and not status.licensed
    assert status.reason == "seats_exhausted"
    assert status.message == "All 1 seat(s) of this license are in use on other computers."


async def test_revocation_ends_the_license_and_its_saved_lease(
    world: World, new_client: Any, state_dir: Path
) -> None:
    key, lic = await world.add_license()
    client = new_client(key)
    assert (await client.checkin()).licensed
    await world.store.set_license_status(lic.id, LicenseStatus.REVOKED)
    await world.client.app[INDEX].refresh(world.store)
    status = await client.checkin()
    assert status.state is State.DENIED and status.reason == "revoked"
    assert status.message == "This license has been revoked."
    assert not (state_dir / "lease-viewer.json").exists()


async def test_unknown_key_is_denied_and_the_heartbeat_gives_up(
    world: World, new_client: Any
) -> None:
    client = new_client(license_keys.generate())
    status = await client.start()
    assert status.reason == "invalid_key" and "not valid" in status.message
    await _until(lambda: client._heartbeat is not None and client._heartbeat.done())


async def test_a_mistyped_key_is_refused_before_any_request(
    world: World, new_client: Any, aiohttp_server: Any
) -> None:
    hits: list[str] = []

    async def count(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.json_response({})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", count)
    server = await aiohttp_server(app)
    key, _ = await world.add_license()
    typo = key[:-1] + ("A" if key[-1] != "A" else "B")
    with pytest.raises(KeyTypo) as caught:
        new_client(typo, server=url_of(server))
    assert key not in str(caught.value) and typo not in str(caught.value)
    assert hits == []


async def test_leaving_the_block_releases_the_seat(
    world: World, new_client: Any, state_dir: Path
) -> None:
    key, lic = await world.add_license()
    async with new_client(key) as client:
        assert client.licensed
        assert (await world.store.license_usage(lic.id)).seats_in_use == 1
    assert (await world.store.license_usage(lic.id)).seats_in_use == 0
    assert client.status.state is State.UNLICENSED and client.status.reason == "released"
    assert not (state_dir / "lease-viewer.json").exists()


async def test_status_changes_reach_the_program(world: World, new_client: Any) -> None:
    key, lic = await world.add_license()
    seen: list[State] = []
    client = new_client(key, on_change=lambda status: seen.append(status.state))
    await client.checkin()
    await client.checkin()
    await world.store.set_license_status(lic.id, LicenseStatus.SUSPENDED)
    await world.client.app[INDEX].refresh(world.store)
    await client.checkin()
    assert seen == [State.LICENSED, State.DENIED]


async def test_sync_client_checks_in_renews_and_releases(
    world: World, state_dir: Path, sleeps: Sleeps
) -> None:
    key, lic = await world.add_license()

    def program() -> tuple[Status, bool]:
        with LicenseClient(
            url_of(world.client),
            key,
            "viewer",
            machine="machine-sync",
            trusted_keys=pinned_keys(world),
            state_dir=state_dir,
            timing=FAST,
            clock=world.clock,
        ) as client:
            return client.checkin(), client.licensed

    status, licensed = await asyncio.to_thread(program)
    assert licensed and status.state is State.LICENSED
    assert status.lease is not None and status.lease.machine == "machine-sync"
    assert (await world.store.license_usage(lic.id)).seats_in_use == 0


async def test_sync_client_heartbeat_renews_on_its_own_thread(
    world: World, state_dir: Path
) -> None:
    key, lic = await world.add_license(lease_seconds=60)
    fast_beat = replace(FAST, heartbeat_fraction=0.001, min_heartbeat=0.02)

    def program() -> tuple[str | None, str | None]:
        client = LicenseClient(
            url_of(world.client),
            key,
            "viewer",
            machine="machine-sync",
            trusted_keys=pinned_keys(world),
            state_dir=state_dir,
            timing=fast_beat,
            clock=world.clock,
        )
        first = _nonce(client.start())
        deadline = time.monotonic() + 3
        while _nonce(client.status) == first and time.monotonic() < deadline:
            time.sleep(0.01)
        renewed = _nonce(client.status)
        client.close()
        return first, renewed

    first, renewed = await asyncio.to_thread(program)
    assert first is not None and renewed not in (None, first)
    assert (await world.store.license_usage(lic.id)).seats_in_use == 0
    assert not any(t.name == "licmon-client" for t in threading.enumerate())


def test_sync_client_refuses_a_typo_without_starting_anything() -> None:
    with pytest.raises(KeyTypo):
        LicenseClient("http://127.0.0.1:9", "LM-00000-00000", "viewer")


async def _until(condition: Any, timeout: float = 3.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition never became true"
        await asyncio.sleep(0.01)


def _nonce(status: Status) -> str | None:
    return status.lease.nonce if status.lease else None
