"""Borrowing a seat for days over the real HTTP API, and giving it back early."""

from typing import Any

import jwt

from licmon.client import AsyncLicenseClient
from licmon.client.offline import activation_request
from licmon.domain.offline import parse_activation_request
from licmon.domain.purposes import DAY
from licmon.keys import GAUGES, KEYRING
from licmon.services.activation import Activator
from tests.client.conftest import FAST, pinned_keys, url_of
from tests.conftest import World, checkin_body


async def borrow(world: World, key: str, days: Any, machine: str = "laptop-0001") -> Any:
    body = {**checkin_body(key, machine), "days": days}
    response = await world.client.post("/v1/borrow", json=body)
    return response.status, await response.json()


def claims_of(world: World, lease: str) -> dict[str, Any]:
    public = world.client.app[KEYRING].current.public
    return dict(
        jwt.decode(
            lease, public, algorithms=["EdDSA"], audience="viewer", options={"verify_exp": False}
        )
    )


async def test_borrow_holds_the_seat_days_ahead_and_release_returns_it(world: World) -> None:
    key, lic = await world.add_license(seats=1, max_borrow_days=14)
    status, answer = await borrow(world, key, 7)
    assert status == 200, answer
    claims = claims_of(world, answer["lease"])
    assert claims["exp"] == int(world.clock.now) + 7 * DAY and claims["borrowed"] is True
    usage = await world.store.license_usage(lic.id)
    assert (usage.seats_in_use, usage.borrowed) == (1, 1)

    world.clock.advance(3 * DAY)  # long past any heartbeat lease: the seat is still held
    status, denied = await world.checkin(key, "desktop-0002")
    assert status == 403 and denied["reason"] == "seats_exhausted"
    # A heartbeat of the borrowing machine never shortens the borrowed seat.
    status, _ = await world.checkin(key, "laptop-0001")
    assert status == 200
    world.clock.advance(3600)
    assert (await world.store.license_usage(lic.id)).borrowed == 1

    released = await world.client.post(
        "/v1/release", json={"key": key, "product": "viewer", "machine": "laptop-0001"}
    )
    assert released.status == 200
    status, _ = await world.checkin(key, "desktop-0002")
    assert status == 200


async def test_borrowing_beyond_the_limit_is_refused(world: World) -> None:
    key, lic = await world.add_license(seats=2, max_borrow_days=5)
    status, answer = await borrow(world, key, 6)
    assert status == 403 and answer["reason"] == "borrow_not_allowed"
    no_borrowing, _ = await world.add_license(seats=2)
    status, answer = await borrow(world, no_borrowing, 1)
    assert status == 403 and answer["reason"] == "borrow_not_allowed"
    assert (await world.store.license_usage(lic.id)).seats_in_use == 0


async def test_bad_borrow_bodies_get_400(world: World) -> None:
    key, _ = await world.add_license(seats=1, max_borrow_days=5)
    for days in (0, -1, 3651, "3", 2.5, True, None):
        status, answer = await borrow(world, key, days)
        assert status == 400 and answer["error"] == "bad_request", days
    response = await world.client.post("/v1/borrow", json=checkin_body(key))
    assert response.status == 400 and "days" in (await response.json())["message"]


async def test_the_client_borrows_and_gives_back(world: World) -> None:
    key, lic = await world.add_license(seats=1, max_borrow_days=10)
    client = AsyncLicenseClient(
        url_of(world.client.server),
        key,
        "viewer",
        machine="laptop-0001",
        trusted_keys=pinned_keys(world),
        timing=FAST,
        clock=world.clock,
    )
    try:
        status = await client.borrow(4)
        assert status.licensed and status.lease is not None
        assert status.lease.expires_at == int(world.clock.now) + 4 * DAY
        assert (await world.store.license_usage(lic.id)).borrowed == 1
        assert await client.release()
        assert (await world.store.license_usage(lic.id)).seats_in_use == 0
    finally:
        await client.close(release=False)


async def test_openapi_describes_borrow(world: World) -> None:
    spec = await (await world.client.get("/openapi.json")).json()
    body = spec["paths"]["/v1/borrow"]["post"]["requestBody"]["content"]["application/json"]
    assert "days" in body["schema"]["required"]
    denied = spec["paths"]["/v1/borrow"]["post"]["responses"]["403"]["content"]
    assert (
        "borrow_not_allowed" in denied["application/json"]["schema"]["properties"]["reason"]["enum"]
    )


async def test_borrowed_seats_show_in_the_metrics(world: World) -> None:
    key, _ = await world.add_license(seats=2, max_borrow_days=10)
    assert (await borrow(world, key, 3))[0] == 200
    await world.checkin(key, "desktop-0002")
    gauges = await world.store.gauges(int(world.clock.now))
    viewer = next(row for row in gauges.products if row.product == "viewer")
    assert (viewer.in_use, viewer.borrowed, viewer.offline) == (2, 1, 0)
    await world.client.app[GAUGES].refresh()
    text = await (await world.client.get("/metrics")).text()
    line = 'licmon_seats_away{kind="borrowed",product="viewer"} 1.0'
    assert line in text and key not in text and "license" not in line


async def test_release_never_frees_an_air_gapped_seat(world: World) -> None:
    key, lic = await world.add_license(seats=1, max_offline_days=30)
    req = parse_activation_request(activation_request(key, "viewer", "lab-pc-000001"))
    activator = Activator(world.store, world.client.app[KEYRING], world.pepper, "licmon")
    await activator.issue(req, 10)
    released = await world.client.post(
        "/v1/release", json={"key": key, "product": "viewer", "machine": "lab-pc-000001"}
    )
    assert released.status == 200
    assert (await world.store.license_usage(lic.id)).offline == 1
    status, answer = await world.checkin(key, "desktop-0002")
    assert status == 403 and answer["reason"] == "seats_exhausted"
