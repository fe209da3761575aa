"""Clock jumps: seats taken while the clock ran ahead end one lease from now."""

import logging
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web

from licmon import retention
from licmon.app import create_app
from licmon.config import Settings
from licmon.domain.models import IpPrecision
from licmon.keys import METRICS, STORE
from tests.conftest import START, FakeClock, World


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


async def test_a_clock_behind_the_newest_row_is_logged_and_a_metric(
    make_client: Callable[..., Any],
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    first = await make_client(settings)  # the fixture clock: START
    await first.app[STORE].add_org("acme", "Acme Ltd", IpPrecision.FULL, 60)
    await first.close()
    caplog.set_level(logging.INFO)
    app = create_app(settings, clock=FakeClock(START - 86400))  # a day back
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        text = app[METRICS].exposition().decode()
        assert "licmon_clock_behind_seconds 86400.0" in text
        assert "licmon_clock_backwards_total 1.0" in text
        assert any("clock is behind" in r.getMessage() for r in caplog.records)
    finally:
        await runner.cleanup()
