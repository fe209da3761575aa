"""Retention reaches every table: machines get a deadline and go, and usage_daily publishes
no cell fed by fewer than usage_min_orgs organizations (totals kept)."""

import pytest

from licmon.domain.models import IpPrecision
from licmon.domain.purposes import DAY
from licmon.domain.usage_cells import generalize, iso_week
from tests.conftest import START
from tests.dbutil import rows
from tests.privacy.conftest import Proxied

DAY_START = START - START % DAY


def _rows(pworld: Proxied, sql: str) -> list[tuple[object, ...]]:
    return rows(pworld.store.path, sql)  # type: ignore[attr-defined]


async def test_a_machine_is_deleted_after_its_deadline(pworld: Proxied) -> None:
    key, lic = await pworld.add_license(org="globex", seats=2)  # retention 30 days
    assert await pworld.checkin_from(key, "203.0.113.7", "machine-old-0001") == 200
    pworld.clock.advance(20 * DAY)
    assert await pworld.checkin_from(key, "203.0.113.7", "machine-new-0002") == 200
    ((deadline,),) = _rows(pworld, "SELECT retain_until FROM machines WHERE id = 1")
    assert deadline == START + lic.terms.lease_seconds + 30 * DAY
    pworld.clock.now = int(deadline) + 1
    report = await pworld.store.run_retention()
    assert report["violations"] == 0
    assert _rows(pworld, "SELECT fingerprint FROM machines") == [("machine-new-0002",)]
    pworld.clock.advance(30 * DAY)
    await pworld.store.run_retention()
    assert _rows(pworld, "SELECT count(*) FROM machines") == [(0,)]
    assert _rows(pworld, "SELECT count(*) FROM seats") == [(0,)]


async def test_a_shorter_retention_shortens_machine_deadlines_at_the_next_run(
    pworld: Proxied,
) -> None:
    key, lic = await pworld.add_license(org="globex", seats=2)  # retention 30 days
    assert await pworld.checkin_from(key, "203.0.113.7", "machine-old-0001") == 200
    ((deadline,),) = _rows(pworld, "SELECT retain_until FROM machines WHERE id = 1")
    assert deadline == START + lic.terms.lease_seconds + 30 * DAY
    pworld.clock.advance(1)
    await pworld.store.update_org("globex", retention_days=7, actor="cli:test")
    await pworld.store.run_retention()
    ((shorter,),) = _rows(pworld, "SELECT retain_until FROM machines WHERE id = 1")
    assert shorter == START + lic.terms.lease_seconds + 7 * DAY
    await pworld.store.update_org("globex", retention_days=60, actor="cli:test")
    await pworld.store.run_retention()
    assert _rows(pworld, "SELECT retain_until FROM machines WHERE id = 1") == [(shorter,)]
    pworld.clock.now = int(shorter) + 1
    await pworld.store.run_retention()
    assert _rows(pworld, "SELECT count(*) FROM machines") == [(0,)]


async def test_a_machine_under_a_legal_hold_stays(pworld: Proxied) -> None:
    key, lic = await pworld.add_license(org="globex", seats=2, lease_seconds=90 * DAY)
    assert await pworld.checkin_from(key, "203.0.113.7", "machine-live-0001") == 200
    await pworld.store.add_hold("machine", "machine-live-0001", "case", "Case 7", None, "cli:t")
    pworld.clock.advance(200 * DAY)
    await pworld.store.run_retention()
    assert _rows(pworld, "SELECT fingerprint FROM machines") == [("machine-live-0001",)]
    assert lic.id


async def _usage_from(pworld: Proxied, orgs: list[str], country_address: str) -> None:
    for org in orgs:
        key, _ = await pworld.add_license(org=org, seats=5)
        assert await pworld.checkin_from(key, country_address, f"machine-{org}-01") == 200
        assert await pworld.checkin_from(key, country_address, f"machine-{org}-02") == 200


def _published(pworld: Proxied) -> list[tuple[object, ...]]:
    return _rows(
        pworld,
        "SELECT day, product, country, connections, checkins FROM usage_daily ORDER BY 1, 3",
    )


@pytest.mark.parametrize("min_orgs", [3, 1])
async def test_usage_daily_publishes_no_cell_of_too_few_organizations(
    pworld: Proxied, min_orgs: int
) -> None:
    for slug in ("hooli", "umbrella"):
        await pworld.store.add_org(slug, slug.title(), IpPrecision.NETWORK, 30)
    pworld.store.usage_min_orgs = min_orgs  # type: ignore[attr-defined]
    await _usage_from(pworld, ["globex", "hooli", "umbrella"], "203.0.113.7")  # one country
    pworld.clock.advance(2 * DAY)
    await _usage_from(pworld, ["globex"], "203.0.113.7")  # one organization alone
    pworld.clock.advance(40 * DAY)
    report = await pworld.store.run_retention()
    assert report["folded"] == 8
    first_day = "2026-11-18"
    if min_orgs == 3:
        assert _published(pworld) == [
            ("*", "*", "other", 2, 2),
            (first_day, "viewer", "", 6, 6),
        ]
    else:  # 1: no suppression, every cell as it is
        assert _published(pworld) == [
            (first_day, "viewer", "", 6, 6),
            ("2026-11-20", "viewer", "", 2, 2),
        ]
    ((total,),) = _rows(pworld, "SELECT sum(checkins) FROM usage_daily")
    assert total == 8


def test_the_ladder_moves_small_cells_to_coarser_ones_and_keeps_every_cell() -> None:
    day, next_day = "2026-11-18", "2026-11-19"
    feeds = [
        ((day, "viewer", "DE"), 1),
        ((day, "viewer", "DE"), 2),
        ((day, "viewer", "DE"), 3),
        ((day, "viewer", "GB"), 1),
        ((day, "viewer", "SE"), 4),
        ((day, "viewer", "FR"), 5),
        ((next_day, "viewer", "US"), 6),
        ((next_day, "editor", "US"), 7),
    ]
    plan = generalize(feeds, 3)
    assert plan[(day, "viewer", "DE")] == (day, "viewer", "DE")
    assert plan[(day, "viewer", "GB")] == (day, "viewer", "other")  # orgs 1, 4, 5
    assert plan[(day, "viewer", "SE")] == (day, "viewer", "other")
    week = iso_week(day)
    assert week == "2026-W47"
    # one org per product on the 19th: together by week across products (orgs 6, 7 and
    # none else left on that rung), so the last rung takes them
    assert plan[(next_day, "viewer", "US")] == ("*", "*", "other")
    assert set(plan) == {cell for cell, _ in feeds}
    assert generalize(feeds, 1) == {cell: cell for cell, _ in feeds}
