"""Webhooks in the store: endpoints, the outbox written by the changes themselves, and the
deliveries' life (due, retried, delivered, given up, redelivered), whatever the backend."""

import dataclasses
import ipaddress
import json

import pytest

from licmon.domain import webhooks
from licmon.domain.checkin import connection_record
from licmon.domain.detectors.events import FlagDraft, FlagKind, Severity
from licmon.domain.flags import FlagRaise, FlagStatus
from licmon.domain.models import (
    CheckinCommand,
    DenyReason,
    GeoInfo,
    IpPrecision,
    License,
    LicenseStatus,
    LicenseTerms,
    Outcome,
)
from licmon.domain.webhooks import Attempt, DeliveryStatus
from licmon.errors import NotFound
from licmon.store.base import Store
from tests.conftest import FakeClock
from tests.store.conftest import Reopen

SEALED = b"sealed-secret-bytes"
DAY = 86400


async def catalog(store: Store) -> None:
    await store.add_org("acme", "Acme", IpPrecision.FULL, 30)
    await store.add_product("viewer", "Viewer")


async def a_license(store: Store, key: bytes = b"k" * 32, **terms: object) -> License:
    full = LicenseTerms(**{"seats": 1, "max_machines": 100, **terms})  # type: ignore[arg-type]
    return await store.add_license("acme", "viewer", full, key)


async def subscribe(store: Store, *events: str, url: str = "https://hooks.example/in") -> int:
    endpoint = await store.add_webhook(url, events, SEALED, actor="alice")
    return endpoint.id


async def due_events(store: Store, now: int) -> list[tuple[int, str, dict[str, object]]]:
    due = await store.due_webhook_deliveries(now, 1000)
    return [(d.endpoint_id, d.event_type, json.loads(d.payload)) for d in due]


def checkin(lic: License, machine: str, now: int) -> CheckinCommand:
    address = ipaddress.ip_address("192.0.2.10")
    return CheckinCommand(
        license=lic,
        machine=machine,
        now=now,
        lease_expires=now + 3600,
        connection=connection_record(lic, address, GeoInfo(), now),
        client_address=str(address),
    )


async def test_an_endpoint_is_added_listed_disabled_and_deleted_across_a_restart(
    store: Store, reopen: Reopen
) -> None:
    endpoint_id = await subscribe(store, webhooks.LICENSE_REVOKED, webhooks.LICENSE_CREATED)
    added = await store.get_webhook(endpoint_id)
    assert added.events == (webhooks.LICENSE_CREATED, webhooks.LICENSE_REVOKED)
    assert added.enabled
    disabled = await store.set_webhook_enabled(endpoint_id, False, actor="alice")
    assert not disabled.enabled
    await store.close()
    again = await reopen()
    assert [(e.id, e.enabled) for e in await again.list_webhooks()] == [(endpoint_id, False)]
    await again.delete_webhook(endpoint_id, actor="alice")
    assert await again.list_webhooks() == []
    with pytest.raises(NotFound):
        await again.get_webhook(endpoint_id)


async def test_endpoint_changes_are_audited_by_id_without_the_url(store: Store) -> None:
    endpoint_id = await subscribe(
        store, webhooks.LICENSE_CREATED, url="https://secret-host.example/x"
    )
    await store.set_webhook_enabled(endpoint_id, False, actor="alice")
    await store.delete_webhook(endpoint_id, actor="alice")
    entries = await store.audit_recent(10, target=f"webhook:{endpoint_id}")
    assert {e.entry.action for e in entries} == {"webhook.add", "webhook.disable", "webhook.delete"}
    assert all(e.entry.actor == "alice" for e in entries)
    assert "secret-host" not in json.dumps([e.entry.details for e in entries])


async def test_license_changes_write_their_events_for_subscribed_endpoints_only(
    store: Store, clock: FakeClock
) -> None:
    await catalog(store)
    lifecycle = await subscribe(
        store, webhooks.LICENSE_CREATED, webhooks.LICENSE_SUSPENDED, webhooks.LICENSE_RESUMED
    )
    revocations = await subscribe(store, webhooks.LICENSE_REVOKED)
    lic = await a_license(store)
    await store.set_license_status(lic.id, LicenseStatus.SUSPENDED, actor="alice", reason="x")
    await store.set_license_status(lic.id, LicenseStatus.ACTIVE, actor="alice")
    await store.set_license_status(lic.id, LicenseStatus.REVOKED, actor="alice")
    got = await due_events(store, int(clock()))
    assert [(e, t) for e, t, _ in got] == [
        (lifecycle, webhooks.LICENSE_CREATED),
        (lifecycle, webhooks.LICENSE_SUSPENDED),
        (lifecycle, webhooks.LICENSE_RESUMED),
        (revocations, webhooks.LICENSE_REVOKED),
    ]
    created = got[0][2]
    assert created["type"] == webhooks.LICENSE_CREATED
    assert created["data"]["license"] == lic.id  # type: ignore[index]
    assert got[3][2]["data"] == {  # type: ignore[index]
        "license": lic.id,
        "org": lic.org.id,
        "product": "viewer",
        "previous_status": "active",
        "status": "revoked",
    }


