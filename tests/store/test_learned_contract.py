"""What the detectors learned survives a restart, whatever the backend (issue 15); a fact
about a machine goes with the machine's records."""

from licmon.domain.access import ReadContext, Role
from licmon.domain.detectors.learned import CLOCK, FIRST_COUNTRY, TRAVEL_PAIR, Learned
from licmon.domain.models import License
from licmon.domain.purposes import DSR
from licmon.domain.subjects import Subject
from licmon.store.base import Store
from tests.store.conftest import Reopen
from tests.store.test_seats_contract import a_license, checkin

DSR_CTX = ReadContext("user:1", Role.DPO, DSR, "data-subject request DSR-2026-007")


async def with_machines(store: Store, *machines: str) -> License:
    lic = await a_license(store, seats=len(machines))
    for machine in machines:
        await store.checkin(checkin(lic, machine, 500))
    return lic


async def test_facts_are_kept_across_a_restart_newest_wins(store: Store, reopen: Reopen) -> None:
    lic = await with_machines(store, "machine-1")
    facts = [
        Learned(CLOCK, lic.id, "machine-1", [-3600.0, 5], 1000),
        Learned(FIRST_COUNTRY, lic.id, "machine-1", "US", 1001),
        Learned(TRAVEL_PAIR, lic.id, "12>34", None, 1002),
    ]
    assert await store.save_learned(facts, forget_before=0) == 3
    older = Learned(CLOCK, lic.id, "machine-1", [0.0, 1], 900)  # a stale copy loses
    newer = Learned(FIRST_COUNTRY, lic.id, "machine-1", "DE", 1100)
    await store.save_learned([older, newer], forget_before=0)
    again = await reopen()
    assert await again.load_learned(0) == [facts[0], facts[2], newer]
    assert await again.load_learned(1050) == [newer]


async def test_old_facts_unknown_licenses_and_unknown_machines_are_dropped(store: Store) -> None:
    lic = await with_machines(store, "m", "n")
    await store.save_learned([Learned(CLOCK, lic.id, "m", [1.0, 3], 100)], forget_before=0)
    kept = await store.save_learned(
        [
            Learned(CLOCK, lic.id, "n", [2.0, 3], 500),
            Learned(CLOCK, 999_999, "m", [1.0, 1], 500),  # no such license
            Learned(CLOCK, lic.id, "never-seen", [1.0, 1], 500),  # no such machine
        ],
        forget_before=200,
    )
    assert kept == 1
    assert [f.subject for f in await store.load_learned(0)] == ["n"]


async def test_erasing_a_machine_erases_its_facts(store: Store) -> None:
    lic = await with_machines(store, "erased-pc", "other-pc")
    facts = [
        Learned(CLOCK, lic.id, "erased-pc", [7200.0, 9], 600),
        Learned(FIRST_COUNTRY, lic.id, "erased-pc", "FR", 600),
        Learned(CLOCK, lic.id, "other-pc", [0.0, 9], 600),
        Learned(TRAVEL_PAIR, lic.id, "1>2", None, 600),
    ]
    await store.save_learned(facts, forget_before=0)
    await store.dsr_erase(DSR_CTX, Subject.parse("machine", "erased-pc"))
    left = await store.load_learned(0)
    assert {f.subject for f in left} == {"other-pc", "1>2"}
    assert await store.save_learned(facts[:2], forget_before=0) == 0  # not saved back


async def test_a_machines_export_lists_its_facts(store: Store) -> None:
    lic = await with_machines(store, "asked-pc", "other-pc")
    await store.save_learned(
        [
            Learned(CLOCK, lic.id, "asked-pc", [-60.0, 4], 700),
            Learned(FIRST_COUNTRY, lic.id, "other-pc", "SE", 700),
        ],
        forget_before=0,
    )
    export = await store.dsr_export(DSR_CTX, Subject.parse("machine", "asked-pc"))
    assert export["learned"] == [
        {"kind": CLOCK, "license": lic.id, "machine": "asked-pc", "value": [-60.0, 4], "at": 700}
    ]
