"""Retention with a moved clock: deadlines, precision, folding, holds, attestation."""

from contextlib import closing

import pytest

from licmon import retention
from licmon.domain.models import IpPrecision
from licmon.domain.purposes import DAY
from licmon.metrics import Metrics
from licmon.store.sqlite import connect, retention_sql
from tests.conftest import START
from tests.dbutil import execute, rows
from tests.privacy.conftest import Proxied

DAY_START = START - START % DAY


def _rows(pworld: Proxied, sql: str) -> list[tuple[object, ...]]:
    return rows(pworld.store.path, sql)  # type: ignore[attr-defined]


def _totals(pworld: Proxied) -> tuple[int, int]:
    live = _rows(
        pworld, "SELECT coalesce(sum(checkins), 0), coalesce(sum(denials), 0) FROM connections"
    )[0]
    folded = _rows(
        pworld, "SELECT coalesce(sum(checkins), 0), coalesce(sum(denials), 0) FROM usage_daily"
    )[0]
    return int(live[0]) + int(folded[0]), int(live[1]) + int(folded[1])


@pytest.mark.parametrize(
    ("org", "address", "stored"),
    [
        ("acme", "203.0.113.77", "203.0.113.77"),
        ("acme", "2001:db8:abcd:12::1", "2001:db8:abcd:12::1"),
        ("acme", "::ffff:198.51.100.7", "198.51.100.7"),
        ("globex", "203.0.113.77", "203.0.113.0/24"),
        ("globex", "2001:db8:abcd:12::1", "2001:db8:abcd::/48"),
        ("globex", "::ffff:198.51.100.7", "198.51.100.0/24"),
        ("initech", "203.0.113.77", ""),
        ("initech", "2001:db8:abcd:12::1", ""),
    ],
)
async def test_rows_live_until_their_deadline_then_fold(
    pworld: Proxied, org: str, address: str, stored: str
) -> None:
    pworld.store.usage_min_orgs = 1  # type: ignore[attr-defined]  # cells as they are
    key, _ = await pworld.add_license(org=org)
    assert await pworld.checkin_from(key, address) == 200
    retention = {"acme": 60, "globex": 30, "initech": 60}[org]
    deadline = DAY_START + retention * DAY
    assert _rows(pworld, "SELECT address, retain_until FROM connections") == [(stored, deadline)]
    before = _totals(pworld)

    pworld.clock.now = deadline - 1
    report = await pworld.store.run_retention()
    assert report["folded"] == 0 and report["violations"] == 0
    assert len(_rows(pworld, "SELECT id FROM connections")) == 1

    pworld.clock.now = deadline
    report = await pworld.store.run_retention()
    assert report["folded"] == 1 and report["violations"] == 0 and report["status"] == "ok"
    assert _rows(pworld, "SELECT id FROM connections") == []
    assert _rows(pworld, "SELECT day, product, connections, checkins FROM usage_daily") == [
        ("2026-11-18", "viewer", 1, 1)
    ]
    assert _totals(pworld) == before


async def test_folding_many_rows_keeps_totals_and_is_idempotent(pworld: Proxied) -> None:
    key, _ = await pworld.add_license(seats=50)
    for i in range(30):
        await pworld.checkin_from(key, f"198.51.100.{i}", f"machine-{i:04d}")
        await pworld.checkin_from(key, f"198.51.100.{i}", f"machine-{i:04d}")
    before = _totals(pworld)
    pworld.clock.advance(61 * DAY)
    first = await pworld.store.run_retention(batch_size=7)
    assert first["folded"] == 30 and first["violations"] == 0
    again = await pworld.store.run_retention(batch_size=7)
    assert again["folded"] == 0 and again["violations"] == 0
    assert _totals(pworld) == before
    assert _rows(pworld, "SELECT connections FROM usage_daily") == [(30,)]