async def test_nothing_is_written_without_a_subscriber_nor_for_a_disabled_endpoint(
    store: Store, clock: FakeClock
) -> None:
    await catalog(store)
    endpoint_id = await subscribe(store, webhooks.LICENSE_CREATED)
    await store.set_webhook_enabled(endpoint_id, False, actor="alice")
    await a_license(store)
    await store.set_webhook_enabled(endpoint_id, True, actor="alice")
    assert await due_events(store, int(clock()) + DAY) == []
    assert await store.webhook_delivery_counts() == {"pending": 0, "delivered": 0, "failed": 0}


async def test_a_disabled_endpoint_keeps_its_pending_deliveries_until_enabled(
    store: Store, clock: FakeClock
) -> None:
    await catalog(store)
    endpoint_id = await subscribe(store, webhooks.LICENSE_CREATED)
    await a_license(store)
    await store.set_webhook_enabled(endpoint_id, False, actor="alice")
    assert await due_events(store, int(clock())) == []
    await store.set_webhook_enabled(endpoint_id, True, actor="alice")
    assert len(await due_events(store, int(clock()))) == 1


async def test_flags_raised_and_decided_write_events_once_per_new_flag(
    store: Store, clock: FakeClock
) -> None:
    await catalog(store)
    lic = await a_license(store)
    endpoint_id = await subscribe(store, webhooks.FLAG_RAISED, webhooks.FLAG_DECIDED)
    now = int(clock())
    draft = FlagDraft(FlagKind.MACHINE_SHARING, Severity.HIGH, lic.id, now, {"machines": 4}, "")
    (flag_id,) = await store.raise_flags([FlagRaise(draft, now + DAY)])
    await store.raise_flags([FlagRaise(draft, now + DAY)])  # counted on the same flag
    await store.decide_flag(flag_id, FlagStatus.ACKNOWLEDGED, "alice", "looking", suspend=False)
    got = await due_events(store, now)
    assert [(e, t) for e, t, _ in got] == [
        (endpoint_id, webhooks.FLAG_RAISED),
        (endpoint_id, webhooks.FLAG_DECIDED),
    ]
    assert got[0][2]["data"] == {  # type: ignore[index]
        "flag": flag_id,
        "kind": "machine_sharing",
        "severity": "high",
        "license": lic.id,
    }
    assert got[1][2]["data"]["status"] == "acknowledged"  # type: ignore[index]


async def test_a_confirmation_that_suspends_tells_both(store: Store, clock: FakeClock) -> None:
    await catalog(store)
    lic = await a_license(store)
    await subscribe(store, webhooks.FLAG_DECIDED, webhooks.LICENSE_SUSPENDED)
    now = int(clock())
    draft = FlagDraft(FlagKind.MACHINE_SHARING, Severity.HIGH, lic.id, now, {"machines": 4}, "")
    (flag_id,) = await store.raise_flags([FlagRaise(draft, now + DAY)])
    await store.decide_flag(flag_id, FlagStatus.CONFIRMED, "alice", "shared", suspend=True)
    types = [t for _, t, _ in await due_events(store, now)]
    assert types == [webhooks.FLAG_DECIDED, webhooks.LICENSE_SUSPENDED]


async def test_a_storm_of_refused_check_ins_is_one_seat_limit_event_per_hour(
    store: Store, clock: FakeClock
) -> None:
    await catalog(store)
    lic = await a_license(store, seats=1)
    await subscribe(store, webhooks.SEAT_LIMIT_REACHED)
    now = int(clock())
    assert (await store.checkin(checkin(lic, "m0", now))).outcome is Outcome.GRANTED
    for i in range(20):
        result = await store.checkin(checkin(lic, f"m{i + 1}", now + i))
        assert result.reason is DenyReason.SEATS_EXHAUSTED
    got = await due_events(store, now + 100)
    assert [t for _, t, _ in got] == [webhooks.SEAT_LIMIT_REACHED]
    assert got[0][2]["data"]["seats"] == 1  # type: ignore[index]
    later = now + 3700  # m0's lease has ended: it takes its seat again, m-late is refused
    assert (await store.checkin(checkin(lic, "m0", later))).outcome is Outcome.GRANTED
    assert (await store.checkin(checkin(lic, "m-late", later))).outcome is Outcome.DENIED
    assert len(await due_events(store, later)) == 2


async def test_license_expiring_is_told_once_per_license_and_end_date(
    store: Store, clock: FakeClock
) -> None:
    await catalog(store)
    now = int(clock())
    soon = await a_license(store, b"a" * 32, valid_until=now + 5 * DAY)
    await a_license(store, b"b" * 32, valid_until=now + 40 * DAY)
    await a_license(store, b"c" * 32)  # no end
    await subscribe(store, webhooks.LICENSE_EXPIRING)
    assert await store.emit_license_expiring(now, 14) == 1
    assert await store.emit_license_expiring(now + 60, 14) == 0
    got = await due_events(store, now + 60)
    assert [(t, p["data"]["license"]) for _, t, p in got] == [  # type: ignore[index]
        (webhooks.LICENSE_EXPIRING, soon.id)
    ]
    assert got[0][2]["data"]["days_left"] == 5  # type: ignore[index]


