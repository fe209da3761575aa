"""Abuse flags: raised and deduplicated, listed without evidence, decided with an audit
entry, and their evidence read only through the gateway."""

import pytest

from licmon.domain.access import Role
from licmon.domain.detectors import Severity
from licmon.domain.flags import FlagStatus
from licmon.domain.models import LicenseStatus
from licmon.errors import Conflict, Forbidden
from licmon.store.base import Store
from tests.conftest import FakeClock
from tests.store.conftest import Reopen
from tests.store.world import actions, ctx, licensed, raised


async def test_a_flag_raised_twice_is_counted_on_one_flag(store: Store, clock: FakeClock) -> None:
    lic = await licensed(store)
    now = int(clock())
    (first,) = await store.raise_flags([raised(lic.id, now)])
    (again,) = await store.raise_flags([raised(lic.id, now + 60, Severity.HIGH)])
    assert again == first
    flag = await store.get_flag(first)
    assert flag["count"] == 2 and flag["severity"] == "high" and flag["last_seen"] == now + 60
    assert "evidence" not in flag and "source_network" not in flag
    assert await store.open_flag_counts() == ({"machine_sharing": 1}, {"high": 1})
    assert await store.active_flags_since(now) == [("machine_sharing", lic.id, now + 60)]


async def test_a_dismissed_flag_does_not_absorb_the_next_one(
    store: Store, clock: FakeClock
) -> None:
    lic = await licensed(store)
    now = int(clock())
    (first,) = await store.raise_flags([raised(lic.id, now)])
    await store.decide_flag(first, FlagStatus.DISMISSED, "user:1", "a test rig", suspend=False)
    (second,) = await store.raise_flags([raised(lic.id, now + 60)])
    assert second != first
    listed = await store.list_flags(status="open")
    assert [f["id"] for f in listed] == [second]


async def test_decisions_are_audited_and_a_confirmation_may_suspend(
    store: Store, reopen: Reopen, clock: FakeClock
) -> None:
    lic = await licensed(store)
    (flag_id,) = await store.raise_flags([raised(lic.id, int(clock()))])
    await store.decide_flag(flag_id, FlagStatus.ACKNOWLEDGED, "user:1", "looking", suspend=False)
    decided = await store.decide_flag(
        flag_id, FlagStatus.CONFIRMED, "user:1", "shared with 4 sites", suspend=True
    )
    assert decided["status"] == "confirmed" and decided["decided_by"] == "user:1"
    with pytest.raises(Conflict):
        await store.decide_flag(flag_id, FlagStatus.OPEN, "user:1", "back", suspend=False)
    again = await reopen()
    assert (await again.get_license(lic.id)).status is LicenseStatus.SUSPENDED
    assert await actions(again, f"flag:{flag_id}") == ["flag.acknowledged", "flag.confirmed"]


async def test_evidence_is_read_through_the_gateway_and_audited(
    store: Store, clock: FakeClock
) -> None:
    lic = await licensed(store)
    (flag_id,) = await store.raise_flags([raised(lic.id, int(clock()))])
    flag = await store.read_flag(ctx(), flag_id)
    assert flag["evidence"] == {"networks": ["198.51.100.7"]}
    [entry] = await store.audit_recent(10, f"flag:{flag_id}")
    assert entry.entry.action == "personal_data.read"
    assert entry.entry.details["purpose"] == "license.enforcement.abuse"
    with pytest.raises(Forbidden):
        await store.read_flag(ctx(Role.SUPPORT), flag_id)
    assert len(await store.audit_recent(10, f"flag:{flag_id}")) == 1


async def test_flag_pages_and_report_rows_leave_evidence_out(
    store: Store, clock: FakeClock
) -> None:
    lic = await licensed(store)
    now = int(clock())
    await store.raise_flags([raised(lic.id, now), raised(None, now)])
    rows = await store.flag_rows(None)
    assert len(rows) == 2 and all("evidence" not in r for r in rows)
    assert [r["license_id"] for r in await store.flag_rows(lic.org.id)] == [lic.id]
    assert await store.open_flags_by_kind(None) == [("machine_sharing", 2)]
    assert await store.flag_kinds(lic.org.id) == ["machine_sharing"]
    [entry] = await store.abuse_report_data(now - 3600, now + 3600, None)
    assert entry["id"] == lic.id and len(entry["flags"]) == 1
