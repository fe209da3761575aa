"""Flags in the store: deduplicated upsert, listings without evidence, the gateway read,
audited decisions, suspension on confirm, evidence cleared by retention."""

import sqlite3

import pytest

from licmon.domain.access import Role
from licmon.domain.detectors import FlagKind
from licmon.domain.flags import FlagStatus
from licmon.domain.models import LicenseStatus
from licmon.domain.purposes import ABUSE, DAY
from licmon.errors import BadRequest, Conflict, Forbidden, NotFound
from tests.abuse.conftest import Abused, draft, raise_one
from tests.conftest import START
from tests.privacy.conftest import ctx

ANALYST = ctx(Role.ANALYST, ABUSE, justification="checking flag for abuse report")


async def test_a_flag_raised_again_is_counted_on_the_open_one(aworld: Abused) -> None:
    await aworld.add_license()
    first = await raise_one(aworld.store, draft(at=START, machines_seen=4))
    again = await raise_one(aworld.store, draft(at=START + 3600, machines_seen=6))
    other_kind = await raise_one(aworld.store, draft(FlagKind.DEAD_KEY, at=START))
    assert first == again != other_kind
    (flag,) = await aworld.store.list_flags(kind="machine_sharing")
    assert (flag["count"], flag["first_seen"], flag["last_seen"]) == (2, START, START + 3600)
    assert "evidence" not in flag
    shown = await aworld.store.read_flag(ANALYST, flag["id"])
    assert shown["evidence"] == {"machines_seen": 6}  # the latest occurrence


async def test_key_guessing_flags_are_kept_apart_by_network(aworld: Abused) -> None:
    one = draft(FlagKind.KEY_GUESSING, None, scope="203.0.113.0/24", network="203.0.113.0/24")
    two = draft(FlagKind.KEY_GUESSING, None, scope="198.51.100.0/24", network="198.51.100.0/24")
    ids = await raise_one(aworld.store, one, two, one)
    assert ids[0] == ids[2] != ids[1]


async def test_evidence_reads_as_null_outside_the_gateway(aworld: Abused) -> None:
    await aworld.add_license()
    await raise_one(aworld.store)
    raw = sqlite3.connect(aworld.store.path)  # type: ignore[attr-defined]
    try:  # an operator with file access sees it; licmon's own connections do not
        assert raw.execute("SELECT evidence FROM flags").fetchone()[0] is not None
    finally:
        raw.close()
    (flag,) = await aworld.store.list_flags()
    assert set(flag) >= {"kind", "severity", "status", "count", "purpose", "retain_until"}
    assert flag["purpose"] == ABUSE


async def test_reading_evidence_is_audited_and_fails_closed(aworld: Abused) -> None:
    _, lic = await aworld.add_license()
    (flag_id,) = await raise_one(aworld.store)
    await aworld.store.read_flag(ANALYST, flag_id)
    reads = [e for e in await aworld.store.audit_recent() if e.entry.action == "personal_data.read"]
    assert reads[0].entry.target == f"flag:{flag_id}" and reads[0].entry.details["flags"] == [
        flag_id
    ]
    with pytest.raises(Forbidden):
        await aworld.store.read_flag(ctx(Role.SUPPORT, ABUSE), flag_id)
    with pytest.raises(NotFound):
        await aworld.store.read_flag(ctx(Role.ADMIN, ABUSE, org_id=lic.org.id + 1), flag_id)


async def test_a_flag_moves_through_its_life_cycle_with_who_and_why_audited(
    aworld: Abused,
) -> None:
    await aworld.add_license()
    (flag_id,) = await raise_one(aworld.store)
    store = aworld.store
    with pytest.raises(BadRequest):
        await store.decide_flag(flag_id, FlagStatus.ACKNOWLEDGED, "user:1", " ", suspend=False)
    acked = await store.decide_flag(
        flag_id, FlagStatus.ACKNOWLEDGED, "user:1", "looking", suspend=False
    )
    assert (acked["status"], acked["decided_by"], acked["decision_reason"]) == (
        "acknowledged",
        "user:1",
        "looking",
    )
    await store.decide_flag(flag_id, FlagStatus.DISMISSED, "user:2", "a reinstall", suspend=False)
    with pytest.raises(Conflict):
        await store.decide_flag(flag_id, FlagStatus.CONFIRMED, "user:2", "changed", suspend=False)
    actions = [e.entry.action for e in await store.audit_recent(target=f"flag:{flag_id}")]
    assert actions == ["flag.dismissed", "flag.acknowledged"]
    (new_id,) = await raise_one(store)  # a closed flag does not swallow a new occurrence
    assert new_id != flag_id


