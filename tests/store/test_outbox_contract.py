"""The webhook outbox is written in the transaction of the change it tells of, whatever the
backend: an event that cannot be written undoes its change, and a change that rolls back
after its event was written leaves no event. A trigger makes one statement fail inside the
store's own transaction."""

import sqlite3
from typing import Any

import psycopg
import pytest

from licmon.domain import webhooks
from licmon.domain.detectors.events import FlagDraft, FlagKind, Severity
from licmon.domain.flags import FlagRaise, FlagStatus
from licmon.domain.models import IpPrecision, LicenseStatus, LicenseTerms
from licmon.store.base import Store
from licmon.store.postgres.store import PostgresStore
from licmon.store.sqlite import SqliteStore
from tests.conftest import FakeClock
from tests.store.conftest import Reopen

TERMS = LicenseTerms(seats=1, max_machines=10)


async def subscribed(store: Store) -> Store:
    await store.add_org("acme", "Acme", IpPrecision.FULL, 30)
    await store.add_product("viewer", "Viewer")
    await store.add_webhook(
        "https://hooks.example/in", webhooks.EVENT_TYPES, b"sealed", actor="alice"
    )
    return store


def refuse(store: Store, name: str, table: str, when: str, message: str) -> None:
    """A trigger that fails every ``when`` (INSERT, UPDATE OF status) on ``table``."""
    if isinstance(store, SqliteStore):
        conn = sqlite3.connect(store.path)
        conn.execute(
            f"CREATE TRIGGER {name} BEFORE {when} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
        )
        conn.commit()
        conn.close()
        return
    assert isinstance(store, PostgresStore)
    with psycopg.connect(store.url, autocommit=True) as conn:
        owner = conn.execute("SELECT tableowner FROM pg_tables WHERE tablename = %s", (table,))
        row: Any = owner.fetchone()
        conn.execute(f'SET ROLE "{row[0]}"'.encode())
        conn.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{message}'; END $$".encode()
        )
        conn.execute(
            f"CREATE TRIGGER {name} BEFORE {when} ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {name}()".encode()
        )


async def events(store: Store, clock: FakeClock) -> list[str]:
    return [d.event_type for d in await store.due_webhook_deliveries(int(clock()) + 10, 100)]


async def test_a_license_whose_event_cannot_be_written_is_not_created(
    store: Store, clock: FakeClock
) -> None:
    await subscribed(store)
    refuse(store, "no_events", "webhook_events", "INSERT", "outbox full")
    with pytest.raises(Exception, match="outbox full"):
        await store.add_license("acme", "viewer", TERMS, b"k" * 32)
    assert await store.list_licenses() == []
    assert await events(store, clock) == []


async def test_a_flag_decision_that_rolls_back_leaves_no_event(
    store: Store, clock: FakeClock
) -> None:
    await subscribed(store)
    lic = await store.add_license("acme", "viewer", TERMS, b"k" * 32)
    now = int(clock())
    draft = FlagDraft(FlagKind.MACHINE_SHARING, Severity.HIGH, lic.id, now, {"m": 4}, "")
    (flag_id,) = await store.raise_flags([FlagRaise(draft, now + 86400)])
    before = await events(store, clock)
    assert before == [webhooks.LICENSE_CREATED, webhooks.FLAG_RAISED]
    # The decision writes flag.decided, then suspends the license: that last step fails.
    refuse(store, "no_suspension", "licenses", "UPDATE OF status", "suspension refused")
    with pytest.raises(Exception, match="suspension refused"):
        await store.decide_flag(flag_id, FlagStatus.CONFIRMED, "alice", "shared", suspend=True)
    assert await events(store, clock) == before
    assert (await store.get_flag(flag_id))["status"] == "open"
    assert (await store.get_license(lic.id)).status is LicenseStatus.ACTIVE


async def test_a_committed_change_has_its_event_after_a_restart(
    store: Store, reopen: Reopen, clock: FakeClock
) -> None:
    await subscribed(store)
    lic = await store.add_license("acme", "viewer", TERMS, b"k" * 32)
    await store.set_license_status(lic.id, LicenseStatus.SUSPENDED, actor="alice")
    await store.close()
    again = await reopen()
    assert await events(again, clock) == [webhooks.LICENSE_CREATED, webhooks.LICENSE_SUSPENDED]
