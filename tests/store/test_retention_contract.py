"""Retention: past its deadline a row is gone (folded into anonymous counts), unless a
legal hold keeps it; every run is attested; a policy change reaches stored rows."""

from licmon.domain.access import ReadContext, Role
from licmon.domain.logins import LoginAttempt, LoginOutcome
from licmon.domain.models import IpPrecision, LicenseTerms
from licmon.domain.purposes import DAY, LEGAL_HOLD
from licmon.domain.subjects import Subject
from licmon.store.base import Store
from tests.conftest import FakeClock
from tests.store.world import DSR_CTX, check_in, licensed, raised

HOLD_CTX = ReadContext("user:2", Role.DPO, LEGAL_HOLD, "litigation hold, case 7/2026")


async def test_a_row_past_its_deadline_is_gone_and_a_held_one_stays(
    store: Store, clock: FakeClock
) -> None:
    lic = await licensed(store, retention_days=30)
    await store.add_org("globex", "Globex", IpPrecision.FULL, 30)
    held = await store.add_license(
        "globex", "viewer", LicenseTerms(seats=2, max_machines=10), b"g" * 32
    )
    now = int(clock())
    await check_in(store, lic, "machine-0001", "203.0.113.77", now)
    await check_in(store, held, "machine-0002", "198.51.100.9", now)
    hold = await store.add_hold("license", str(held.id), "litigation", "Case 7", None, "user:2")
    early = await store.run_retention()
    assert early["folded"] == 0 and early["violations"] == 0

    clock.advance(32 * DAY)
    run = await store.run_retention()
    assert run["folded"] == 1 and run["held"] == 1 and run["violations"] == 0
    gone = await store.dsr_export(DSR_CTX, Subject.parse("license", str(lic.id)))
    assert gone["records"] == []
    kept = await store.read_connections(HOLD_CTX, Subject.parse("license", str(held.id)))
    assert [r["address"] for r in kept] == ["198.51.100.9"]
    assert [h["id"] for h in await store.list_holds()] == [hold["id"]]

    await store.release_hold(hold["id"], "user:2")
    after = await store.run_retention()
    assert after["folded"] == 1 and after["held"] == 0
    assert [r["id"] for r in await store.retention_runs()] == [after["id"], run["id"], early["id"]]


async def test_a_coarser_precision_reaches_stored_rows_at_the_next_run(
    store: Store, clock: FakeClock
) -> None:
    lic = await licensed(store)
    await check_in(store, lic, "machine-0001", "203.0.113.77", int(clock()))
    await store.update_org("acme", ip_precision=IpPrecision.NETWORK)
    run = await store.run_retention()
    assert run["reduced"] == 1
    rows = await store.dsr_export(DSR_CTX, Subject.parse("license", str(lic.id)))
    assert [r["address"] for r in rows["records"]] == ["203.0.113.0/24"]


async def test_past_their_deadlines_evidence_login_addresses_and_machines_go(
    store: Store, clock: FakeClock
) -> None:
    lic = await licensed(store, retention_days=30)
    now = int(clock())
    await check_in(store, lic, "machine-0001", "203.0.113.77", now)
    (flag_id,) = await store.raise_flags([raised(lic.id, now)])
    await store.refused_login(
        LoginAttempt(now, None, LoginOutcome.REFUSED, "203.0.113.9", now + 60)
    )
    clock.advance(400 * DAY)
    run = await store.run_retention()
    assert run["folded"] == 1 and run["violations"] == 0
    assert (await store.license_usage(lic.id)).machines == 0
    assert await store.login_attempts() == []
    flag = await store.get_flag(flag_id)  # the flag stays, its evidence goes
    assert flag["id"] == flag_id
    export = await store.dsr_export(DSR_CTX, Subject.parse("license", str(lic.id)))
    assert [f["evidence"] for f in export["flags"]] == [None]
