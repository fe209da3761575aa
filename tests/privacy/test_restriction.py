"""Restriction lasts: a marker on the subject that new rows inherit; restricted flags and
rows leave detectors and reports; rows past their deadline are read only for legal.hold."""

import pytest

from licmon.domain.access import Role
from licmon.domain.paging import PageRequest
from licmon.domain.purposes import LEGAL_HOLD
from licmon.domain.subjects import Subject, SubjectKind
from licmon.errors import Forbidden
from tests.conftest import START
from tests.dbutil import rows
from tests.privacy.conftest import DSR_CTX, Proxied, ctx

DAY = 86400


def _rows(pworld: Proxied, sql: str) -> list[tuple[object, ...]]:
    return rows(pworld.store.path, sql)  # type: ignore[attr-defined]


async def _share(pworld: Proxied, key: str, count: int, prefix: str) -> None:
    for i in range(count):
        await pworld.checkin_from(key, f"203.0.113.{i + 1}", f"{prefix}-{i:04d}")


@pytest.mark.parametrize("kind", ["license", "machine", "address"])
async def test_a_new_checkin_of_a_restricted_subject_is_restricted(
    pworld: Proxied, kind: str
) -> None:
    key, lic = await pworld.add_license(seats=3)
    assert await pworld.checkin_from(key, "203.0.113.7", "machine-0001") == 200
    value = {"license": str(lic.id), "machine": "machine-0001", "address": "203.0.113.7"}[kind]
    receipt = await pworld.store.dsr_restrict(DSR_CTX, Subject(SubjectKind(kind), value))
    assert receipt["restricted"] == 1 and receipt["markers"] == 1
    pworld.clock.advance(2 * DAY)  # a new day: a new connection row
    assert await pworld.checkin_from(key, "203.0.113.7", "machine-0001") == 200
    assert await pworld.checkin_from(key, "198.51.100.9", "machine-0002") == 200
    restricted = _rows(
        pworld,
        "SELECT m.fingerprint, c.restricted FROM connections c "
        "JOIN machines m ON m.id = c.machine_id ORDER BY c.id",
    )
    assert restricted[:2] == [("machine-0001", 1), ("machine-0001", 1)]
    assert restricted[2] == ("machine-0002", 1 if kind == "license" else 0)
    subject = Subject(SubjectKind.MACHINE, "machine-0001")
    assert await pworld.store.read_connections(ctx(), subject) == []


async def test_detectors_and_the_report_leave_a_restricted_license_out(pworld: Proxied) -> None:
    key, lic = await pworld.add_license(seats=20, max_machines=2)
    flagged_key, flagged = await pworld.add_license(seats=20, max_machines=2)
    await _share(pworld, flagged_key, 6, "flagged")
    (flag,) = await pworld.store.list_flags(license_id=flagged.id)
    await pworld.store.dsr_restrict(DSR_CTX, Subject(SubjectKind.LICENSE, str(lic.id)))
    await pworld.store.dsr_restrict(DSR_CTX, Subject(SubjectKind.LICENSE, str(flagged.id)))
    await _share(pworld, key, 6, "shared")  # would be machine sharing
    assert await pworld.store.list_flags(license_id=lic.id) == []
    assert _rows(pworld, f"SELECT restricted FROM flags WHERE id = {flag['id']}") == [(1,)]
    with pytest.raises(Forbidden):
        await pworld.store.read_flag(ctx(), flag["id"])
    assert (await pworld.store.read_flag(DSR_CTX, flag["id"]))["evidence"]
    report = await pworld.store.abuse_report_data(START - DAY, START + DAY, None)
    assert report == []


async def test_rows_past_their_deadline_kept_by_a_hold_are_read_only_for_it(
    pworld: Proxied,
) -> None:
    key, lic = await pworld.add_license()
    await pworld.checkin_from(key, "203.0.113.7")
    await pworld.store.add_hold("license", str(lic.id), "litigation", "Case 1", None, "cli:t")
    subject = Subject(SubjectKind.LICENSE, str(lic.id))
    assert len(await pworld.store.read_connections(ctx(), subject)) == 1
    pworld.clock.advance(90 * DAY)
    await pworld.store.run_retention()
    assert await pworld.store.read_connections(ctx(), subject) == []
    assert await pworld.store.read_connections(ctx(Role.ADMIN, "dsr"), subject) == []
    held = ctx(Role.DPO, LEGAL_HOLD, justification="litigation hold, Case 1")
    assert len(await pworld.store.read_connections(held, subject)) == 1


async def test_restricted_flags_leave_the_console_list_and_the_open_gauges(
    pworld: Proxied,
) -> None:
    kept_key, kept = await pworld.add_license(seats=20, max_machines=2)
    hidden_key, hidden = await pworld.add_license("initech", seats=20, max_machines=2)
    await _share(pworld, kept_key, 6, "kept")
    await _share(pworld, hidden_key, 6, "hidden")
    (flag,) = await pworld.store.list_flags(license_id=hidden.id)
    await pworld.store.dsr_restrict(DSR_CTX, Subject(SubjectKind.LICENSE, str(hidden.id)))
    listed = await pworld.store.flag_page(None, None, None, None, PageRequest())
    assert [row["license_id"] for row in listed.rows] == [kept.id] and listed.total == 1
    hidden_page = await pworld.store.flag_page(None, None, None, hidden.id, PageRequest())
    assert hidden_page.rows == [] and hidden_page.total == 0
    assert await pworld.store.flag_kinds(hidden.org.id) == []
    by_kind, by_severity = await pworld.store.open_flag_counts()
    assert sum(by_kind.values()) == 1 and sum(by_severity.values()) == 1
    assert (await pworld.store.read_flag(DSR_CTX, flag["id"]))["evidence"]
