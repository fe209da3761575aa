"""Clock jumps: seats taken while the clock ran ahead end one lease from now."""

import pytest

from licmon import retention
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


async def test_retention_refuses_to_fold_when_the_clock_is_far_ahead(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    key, _ = await world.add_license(seats=5, max_machines=10)
    assert (await world.checkin(key, "machine-0001"))[0] == 200
    world.clock.advance(70 * 86400)  # the clock jumps 70 days ahead
    with pytest.raises(retention.ClockAhead, match="ahead of the newest stored row"):
        await retention.run_once(world.store, 100, clock=world.clock, max_ahead=7 * 86400)
    assert await world.store.retention_runs() == []  # nothing folded, no run recorded
    world.clock.advance(-70 * 86400 + 3600)
    report = await retention.run_once(world.store, 100, clock=world.clock, max_ahead=7 * 86400)
    assert report["folded"] == 0
