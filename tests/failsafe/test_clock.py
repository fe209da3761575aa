"""Clock jumps: seats taken while the clock ran ahead end one lease from now."""

from tests.conftest import World


async def test_a_seat_taken_while_the_clock_ran_ahead_ends_one_lease_from_now(
    world: World,
) -> None:
    key, lic = await world.add_license(seats=1, max_machines=10)
    world.clock.advance(86400)  # a day ahead
    assert (await world.checkin(key, "machine-tomorrow"))[0] == 200
    world.clock.advance(-86400)  # back on time
    status, body = await world.checkin(key, "machine-today")
    assert status == 403 and body["reason"] == "seats_exhausted"
    world.clock.advance(lic.terms.lease_seconds + 1)
    status, body = await world.checkin(key, "machine-today")
    assert status == 200, body