async def test_held_rows_are_kept_past_their_deadline(pworld: Proxied) -> None:
    key, lic = await pworld.add_license()
    await pworld.checkin_from(key, "203.0.113.77")
    hold = await pworld.store.add_hold(
        "license", str(lic.id), "litigation", "Case 1", None, "cli:test"
    )
    pworld.clock.advance(90 * DAY)
    report = await pworld.store.run_retention()
    assert report["folded"] == 0 and report["held"] == 1 and report["violations"] == 0
    await pworld.store.release_hold(hold["id"], "cli:test")
    report = await pworld.store.run_retention()
    assert report["folded"] == 1 and report["held"] == 0


async def test_a_precision_change_reaches_stored_rows_at_the_next_run(pworld: Proxied) -> None:
    key, _ = await pworld.add_license(seats=3)
    await pworld.checkin_from(key, "203.0.113.77", "machine-0001")
    await pworld.checkin_from(key, "203.0.113.99", "machine-0001")
    await pworld.checkin_from(key, "2001:db8:abcd:12::1", "machine-0002")
    await pworld.store.update_org("acme", ip_precision=IpPrecision.NETWORK)
    report = await pworld.store.run_retention()
    assert report["reduced"] == 3
    rows = _rows(pworld, "SELECT address, precision, checkins FROM connections ORDER BY id")
    assert rows == [("203.0.113.0/24", "network", 2), ("2001:db8:abcd::/48", "network", 1)]
    await pworld.store.update_org("acme", ip_precision=IpPrecision.NONE)
    await pworld.store.run_retention()
    assert _rows(pworld, "SELECT address, precision FROM connections ORDER BY id") == [
        ("", "none"),
        ("", "none"),
    ]


async def test_a_shorter_retention_reaches_stored_rows(pworld: Proxied) -> None:
    key, _ = await pworld.add_license()
    await pworld.checkin_from(key, "203.0.113.77")
    await pworld.store.update_org("acme", retention_days=7)
    pworld.clock.now = DAY_START + 7 * DAY
    report = await pworld.store.run_retention()
    assert report["folded"] == 1


async def test_a_longer_retention_never_extends_a_stored_deadline(pworld: Proxied) -> None:
    key, _ = await pworld.add_license(org="globex")
    await pworld.checkin_from(key, "203.0.113.77")
    await pworld.store.update_org("globex", retention_days=365)
    pworld.clock.now = DAY_START + 30 * DAY
    assert (await pworld.store.run_retention())["folded"] == 1


async def test_runs_are_attested_and_listed(pworld: Proxied) -> None:
    await pworld.store.run_retention()
    runs = await pworld.store.retention_runs()
    assert runs[0]["status"] == "ok" and runs[0]["violations"] == 0
    entries = await pworld.store.audit_recent(1)
    assert entries[0].entry.action == "retention.run"


async def test_a_row_past_its_deadline_still_holding_an_address_is_a_violation(
    pworld: Proxied,
) -> None:
    key, _ = await pworld.add_license()
    await pworld.checkin_from(key, "203.0.113.77")
    # a row the job cannot fold (its erasure is pending) but that no hold keeps
    execute(
        pworld.store.path,  # type: ignore[attr-defined]
        "UPDATE connections SET retain_until = 0, erasure_requested_at = 1",
        "CREATE TRIGGER keep BEFORE DELETE ON connections BEGIN SELECT RAISE(IGNORE); END",
    )
    report = await pworld.store.run_retention()
    assert report["violations"] == 1 and report["status"] == "violations"


async def test_a_restarted_server_reports_the_last_successful_run(pworld: Proxied) -> None:
    report = await pworld.store.run_retention()
    metrics = Metrics()
    await retention.report_last_success(pworld.store, metrics)
    value = metrics.registry.get_sample_value("licmon_retention_last_success_timestamp_seconds")
    assert value == report["finished_at"]


async def test_only_organizations_that_changed_their_policy_are_rescanned(
    pworld: Proxied,
) -> None:
    def changed(since: int) -> list[int]:
        with closing(connect(pworld.store.path)) as conn:  # type: ignore[attr-defined]
            return retention_sql.orgs_changed_since(conn, since)

    assert changed(-3600) == []  # never changed: the job scans nothing for policies
    await pworld.store.update_org("globex", retention_days=10)
    assert changed(-3600) == [2]