async def test_a_failed_attempt_is_retried_with_the_same_message_id_then_given_up(
    store: Store, clock: FakeClock
) -> None:
    await catalog(store)
    endpoint_id = await subscribe(store, webhooks.LICENSE_CREATED)
    await a_license(store)
    now = int(clock())
    (first,) = await store.due_webhook_deliveries(now, 10)
    status = await store.record_webhook_attempt(first.id, Attempt(False, "HTTP 500"), now + 5)
    assert status is DeliveryStatus.PENDING
    assert await store.due_webhook_deliveries(now + 4, 10) == []
    (second,) = await store.due_webhook_deliveries(now + 5, 10)
    assert (second.id, second.message_id, second.attempts) == (first.id, first.message_id, 1)
    assert second.payload == first.payload
    status = await store.record_webhook_attempt(second.id, Attempt(False, "timeout"), None)
    assert status is DeliveryStatus.FAILED
    assert await store.due_webhook_deliveries(now + DAY, 10) == []
    (failed,) = await store.list_webhook_deliveries(endpoint_id, DeliveryStatus.FAILED)
    assert (failed.attempts, failed.last_result) == (2, "timeout")
    assert (await store.get_webhook(endpoint_id)).failed == 1


async def test_a_redelivery_keeps_the_message_id_and_starts_afresh(
    store: Store, clock: FakeClock
) -> None:
    await catalog(store)
    await subscribe(store, webhooks.LICENSE_CREATED)
    await a_license(store)
    now = int(clock())
    (item,) = await store.due_webhook_deliveries(now, 10)
    await store.record_webhook_attempt(item.id, Attempt(False, "HTTP 503"), None)
    again = await store.redeliver_webhook(item.endpoint_id, item.id, actor="alice")
    assert (again.status, again.attempts, again.message_id) == (
        DeliveryStatus.PENDING,
        0,
        item.message_id,
    )
    (due,) = await store.due_webhook_deliveries(now, 10)
    assert due.message_id == item.message_id
    await store.record_webhook_attempt(due.id, Attempt(True, "HTTP 204"), None)
    assert await store.webhook_delivery_counts() == {"pending": 0, "delivered": 1, "failed": 0}
    with pytest.raises(NotFound):
        await store.redeliver_webhook(item.endpoint_id, item.id + 1000, actor="alice")
    with pytest.raises(NotFound):
        await store.redeliver_webhook(item.endpoint_id + 1, item.id, actor="alice")


async def test_deliveries_are_listed_newest_first_by_page(store: Store) -> None:
    await catalog(store)
    endpoint_id = await subscribe(store, webhooks.LICENSE_CREATED)
    for n in range(5):
        await a_license(store, bytes([n]) * 32)
    first = await store.list_webhook_deliveries(endpoint_id, limit=3)
    rest = await store.list_webhook_deliveries(endpoint_id, before=first[-1].id, limit=3)
    ids = [d.id for d in first + rest]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 5
    with pytest.raises(NotFound):
        await store.list_webhook_deliveries(endpoint_id + 99)


async def test_deleting_an_endpoint_takes_its_deliveries(store: Store, clock: FakeClock) -> None:
    await catalog(store)
    endpoint_id = await subscribe(store, webhooks.LICENSE_CREATED)
    await a_license(store)
    await store.delete_webhook(endpoint_id, actor="alice")
    assert await store.due_webhook_deliveries(int(clock()), 10) == []
    assert (await store.webhook_delivery_counts())["pending"] == 0


async def test_old_delivered_deliveries_are_pruned_failed_ones_kept(
    store: Store, clock: FakeClock
) -> None:
    await catalog(store)
    await subscribe(store, webhooks.LICENSE_CREATED)
    await a_license(store, b"a" * 32)
    await a_license(store, b"b" * 32)
    now = int(clock())
    ok, bad = await store.due_webhook_deliveries(now, 10)
    await store.record_webhook_attempt(ok.id, Attempt(True, "HTTP 200"), None)
    await store.record_webhook_attempt(bad.id, Attempt(False, "HTTP 500"), None)
    assert await store.prune_webhook_history(now) == 0  # not older than the cut-off
    assert await store.prune_webhook_history(now + 1) == 1
    assert await store.webhook_delivery_counts() == {"pending": 0, "delivered": 0, "failed": 1}


async def test_license_terms_in_payloads_hold_no_machine_fingerprint(
    store: Store, clock: FakeClock
) -> None:
    await catalog(store)
    await subscribe(store, webhooks.LICENSE_CREATED)
    await a_license(store, locked_machines=frozenset({"fingerprint-abcdef-123"}))
    (item,) = await store.due_webhook_deliveries(int(clock()), 10)
    assert "fingerprint-abcdef" not in item.payload
    assert json.loads(item.payload)["data"]["locked_machines"] == 1
    assert dataclasses.asdict(item)["sealed_secret"] == SEALED
