"""What the detectors learned survives a restart, whatever the backend (issue 15)."""

from licmon.domain.detectors.learned import CLOCK, FIRST_COUNTRY, TRAVEL_PAIR, Learned
from licmon.store.base import Store
from tests.store.conftest import Reopen
from tests.store.test_seats_contract import a_license


async def test_facts_are_kept_across_a_restart_newest_wins(store: Store, reopen: Reopen) -> None:
    lic = await a_license(store, seats=1)
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


async def test_old_facts_are_forgotten_and_unknown_licenses_dropped(store: Store) -> None:
    lic = await a_license(store, seats=1)
    await store.save_learned([Learned(CLOCK, lic.id, "m", [1.0, 3], 100)], forget_before=0)
    kept = await store.save_learned(
        [Learned(CLOCK, lic.id, "n", [2.0, 3], 500), Learned(CLOCK, 999_999, "m", [1.0, 1], 500)],
        forget_before=200,
    )
    assert kept == 1
    assert [f.subject for f in await store.load_learned(0)] == ["n"]
