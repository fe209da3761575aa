"""The purpose gateway: every refusal path, scoping, audit in the same transaction."""

import sqlite3

import pytest

from licmon.domain.access import ROLE_PURPOSES, ReadContext, Role
from licmon.domain.purposes import ABUSE, AUTHN, CHECKIN, DSR, LEGAL_HOLD, PURPOSES
from licmon.domain.subjects import Subject
from licmon.errors import Forbidden
from licmon.store.sqlite import connect
from tests.privacy.conftest import DSR_CTX, Proxied, ctx

LICENSE_1 = Subject.parse("license", "1")


async def _one_connection(pworld: Proxied) -> None:
    key, _ = await pworld.add_license()
    assert await pworld.checkin_from(key, "203.0.113.77") == 200


@pytest.mark.parametrize(
    "bad",
    [
        ReadContext("", Role.ADMIN, ABUSE, "investigating flag #12"),
        ReadContext("user:1", None, ABUSE, "investigating flag #12"),
        ReadContext("user:1", Role.ADMIN, "marketing", "investigating flag #12"),
        ReadContext("user:1", Role.ADMIN, "", "investigating flag #12"),
        ReadContext("user:1", Role.ADMIN, ABUSE, ""),
        ReadContext("user:1", Role.ADMIN, ABUSE, "because"),
    ],
)
async def test_incomplete_contexts_are_refused_and_not_logged_as_reads(
    pworld: Proxied, bad: ReadContext
) -> None:
    await _one_connection(pworld)
    with pytest.raises(Forbidden):
        await pworld.store.read_connections(bad, LICENSE_1)
    assert not [
        e for e in await pworld.store.audit_recent() if e.entry.action == "personal_data.read"
    ]


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("purpose", sorted(PURPOSES))
async def test_role_purpose_matrix(pworld: Proxied, role: Role, purpose: str) -> None:
    await _one_connection(pworld)
    context = ctx(role, purpose)
    if purpose not in ROLE_PURPOSES[role]:
        with pytest.raises(Forbidden):
            await pworld.store.read_connections(context, LICENSE_1)
        return
    rows = await pworld.store.read_connections(context, LICENSE_1)
    carried = purpose in PURPOSES[CHECKIN].readable_for
    assert [r["address"] for r in rows] == (["203.0.113.77"] if carried else [])


def test_the_role_table_is_the_designs() -> None:
    assert ROLE_PURPOSES[Role.ADMIN] == {ABUSE, DSR}
    assert ROLE_PURPOSES[Role.ANALYST] == {ABUSE}
    assert ROLE_PURPOSES[Role.SUPPORT] == frozenset()
    assert ROLE_PURPOSES[Role.DPO] == {DSR, LEGAL_HOLD}
    assert ROLE_PURPOSES[Role.CUSTOMER] == frozenset()
    assert AUTHN not in set().union(*ROLE_PURPOSES.values())


async def test_rows_of_another_organization_are_invisible(pworld: Proxied) -> None:
    await _one_connection(pworld)  # license 1 belongs to acme (org 1)
    assert await pworld.store.read_connections(ctx(org_id=2), LICENSE_1) == []
    assert len(await pworld.store.read_connections(ctx(org_id=1), LICENSE_1)) == 1


async def test_restricted_rows_are_readable_only_for_legal_hold_and_the_subjects_request(
    pworld: Proxied,
) -> None:
    await _one_connection(pworld)
    await pworld.store.dsr_restrict(DSR_CTX, LICENSE_1)
    assert await pworld.store.read_connections(ctx(), LICENSE_1) == []
    [row] = (await pworld.store.dsr_export(DSR_CTX, LICENSE_1))["records"]
    assert row["restricted"] is True
    held = await pworld.store.read_connections(ctx(Role.DPO, LEGAL_HOLD), LICENSE_1)
    assert len(held) == 1


async def test_each_read_is_audited_with_its_rows_purpose_and_justification(
    pworld: Proxied,
) -> None:
    await _one_connection(pworld)
    rows = await pworld.store.read_connections(ctx(), LICENSE_1)
    entry = (await pworld.store.audit_recent(1))[0].entry
    assert entry.action == "personal_data.read" and entry.actor == "user:1"
    assert entry.details["rows"] == [rows[0]["id"]]
    assert entry.details["purpose"] == ABUSE
    assert entry.details["justification"] == "investigating flag #12 for seat overuse"


async def test_a_failing_audit_write_fails_the_read(pworld: Proxied) -> None:
    await _one_connection(pworld)
    conn = sqlite3.connect(pworld.store.path)  # type: ignore[attr-defined]
    conn.execute(
        "CREATE TRIGGER no_audit BEFORE INSERT ON audit "
        "BEGIN SELECT RAISE(ABORT, 'audit unavailable'); END"
    )
    conn.commit()
    conn.close()
    with pytest.raises(sqlite3.IntegrityError, match="audit unavailable"):
        await pworld.store.read_connections(ctx(), LICENSE_1)


async def test_addresses_in_justifications_are_redacted(pworld: Proxied) -> None:
    await _one_connection(pworld)
    await pworld.store.read_connections(
        ctx(justification="customer says 203.0.113.77 and 2001:db8::1 are theirs"), LICENSE_1
    )
    entry = (await pworld.store.audit_recent(1))[0].entry
    assert "203.0.113.77" not in entry.details["justification"]
    assert "2001:db8::1" not in entry.details["justification"]


async def test_every_other_connection_reads_personal_columns_as_null(pworld: Proxied) -> None:
    await _one_connection(pworld)
    conn = connect(pworld.store.path)  # type: ignore[attr-defined]
    try:
        row = conn.execute("SELECT address, asn, city, day, checkins FROM connections").fetchone()
        assert row[0] is None and row[1] is None and row[2] is None
        assert row[3] and row[4] == 1  # the rest reads as usual
        hidden = conn.execute("SELECT count(*) FROM connections WHERE address != ''").fetchone()
        assert hidden[0] == 0
    finally:
        conn.close()