async def test_confirming_suspends_the_license_when_asked(aworld: Abused) -> None:
    _, lic = await aworld.add_license()
    (flag_id,) = await raise_one(aworld.store, draft(license_id=lic.id))
    await aworld.store.decide_flag(
        flag_id, FlagStatus.CONFIRMED, "user:1", "shared on a forum", suspend=True
    )
    assert (await aworld.store.get_license(lic.id)).status is LicenseStatus.SUSPENDED
    audit = await aworld.store.audit_recent(target=f"license:{lic.id}")
    assert audit[0].entry.action == "license.status" and audit[0].entry.actor == "user:1"


async def test_a_decision_reason_is_stored_without_addresses(aworld: Abused) -> None:
    """The reason is shown to customers and exported in abuse reports: no address in it."""
    _, lic = await aworld.add_license()
    (flag_id,) = await raise_one(aworld.store, draft(license_id=lic.id))
    reason = "seen from 203.0.113.7 and 2001:db8::1 again"
    decided = await aworld.store.decide_flag(
        flag_id, FlagStatus.ACKNOWLEDGED, "user:1", reason, suspend=False
    )
    assert decided["decision_reason"] == "seen from [address] and [address] again"
    (row,) = await aworld.store.flag_rows(lic.org.id)
    assert row["decision_reason"] == decided["decision_reason"]
    stored = sqlite3.connect(aworld.store.path).execute(  # type: ignore[attr-defined]
        "SELECT decision_reason FROM flags WHERE id = ?", (flag_id,)
    )
    assert "203.0.113.7" not in str(stored.fetchall())


async def test_nobody_disables_their_own_account_in_the_store(aworld: Abused) -> None:
    """Console and command line both go through the store: the rule holds for both."""
    me = await aworld.store.add_user("alice", "x", frozenset({Role.ADMIN}), None, actor="cli:test")
    with pytest.raises(BadRequest, match="your own account"):
        await aworld.store.set_user_disabled("alice", True, actor=me.actor)
    assert not (await aworld.store.get_user(me.id)).disabled
    assert (await aworld.store.set_user_disabled("alice", True, actor="cli:root")).disabled


async def test_retention_clears_evidence_past_its_deadline_unless_held(aworld: Abused) -> None:
    _, kept = await aworld.add_license()
    _, cleared = await aworld.add_license()
    await raise_one(aworld.store, draft(license_id=kept.id), draft(license_id=cleared.id))
    guessing = draft(FlagKind.KEY_GUESSING, None, scope="203.0.113.0/24", network="x")
    await raise_one(aworld.store, guessing)
    await aworld.store.add_hold("license", str(kept.id), "court order", "case 12/26", None, "dpo")
    aworld.clock.now = START + 2 * DAY
    await aworld.store.run_retention()
    raw = sqlite3.connect(aworld.store.path)  # type: ignore[attr-defined]
    try:
        rows = dict(raw.execute("SELECT ifnull(license_id, 0), evidence FROM flags").fetchall())
        networks = raw.execute("SELECT source_network FROM flags WHERE kind = 'key_guessing'")
        assert networks.fetchone()[0].startswith("#")
    finally:
        raw.close()
    assert rows[kept.id] is not None and rows[cleared.id] is None and rows[0] is None
    audit = await aworld.store.audit_recent()
    run = next(e for e in audit if e.entry.action == "retention.run")
    assert run.entry.details["flag_evidence_cleared"] == 2
