"""The audit log: append-only, hash-chained, tamper-evident, free of personal data."""

import sqlite3

import pytest

from licmon.domain.subjects import Subject
from tests.privacy.conftest import Proxied, ctx


async def _some_history(pworld: Proxied) -> str:
    key, lic = await pworld.add_license()
    await pworld.checkin_from(key, "203.0.113.77")
    await pworld.store.read_connections(ctx(), Subject.parse("license", str(lic.id)))
    await pworld.store.add_hold("license", str(lic.id), "litigation", "Case 1", None, "cli:x")
    return key


async def test_the_chain_verifies(pworld: Proxied) -> None:
    await _some_history(pworld)
    count, broken = await pworld.store.audit_verify()
    assert count >= 5 and broken is None


@pytest.mark.parametrize(
    "sql",
    ["UPDATE audit SET actor = 'someone else' WHERE id = 2", "DELETE FROM audit WHERE id = 2"],
)
async def test_the_database_refuses_changes(pworld: Proxied, sql: str) -> None:
    await _some_history(pworld)
    conn = sqlite3.connect(pworld.store.path)  # type: ignore[attr-defined]
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute(sql)
    conn.close()


async def test_tampering_with_the_file_is_found_and_named(pworld: Proxied) -> None:
    await _some_history(pworld)
    conn = sqlite3.connect(pworld.store.path)  # type: ignore[attr-defined]
    conn.execute("DROP TRIGGER audit_no_update")  # an attacker with the file can do this
    conn.execute("UPDATE audit SET actor = 'nobody' WHERE id = 3")
    conn.commit()
    conn.close()
    _, broken = await pworld.store.audit_verify()
    assert broken is not None and broken.id == 3


async def test_no_address_or_key_ever_reaches_the_audit_log(pworld: Proxied) -> None:
    key = await _some_history(pworld)
    await pworld.store.dsr_erase(ctx(purpose="dsr"), Subject.parse("address", "203.0.113.77"))
    conn = sqlite3.connect(pworld.store.path)  # type: ignore[attr-defined]
    text = " ".join(str(v) for row in conn.execute("SELECT * FROM audit") for v in row)
    conn.close()
    assert "203.0.113" not in text
    assert key not in text and key.replace("-", "") not in text
