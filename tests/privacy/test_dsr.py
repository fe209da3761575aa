"""Data-subject requests, legal holds and a customer leaving."""

import pytest

from licmon.domain.access import Role
from licmon.domain.purposes import ABUSE
from licmon.domain.subjects import Subject
from licmon.errors import Forbidden
from tests.dbutil import count, rows
from tests.privacy.conftest import DSR_CTX, Proxied, ctx


def _count(pworld: Proxied, table: str) -> int:
    return count(pworld.store.path, table)  # type: ignore[attr-defined]


async def _two_machines(pworld: Proxied) -> int:
    key, lic = await pworld.add_license(seats=2)
    await pworld.checkin_from(key, "203.0.113.77", "machine-0001")
    await pworld.checkin_from(key, "2001:db8::5", "machine-0002")
    return lic.id


async def test_export_by_address_lists_purpose_basis_deadline_hold_and_readers(
    pworld: Proxied,
) -> None:
    lic = await _two_machines(pworld)
    await pworld.store.read_connections(ctx(), Subject.parse("license", str(lic)))
    export = await pworld.store.dsr_export(DSR_CTX, Subject.parse("address", "203.0.113.77"))
    [record] = export["records"]
    assert record["address"] == "203.0.113.77" and record["machine"] == "machine-0001"
    assert record["purpose"] == "license.enforcement.checkin"
    assert record["legal_basis"].startswith("legitimate interest")
    assert record["retain_until"] > record["last_seen"]
    assert record["held"] is False and record["restricted"] is False
    assert [r["purpose"] for r in record["read_by"]] == [ABUSE, "dsr"]


async def test_export_by_machine_and_by_license(pworld: Proxied) -> None:
    lic = await _two_machines(pworld)
    by_machine = await pworld.store.dsr_export(DSR_CTX, Subject.parse("machine", "machine-0002"))
    assert [r["address"] for r in by_machine["records"]] == ["2001:db8::5"]
    by_license = await pworld.store.dsr_export(DSR_CTX, Subject.parse("license", str(lic)))
    assert len(by_license["records"]) == 2


async def test_an_analyst_cannot_run_a_dsr(pworld: Proxied) -> None:
    await _two_machines(pworld)
    with pytest.raises(Forbidden):
        await pworld.store.dsr_export(ctx(Role.ANALYST, "dsr"), Subject.parse("license", "1"))
    with pytest.raises(Forbidden):
        await pworld.store.dsr_erase(ctx(Role.ANALYST, ABUSE), Subject.parse("license", "1"))


async def test_erase_without_a_hold_deletes(pworld: Proxied) -> None:
    await _two_machines(pworld)
    receipt = await pworld.store.dsr_erase(DSR_CTX, Subject.parse("machine", "machine-0001"))
    assert receipt["restricted"] == 0 and receipt["holds"] == []
    assert len(receipt["tables"]["connections"]["erased"]) == 1
    assert len(receipt["tables"]["machines"]["erased"]) == 1
    assert _count(pworld, "connections") == 1
    assert _count(pworld, "machines") == 1  # the erased machine is forgotten too


async def test_erase_under_a_hold_restricts_and_erases_when_the_hold_ends(
    pworld: Proxied,
) -> None:
    lic = await _two_machines(pworld)
    hold = await pworld.store.add_hold(
        "license", str(lic), "litigation", "Case 7/2026", None, "cli:test"
    )
    receipt = await pworld.store.dsr_erase(DSR_CTX, Subject.parse("address", "203.0.113.77"))
    assert receipt["erased"] == 0 and receipt["restricted"] == 1
    assert [h["id"] for h in receipt["holds"]] == [hold["id"]]
    assert "legal hold" in receipt["note"]
    assert _count(pworld, "connections") == 2
    released = await pworld.store.release_hold(hold["id"], "cli:test")
    assert released["erased_after_release"] == 1
    assert _count(pworld, "connections") == 1


async def test_org_export_then_erase(pworld: Proxied) -> None:
    lic = await _two_machines(pworld)
    export = await pworld.store.org_export(DSR_CTX, "acme")
    assert export["organization"]["slug"] == "acme"
    assert [x["id"] for x in export["licenses"]] == [lic]
    assert len(export["machines"]) == 2 and len(export["connections"]) == 2
    assert {e["action"] for e in export["audit"]} >= {"org.add", "license.add"}
    receipt = await pworld.store.org_erase(DSR_CTX, "acme")
    assert receipt["organization_erased"] is True
    assert len(receipt["tables"]["connections"]["erased"]) == 2
    assert [o.slug for o in await pworld.store.list_orgs()] == ["globex", "initech"]
    assert _count(pworld, "licenses") == 0 and _count(pworld, "machines") == 0


async def test_org_erase_respects_holds(pworld: Proxied) -> None:
    await _two_machines(pworld)
    await pworld.store.add_hold("org", "acme", "audit by regulator", "Reg 2026/1", None, "cli:test")
    receipt = await pworld.store.org_erase(DSR_CTX, "acme")
    assert receipt["organization_erased"] is False and receipt["restricted"] == 2
    assert "acme" in [o.slug for o in await pworld.store.list_orgs()]


async def test_holds_are_listed_and_audited(pworld: Proxied) -> None:
    await _two_machines(pworld)
    hold = await pworld.store.add_hold(
        "machine", "machine-0002", "fraud", "Case 9", None, "cli:test"
    )
    assert [h["id"] for h in await pworld.store.list_holds()] == [hold["id"]]
    await pworld.store.release_hold(hold["id"], "cli:test")
    assert await pworld.store.list_holds() == []
    assert len(await pworld.store.list_holds(active_only=False)) == 1
    actions = [e.entry.action for e in await pworld.store.audit_recent(2)]
    assert actions == ["hold.release", "hold.add"]


async def test_a_machine_hold_covers_that_machine_under_every_license(pworld: Proxied) -> None:
    first, _ = await pworld.add_license()
    second, _ = await pworld.add_license()
    await pworld.checkin_from(first, "203.0.113.77", "shared-machine-01")
    await pworld.checkin_from(second, "203.0.113.78", "shared-machine-01")
    await pworld.store.add_hold("machine", "shared-machine-01", "fraud", "Case 11", None, "x")
    receipt = await pworld.store.dsr_erase(DSR_CTX, Subject.parse("machine", "shared-machine-01"))
    assert receipt["erased"] == 0 and receipt["restricted"] == 2
    assert len(receipt["holds"]) == 1


async def test_erasing_a_license_erases_its_flag_evidence(pworld: Proxied) -> None:
    key, lic = await pworld.add_license(seats=1)
    await pworld.checkin_from(key, "203.0.113.77", "machine-0001")
    for i in range(12):  # seat overuse: refusals from other machines
        await pworld.checkin_from(key, f"203.0.113.{100 + i}", f"machine-{i + 10:04d}")
    assert count(pworld.store.path, "flags") >= 1  # type: ignore[attr-defined]
    receipt = await pworld.store.dsr_erase(DSR_CTX, Subject.parse("license", str(lic.id)))
    assert len(receipt["tables"]["flags"]["erased"]) >= 1
    left = rows(pworld.store.path, "SELECT count(*) FROM flags WHERE evidence IS NOT NULL")  # type: ignore[attr-defined]
    assert left == [(0,)]
