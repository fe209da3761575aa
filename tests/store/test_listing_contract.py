"""Paged lists with their totals (licenses by search, flags, the audit log), the console's
aggregates and an organization's declared places: the same answers on every backend."""

import pytest

from licmon.domain.access import Role
from licmon.domain.models import IpPrecision, LicenseTerms
from licmon.domain.paging import AuditFilter, PageRequest
from licmon.errors import Conflict, NotFound
from licmon.store.base import Store
from tests.conftest import FakeClock
from tests.store.world import check_in, licensed, raised


async def test_license_pages_search_by_id_org_and_machine(store: Store, clock: FakeClock) -> None:
    lic = await licensed(store)
    await store.add_org("globex", "Globex 100% Inc", IpPrecision.FULL, 30)
    other = await store.add_license("globex", "viewer", LicenseTerms(2, 5), b"g" * 32)
    await check_in(store, other, "ws-1234-abcd", "203.0.113.77", int(clock()))
    everything = await store.license_page(None, "", "", PageRequest(0, 1))
    assert everything.total == 2 and [r["id"] for r in everything.rows] == [lic.id]
    assert [r["id"] for r in (await store.license_page(None, "", "", PageRequest(1, 1))).rows] == [
        other.id
    ]
    for search in (f"#{other.id}", "globex", "100%", "ws-1234"):
        found = await store.license_page(None, search, "", PageRequest())
        assert [r["id"] for r in found.rows] == [other.id], search
    [row] = (await store.license_page(None, "ws-", "active", PageRequest())).rows
    assert row["in_use"] == 1 and row["machines"] == 1 and row["org"] == "globex"
    assert (await store.license_page(lic.org.id, "globex", "", PageRequest())).total == 0
    assert (await store.license_page(None, "", "revoked", PageRequest())).total == 0


async def test_flag_and_audit_pages(store: Store, clock: FakeClock) -> None:
    lic = await licensed(store)
    now = int(clock())
    await store.raise_flags([raised(lic.id, now), raised(None, now + 1)])
    flags = await store.flag_page(None, "open", None, None, PageRequest(0, 1))
    assert flags.total == 2 and flags.rows[0]["license_id"] is None
    assert (await store.flag_page(lic.org.id, None, None, None, PageRequest())).total == 1
    ada = await store.add_user("ada", "h", frozenset({Role.ADMIN}), None, actor="cli:root")
    await store.add_api_token("ada", "laptop", b"t" * 32, None, actor=ada.actor)
    by_name = await store.audit_page(AuditFilter(actor="ada"), PageRequest())
    assert [e.entry.action for e in by_name.rows] == ["token.add"]
    prefix = await store.audit_page(AuditFilter(action="user."), PageRequest())
    assert [e.entry.action for e in prefix.rows] == ["user.add"]
    everything = await store.audit_page(AuditFilter(since=now - 10), PageRequest(0, 2))
    assert len(everything.rows) == 2 and everything.total >= 5
    assert everything.rows[0].id > everything.rows[1].id
    assert await store.user_names({ada.actor, "cli:root", "user:x"}) == {ada.actor: "ada"}


async def test_console_aggregates(store: Store, clock: FakeClock) -> None:
    lic = await licensed(store, seats=3)
    now = int(clock())
    await check_in(store, lic, "m1", "203.0.113.77", now)
    await check_in(store, lic, "m2", "203.0.113.78", now)
    assert sum((await store.checkins_per_hour(None, now - 3600)).values()) == 2
    assert await store.seats_per_product(lic.org.id) == [
        {"product": "viewer", "licenses": 1, "licensed": 3, "in_use": 2}
    ]
    [row] = await store.license_rows(None)
    assert (row["id"], row["in_use"], row["machines"]) == (lic.id, 2, 2)
    assert await store.sample_seats() == 1
    activity = await store.license_activity(lic.id, now - 3600)
    assert [s["peak_seats"] for s in activity["seat_use"]] == [2]
    assert sorted(m["fingerprint"] for m in activity["machines"]) == ["m1", "m2"]
    assert all(m["seated"] for m in activity["machines"])
    assert activity["countries"] == [
        {"country": "DE", "machines": 2, "days": 1, "checkins": 2, "denials": 0}
    ]
    info = await store.org_info(lic.org.id)
    assert info is not None and info["slug"] == "acme"
    assert await store.org_info(lic.org.id + 5) is None


async def test_known_places_are_declared_listed_and_withdrawn(store: Store) -> None:
    lic = await licensed(store)
    place = await store.add_place("acme", "198.51.100.0/24", "office", "HQ", actor="user:1")
    assert place.org_id == lic.org.id and place.network == "198.51.100.0/24"
    with pytest.raises(Conflict):
        await store.add_place("acme", "198.51.100.0/24", "vpn", actor="user:1")
    assert [p.network for p in await store.list_places("acme")] == ["198.51.100.0/24"]
    await store.remove_place("acme", "198.51.100.0/24", actor="user:1")
    assert await store.list_places() == []
    with pytest.raises(NotFound):
        await store.remove_place("acme", "198.51.100.0/24", actor="user:1")
