"""The purpose gateway: every read of personal data states a purpose, is refused when the
role may not use it, and writes its audit entry in the same transaction."""

import psycopg
import pytest

from licmon.domain.access import Role
from licmon.domain.subjects import Subject
from licmon.errors import Forbidden
from licmon.store.base import Store
from tests.conftest import FakeClock
from tests.store.world import check_in, ctx, licensed


async def test_a_read_returns_the_rows_and_writes_its_audit_entry(
    store: Store, clock: FakeClock
) -> None:
    lic = await licensed(store)
    now = int(clock())
    await check_in(store, lic, "machine-0001", "203.0.113.77", now)
    await check_in(store, lic, "machine-0002", "2001:db8::5", now)
    seen: list[str] = []
    store.on_personal_read = seen.append
    rows = await store.read_connections(ctx(), Subject.parse("license", str(lic.id)))
    assert sorted(r["address"] for r in rows) == ["2001:db8::5", "203.0.113.77"]
    entries = await store.audit_recent(5, f"license:{lic.id}")
    [entry] = [e for e in entries if e.entry.action == "personal_data.read"]
    assert entry.entry.details["purpose"] == "license.enforcement.abuse"
    assert sorted(entry.entry.details["rows"]) == sorted(r["id"] for r in rows)
    assert "203.0.113.77" not in str(entry.entry.details)
    assert seen == ["license.enforcement.abuse"]


async def test_a_read_without_an_allowed_purpose_is_refused_and_leaves_no_entry(
    store: Store, clock: FakeClock
) -> None:
    lic = await licensed(store)
    await check_in(store, lic, "machine-0001", "203.0.113.77", int(clock()))
    before = await store.audit_head()
    for refused in (ctx(Role.SUPPORT), ctx(purpose=""), ctx(Role.ANALYST, "dsr")):
        with pytest.raises(Forbidden):
            await store.read_connections(refused, Subject.parse("license", str(lic.id)))
    assert await store.audit_head() == before


async def test_an_organization_scope_sees_only_its_rows(store: Store, clock: FakeClock) -> None:
    lic = await licensed(store)
    await check_in(store, lic, "machine-0001", "203.0.113.77", int(clock()))
    subject = Subject.parse("address", "203.0.113.77")
    assert len(await store.read_connections(ctx(org_id=lic.org.id), subject)) == 1
    assert await store.read_connections(ctx(org_id=lic.org.id + 1), subject) == []


async def test_the_detectors_history_is_a_gateway_read(store: Store, clock: FakeClock) -> None:
    lic = await licensed(store)
    now = int(clock())
    await check_in(store, lic, "machine-0001", "203.0.113.77", now)
    rows = await store.detector_history(ctx(), now - 60, 100)
    assert [(r["machine"], r["address"]) for r in rows] == [("machine-0001", "203.0.113.77")]
    [entry] = await store.audit_recent(5, "detectors")
    assert entry.entry.details["connections"] == 1


async def test_the_normal_path_cannot_read_the_personal_columns(
    store: Store, backend: str, clock: FakeClock
) -> None:
    lic = await licensed(store)
    await check_in(store, lic, "machine-0001", "203.0.113.77", int(clock()))
    select = "SELECT id, address FROM connections"
    if backend == "sqlite":  # the authorizer reads them as NULL
        rows = await store._read(lambda conn: conn.execute(select).fetchall())  # type: ignore[attr-defined]
        assert [row[1] for row in rows] == [None]
        return
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        await store._read(lambda conn: conn.execute(select).fetchall())  # type: ignore[attr-defined]
    roles = store.roles  # type: ignore[attr-defined]
    with psycopg.connect(store.url) as conn:  # type: ignore[attr-defined]
        conn.execute(f'SET ROLE "{roles.app}"')
        assert conn.execute("SELECT id, country FROM connections").fetchall() != []
        for table, column in (
            ("connections", "address"),
            ("connections", "latitude"),
            ("flags", "evidence"),
            ("login_attempts", "address"),
            ("restrictions", "address"),
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"SELECT {column} FROM {table}")
            conn.rollback()
            conn.execute(f'SET ROLE "{roles.app}"')
        conn.execute(f'SET ROLE "{roles.gateway}"')
        assert conn.execute("SELECT address FROM connections").fetchall() == [("203.0.113.77",)]
