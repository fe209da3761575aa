"""The admin API's store methods, whatever the backend: idempotency records, license terms,
cursor lists, machines and their deactivation."""

from dataclasses import replace

import pytest

from licmon.domain.detectors.events import FlagDraft, FlagKind, Severity
from licmon.domain.flags import FlagRaise
from licmon.domain.idempotency import Claim
from licmon.domain.models import LicenseStatus, LicenseTerms, Outcome
from licmon.domain.staff import parse_roles
from licmon.errors import NotFound
from licmon.store.admin_base import FlagQuery, LicenseQuery
from licmon.store.base import Store
from tests.conftest import FakeClock
from tests.staffer import NOT_A_PASSWORD_HASH
from tests.store.conftest import Reopen
from tests.store.test_seats_contract import a_license, checkin


async def an_owner(store: Store) -> int:
    user = await store.add_user("ada", NOT_A_PASSWORD_HASH, parse_roles("admin"), None, actor="t")
    return user.id


def a_claim(
    owner: int, key: bytes = b"k" * 32, request: bytes = b"r" * 32, now: int = 100
) -> Claim:
    return Claim(owner, "POST /v1/admin/licenses", key, request, now)


async def test_a_claim_is_reserved_once_then_answered(store: Store, reopen: Reopen) -> None:
    owner = await an_owner(store)
    claim = a_claim(owner)
    assert await store.claim_idempotency(claim, forget_before=0) is None
    pending = await store.claim_idempotency(claim, forget_before=0)
    assert pending is not None and pending.status is None and pending.request_hash == b"r" * 32
    await store.finish_idempotency(claim, 201, b"sealed answer")
    other = await reopen()  # a restart, or another node
    kept = await other.claim_idempotency(replace(claim, request_hash=b"x" * 32), forget_before=0)
    assert kept is not None and (kept.status, kept.sealed) == (201, b"sealed answer")
    assert kept.request_hash == b"r" * 32


async def test_claims_are_per_owner_and_route_and_forgotten_in_time(store: Store) -> None:
    owner = await an_owner(store)
    claim = a_claim(owner)
    assert await store.claim_idempotency(claim, forget_before=0) is None
    assert await store.claim_idempotency(replace(claim, route="POST /v1/admin/orgs"), 0) is None
    bob = await store.add_user("bob", NOT_A_PASSWORD_HASH, parse_roles("admin"), None, actor="t")
    assert await store.claim_idempotency(replace(claim, owner=bob.id), 0) is None
    later = replace(claim, now=500)
    assert await store.claim_idempotency(later, forget_before=200) is None  # the old one expired


async def test_a_dropped_claim_is_free_again_but_an_answered_one_stays(store: Store) -> None:
    owner = await an_owner(store)
    claim = a_claim(owner)
    await store.claim_idempotency(claim, 0)
    await store.drop_idempotency(claim)
    assert await store.claim_idempotency(claim, 0) is None
    await store.finish_idempotency(claim, 200, b"x")
    await store.drop_idempotency(claim)  # only an unanswered claim is dropped
    kept = await store.claim_idempotency(claim, 0)
    assert kept is not None and kept.status == 200


async def test_terms_are_replaced_audited_and_read_back(store: Store, reopen: Reopen) -> None:
    lic = await a_license(store, seats=2)
    version = await store.catalog_version()
    terms = replace(
        lic.terms, seats=5, allowed_countries=frozenset({"DE"}), valid_until=2_000_000_000
    )
    changed = await store.update_license_terms(lic.id, terms, actor="user:1")
    assert changed.terms == terms
    assert (await (await reopen()).get_license(lic.id)).terms == terms
    assert await store.catalog_version() > version  # nodes reload their key index
    entry = (await store.audit_recent(limit=1))[0].entry
    assert (entry.actor, entry.action, entry.target) == (
        "user:1",
        "license.terms",
        f"license:{lic.id}",
    )
    assert entry.details["changed"] == ["seats", "valid_until", "allowed_countries"]
    with pytest.raises(NotFound):
        await store.update_license_terms(999, terms, actor="user:1")


async def test_licenses_by_cursor_with_filters_and_scope(store: Store) -> None:
    first = await a_license(store, seats=1)
    await store.add_org("globex", "Globex", first.org.ip_precision, 30)
    await store.add_product("editor", "Editor")
    terms = LicenseTerms(seats=1, max_machines=2)
    second = await store.add_license("globex", "editor", terms, b"g" * 32)
    third = await store.add_license("acme", "editor", terms, b"h" * 32)
    await store.set_license_status(third.id, LicenseStatus.SUSPENDED)
    ids = lambda rows: [lic.id for lic in rows]  # noqa: E731
    assert ids(await store.license_cursor(LicenseQuery(), None, 10)) == [
        first.id,
        second.id,
        third.id,
    ]
    assert ids(await store.license_cursor(LicenseQuery(), first.id, 1)) == [second.id]
    assert ids(await store.license_cursor(LicenseQuery(scope=first.org.id), None, 10)) == [
        first.id,
        third.id,
    ]
    assert ids(await store.license_cursor(LicenseQuery(org="globex"), None, 10)) == [second.id]
    assert ids(
        await store.license_cursor(LicenseQuery(product="editor", status="suspended"), None, 10)
    ) == [third.id]


async def test_machines_and_deactivation(store: Store, clock: FakeClock) -> None:
    lic = await a_license(store, seats=1)
    now = int(clock())
    assert (await store.checkin(checkin(lic, "machine-0001", now))).outcome is Outcome.GRANTED
    assert (await store.checkin(checkin(lic, "machine-0002", now))).outcome is Outcome.DENIED
    machines = await store.license_machines(lic.id, None, 10)
    assert [(m.fingerprint, m.seat is not None) for m in machines] == [
        ("machine-0001", True),
        ("machine-0002", False),
    ]
    assert [m.id for m in await store.license_machines(lic.id, machines[0].id, 10)] == [
        machines[1].id
    ]
    freed = await store.deactivate_machine(lic.id, machines[0].id, actor="user:7", reason="stolen")
    assert freed.seat is None and (await store.license_usage(lic.id)).seats_in_use == 0
    entry = (await store.audit_recent(limit=1))[0].entry
    assert (entry.actor, entry.action, entry.details["reason"]) == (
        "user:7",
        "machine.deactivate",
        "stolen",
    )
    assert (await store.checkin(checkin(lic, "machine-0002", now))).outcome is Outcome.GRANTED
    with pytest.raises(NotFound):
        await store.deactivate_machine(lic.id, 10_000, actor="user:7", reason="nothing")
    other = await store.add_license("acme", "viewer", lic.terms, b"o" * 32)
    with pytest.raises(NotFound):  # a machine of another license
        await store.deactivate_machine(other.id, machines[0].id, actor="user:7", reason="wrong")


async def test_flags_by_cursor_within_the_scope(store: Store, clock: FakeClock) -> None:
    lic = await a_license(store, seats=1)
    draft = FlagDraft(FlagKind.MACHINE_SHARING, Severity.MEDIUM, lic.id, int(clock()))
    ids = await store.raise_flags([FlagRaise(draft, int(clock()) + 86400)])
    assert [f["id"] for f in await store.flag_cursor(FlagQuery(), None, 10)] == ids
    assert await store.flag_cursor(FlagQuery(), ids[0], 10) == []
    assert await store.flag_cursor(FlagQuery(scope=lic.org.id + 1), None, 10) == []
    assert await store.flag_cursor(FlagQuery(status="dismissed"), None, 10) == []
