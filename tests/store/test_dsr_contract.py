"""Data-subject requests: export, erase, restrict and correct, and the legal holds that
keep rows from an erasure until they end."""

import asyncio
import contextlib

import pytest
from aiohttp import web

from licmon.domain.models import LicenseTerms
from licmon.domain.subjects import Subject
from licmon.errors import Conflict
from licmon.keys import STORE
from licmon.restoring import LEDGER_SHARE_TASK, erasure_ledger_ctx
from licmon.store.base import Store
from tests.conftest import FakeClock
from tests.store.world import DSR_CTX, actions, check_in, ctx, licensed


async def test_an_export_lists_each_record_with_its_basis_and_readers(
    store: Store, clock: FakeClock
) -> None:
    lic = await licensed(store)
    await check_in(store, lic, "machine-0001", "203.0.113.77", int(clock()))
    await store.read_connections(ctx(), Subject.parse("license", str(lic.id)))
    export = await store.dsr_export(DSR_CTX, Subject.parse("address", "203.0.113.77"))
    [record] = export["records"]
    assert record["address"] == "203.0.113.77" and record["machine"] == "machine-0001"
    assert record["held"] is False and record["restricted"] is False
    assert record["legal_basis"].startswith("legitimate interest")
    assert [r["purpose"] for r in record["read_by"]] == ["license.enforcement.abuse", "dsr"]
    assert [m["fingerprint"] for m in export["machines"]] == ["machine-0001"]


async def test_an_erasure_deletes_and_a_hold_restricts_until_it_ends(
    store: Store, clock: FakeClock
) -> None:
    lic = await licensed(store)
    now = int(clock())
    await check_in(store, lic, "machine-0001", "203.0.113.77", now)
    await check_in(store, lic, "machine-0002", "2001:db8::5", now)
    receipt = await store.dsr_erase(DSR_CTX, Subject.parse("machine", "machine-0001"))
    assert len(receipt["tables"]["connections"]["erased"]) == 1
    assert len(receipt["tables"]["machines"]["erased"]) == 1
    assert (await store.license_usage(lic.id)).machines == 1

    hold = await store.add_hold("license", str(lic.id), "litigation", "Case 7", None, "user:2")
    held = await store.dsr_erase(DSR_CTX, Subject.parse("address", "2001:db8::5"))
    assert held["erased"] == 0 and held["restricted"] == 1
    assert [h["id"] for h in held["holds"]] == [hold["id"]]
    assert await store.read_connections(ctx(), Subject.parse("license", str(lic.id))) == []
    released = await store.release_hold(hold["id"], "user:2")
    assert released["erased_after_release"] == 1
    with pytest.raises(Conflict):
        await store.release_hold(hold["id"], "user:2")
    assert await store.list_holds() == []
    assert [h["id"] for h in await store.list_holds(active_only=False)] == [hold["id"]]
    assert "dsr.erase" in await actions(store)


async def test_a_restriction_hides_rows_from_abuse_reads_but_not_from_dsr(
    store: Store, clock: FakeClock
) -> None:
    lic = await licensed(store)
    now = int(clock())
    await check_in(store, lic, "machine-0001", "203.0.113.77", now)
    receipt = await store.dsr_restrict(DSR_CTX, Subject.parse("machine", "machine-0001"))
    assert receipt["restricted"] == 1 and receipt["markers"] == 1
    subject = Subject.parse("license", str(lic.id))
    assert await store.read_connections(ctx(), subject) == []
    assert len(await store.read_connections(DSR_CTX, subject)) == 1
    await check_in(store, lic, "machine-0001", "198.51.100.4", now + 60)  # inherits it
    assert await store.read_connections(ctx(), subject) == []


async def test_a_machine_moves_to_the_right_license_and_an_org_is_renamed(
    store: Store, clock: FakeClock
) -> None:
    lic = await licensed(store)
    other = await store.add_license(
        "acme", "viewer", LicenseTerms(seats=2, max_machines=10), b"o" * 32
    )
    await check_in(store, lic, "machine-0001", "203.0.113.77", int(clock()))
    moved = await store.dsr_correct_machine(DSR_CTX, "machine-0001", lic.id, other.id)
    assert list(moved["tables"]["machines"]) == ["corrected"]
    rows = await store.read_connections(DSR_CTX, Subject.parse("license", str(other.id)))
    assert [r["machine"] for r in rows] == ["machine-0001"]
    await store.dsr_correct_org(DSR_CTX, "acme", "Acme Corporation")
    assert [o.name for o in await store.list_orgs()] == ["Acme Corporation"]
    assert (await actions(store)).count("dsr.correct") == 2


async def test_an_organization_is_exported_then_erased(store: Store, clock: FakeClock) -> None:
    lic = await licensed(store)
    await check_in(store, lic, "machine-0001", "203.0.113.77", int(clock()))
    export = await store.org_export(DSR_CTX, "acme")
    assert export["organization"]["slug"] == "acme"
    assert [x["id"] for x in export["licenses"]] == [lic.id]
    assert len(export["connections"]) == 1
    receipt = await store.org_erase(DSR_CTX, "acme")
    assert receipt["organization_erased"] is True
    assert await store.list_orgs() == [] and await store.list_licenses() == []
    count, broken = await store.audit_verify()
    assert broken is None and count > 0


async def test_the_erasure_ledger_erases_a_subject_that_came_back(
    store: Store, clock: FakeClock
) -> None:
    lic = await licensed(store)
    now = int(clock())
    await check_in(store, lic, "machine-0001", "203.0.113.77", now)
    await store.dsr_erase(DSR_CTX, Subject.parse("machine", "machine-0001"))
    await check_in(store, lic, "machine-0001", "203.0.113.77", now + 60)  # as from a backup
    await check_in(store, lic, "machine-0002", "198.51.100.4", now + 60)
    assert await store.reapply_erasures(now - 1) == 1
    rows = await store.read_connections(DSR_CTX, Subject.parse("license", str(lic.id)))
    assert [r["machine"] for r in rows] == ["machine-0002"]
    assert await store.reapply_erasures(now + 3600) == 0


async def test_sharing_the_erasure_ledger_keeps_an_erasure_and_gains_nothing_alone(
    store: Store, clock: FakeClock
) -> None:
    """Every backend answers ``share_erasure_ledger``: one SQLite node has nothing to share;
    a PostgreSQL node alone finds its own line in the database already (nothing gained,
    nothing erased again)."""
    lic = await licensed(store)
    now = int(clock())
    await check_in(store, lic, "machine-0001", "203.0.113.77", now)
    await store.dsr_erase(DSR_CTX, Subject.parse("machine", "machine-0001"))
    assert await store.share_erasure_ledger() == 0
    assert await store.share_erasure_ledger() == 0
    assert await store.read_connections(DSR_CTX, Subject.parse("license", str(lic.id))) == []
    assert await store.reapply_erasures(now - 1) == 0  # nothing of it came back


async def test_the_ledger_is_shared_on_a_timer_only_where_nodes_share_the_database(
    store: Store, backend: str
) -> None:
    """A PostgreSQL node copies the other nodes' erasure lines every minute; one SQLite node
    has no other node, so no task wakes to find nothing."""
    app = web.Application()
    app[STORE] = store
    serving = erasure_ledger_ctx(app)
    await anext(serving)
    try:
        names = {task.get_name() for task in asyncio.all_tasks()}
        assert (LEDGER_SHARE_TASK in names) == (backend == "postgres")
    finally:
        with contextlib.suppress(StopAsyncIteration):
            await anext(serving)
    assert LEDGER_SHARE_TASK not in {task.get_name() for task in asyncio.all_tasks()}
