"""The outbox is written in the transaction of the change it tells of: a change that rolls
back leaves no event, and an event that cannot be written undoes its change (SQLite, with
triggers that make one statement fail inside the store's own transaction)."""

import sqlite3
from pathlib import Path

import pytest

from licmon.domain import webhooks
from licmon.domain.detectors.events import FlagDraft, FlagKind, Severity
from licmon.domain.flags import FlagRaise, FlagStatus
from licmon.domain.models import IpPrecision, LicenseStatus, LicenseTerms
from licmon.store.sqlite import SqliteStore
from tests.conftest import START, FakeClock

TERMS = LicenseTerms(seats=1, max_machines=10)


@pytest.fixture
async def store(tmp_path: Path) -> SqliteStore:
    opened = SqliteStore(tmp_path / "licmon.db", synchronous="NORMAL", clock=FakeClock())
    await opened.open()
    await opened.add_org("acme", "Acme", IpPrecision.FULL, 30)
    await opened.add_product("viewer", "Viewer")
    await opened.add_webhook(
        "https://hooks.example/in", webhooks.EVENT_TYPES, b"sealed", actor="alice"
    )
    yield opened  # type: ignore[misc]
    await opened.close()


def sabotage(store: SqliteStore, trigger: str) -> None:
    conn = sqlite3.connect(store.path)
    conn.execute(trigger)
    conn.commit()
    conn.close()


async def events(store: SqliteStore) -> list[str]:
    return [d.event_type for d in await store.due_webhook_deliveries(START + 10, 100)]


async def test_a_license_whose_event_cannot_be_written_is_not_created(
    store: SqliteStore,
) -> None:
    sabotage(
        store,
        "CREATE TRIGGER no_events BEFORE INSERT ON webhook_events "
        "BEGIN SELECT RAISE(ABORT, 'outbox full'); END",
    )
    with pytest.raises(sqlite3.IntegrityError, match="outbox full"):
        await store.add_license("acme", "viewer", TERMS, b"k" * 32)
    assert await store.list_licenses() == []
    assert await events(store) == []


async def test_a_flag_decision_that_rolls_back_leaves_no_event(store: SqliteStore) -> None:
    lic = await store.add_license("acme", "viewer", TERMS, b"k" * 32)
    draft = FlagDraft(FlagKind.MACHINE_SHARING, Severity.HIGH, lic.id, START, {"m": 4}, "")
    (flag_id,) = await store.raise_flags([FlagRaise(draft, START + 86400)])
    before = await events(store)
    assert before == [webhooks.LICENSE_CREATED, webhooks.FLAG_RAISED]
    # The decision writes flag.decided, then suspends the license: that last step fails.
    sabotage(
        store,
        "CREATE TRIGGER no_suspension BEFORE UPDATE OF status ON licenses "
        "BEGIN SELECT RAISE(ABORT, 'suspension refused'); END",
    )
    with pytest.raises(sqlite3.IntegrityError, match="suspension refused"):
        await store.decide_flag(flag_id, FlagStatus.CONFIRMED, "alice", "shared", suspend=True)
    assert await events(store) == before
    assert (await store.get_flag(flag_id))["status"] == "open"
    assert (await store.get_license(lic.id)).status is LicenseStatus.ACTIVE


async def test_a_committed_change_always_has_its_event(store: SqliteStore) -> None:
    lic = await store.add_license("acme", "viewer", TERMS, b"k" * 32)
    await store.set_license_status(lic.id, LicenseStatus.SUSPENDED, actor="alice")
    await store.close()
    reopened = SqliteStore(store.path, synchronous="NORMAL", clock=FakeClock())
    await reopened.open()
    try:
        assert await events(reopened) == [webhooks.LICENSE_CREATED, webhooks.LICENSE_SUSPENDED]
    finally:
        await reopened.close()
