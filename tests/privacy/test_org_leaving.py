"""A customer leaving: org export and erase, with its staff accounts, through store,
console and CLI; and an erased organization's names gone from the audit log."""

import hashlib
import json
import re
from typing import Any

import pytest

from licmon.domain.access import ReadContext, Role, check_read
from licmon.domain.purposes import ABUSE, DSR
from licmon.errors import Forbidden
from tests.dbutil import execute
from tests.privacy.conftest import DSR_CTX
from tests.privacy.test_dsr_exact import Scene, scene_fixture  # noqa: F401
from tests.staff.conftest import fast_hashing, staff_settings  # noqa: F401

ORG_WHY = "customer Acme Ltd leaves, contract acme-2026 ended"


async def _customers(scene: Scene) -> dict[str, Any]:
    """Two customer accounts of acme (one logged in, with a token) and one of globex."""
    world = scene.world
    await world.add_user("ann", "customer", "acme")
    await world.add_user("ben", "customer", "acme")
    await world.add_user("gus", "customer", "globex")
    ann = await world.logged_in("ann", "198.51.100.20")
    await world.browser("198.51.100.21").submit_login("ben", "not the password")
    await world.logged_in("gus", "198.51.100.30")
    token = hashlib.sha256(b"ann's token").digest()
    await world.store.add_api_token("ann", "laptop", token, None, actor="cli:test")
    return {"ann": ann}


def _ids(scene: Scene, sql: str) -> list[Any]:
    return [r[0] for r in scene.db(sql)]


async def test_org_export_holds_staff_accounts_their_logins_and_usage(scene: Scene) -> None:
    await _customers(scene)
    store = scene.world.store
    hold = await store.add_hold("org", "acme", "audit by Acme's regulator", "Reg 1", None, "x")
    await store.release_hold(hold["id"], "x")
    export = await store.org_export(DSR_CTX, "acme")
    assert [h["id"] for h in export["legal_holds"]] == [hold["id"]]
    assert export["format"] == "licmon.org-export" and export["version"] == 1
    assert [u["username"] for u in export["staff_accounts"]] == ["ann", "ben"]
    assert all("password_hash" not in u for u in export["staff_accounts"])
    addresses = {a["address"] for a in export["login_attempts"]}
    assert addresses == {"198.51.100.20", "198.51.100.21"}
    assert len(export["staff_sessions"]) == 1 and "token_hash" not in export["staff_sessions"][0]
    assert [t["name"] for t in export["api_tokens"]] == ["laptop"]
    assert "token_hash" not in export["api_tokens"][0]
    assert export["usage_hourly"] and {u["license_id"] for u in export["usage_hourly"]} == {
        scene.acme_license
    }
    assert len(export["seats"]) == 2 and len(export["machines"]) == 2
    assert {"user.add", "org.add", "license.add"} <= {e["action"] for e in export["audit"]}
    assert "gus" not in json.dumps(export) and "198.51.100.30" not in json.dumps(export)


async def test_org_erase_removes_its_staff_and_leaves_the_other_org(scene: Scene) -> None:
    await _customers(scene)
    globex_before = {
        table: scene.db(f"SELECT * FROM {table} WHERE {where}")
        for table, where in (
            ("staff_users", f"org_id = {scene.globex_org}"),
            ("connections", f"license_id = {scene.globex_license}"),
            ("machines", f"license_id = {scene.globex_license}"),
        )
    }
    receipt = await scene.world.store.org_erase(DSR_CTX, "acme")
    assert receipt["organization_erased"] is True
    assert len(receipt["tables"]["staff_users"]["erased"]) == 2
    assert receipt["tables"]["staff_sessions"]["erased"]
    assert receipt["tables"]["api_tokens"]["erased"]
    assert len(receipt["tables"]["login_attempts"]["erased"]) == 2
    assert "198.51.100" not in json.dumps(receipt)
    assert receipt["tables"]["orgs"]["erased"] == [scene.acme_org]
    assert _ids(scene, "SELECT username FROM staff_users ORDER BY id") == ["dana", "gus"]
    assert _ids(scene, "SELECT count(*) FROM api_tokens") == [0]
    assert _ids(scene, "SELECT address FROM login_attempts WHERE address LIKE '198.51%'") == [
        "198.51.100.0/24"  # gus is globex staff: network precision
    ]
    assert _ids(
        scene, f"SELECT count(*) FROM usage_hourly WHERE license_id = {scene.acme_license}"
    ) == [0]
    for table, where in (
        ("staff_users", f"org_id = {scene.globex_org}"),
        ("connections", f"license_id = {scene.globex_license}"),
        ("machines", f"license_id = {scene.globex_license}"),
    ):
        assert scene.db(f"SELECT * FROM {table} WHERE {where}") == globex_before[table]


async def test_an_erased_orgs_names_leave_the_audit_log_and_the_chain_holds(
    scene: Scene,
) -> None:
    store = scene.world.store
    why = ReadContext("cli:dpo", Role.OPERATOR, DSR, ORG_WHY)
    await store.org_export(why, "acme")
    await store.org_erase(why, "acme")
    text = "\n".join(" ".join(map(str, row)) for row in scene.db("SELECT * FROM audit"))
    assert not re.search(r"acme", text, re.IGNORECASE), text[:2000]
    count, broken = await store.audit_verify()
    assert broken is None and count >= 9
    assert "org.erase" in text and f"org:{scene.acme_org}" in text


async def test_a_customer_exports_and_erases_its_own_org_in_the_console(scene: Scene) -> None:
    browsers = await _customers(scene)
    ann = browsers["ann"]
    page = await ann.get("/staff/org/data")
    assert page.status == 200 and "acme" in await page.text()
    download = await ann.post("/staff/org/data/export", {"justification": ORG_WHY})
    assert download.status == 200
    assert "attachment" in download.headers["Content-Disposition"]
    data = json.loads(await download.text())
    assert data["organization"]["slug"] == "acme"
    assert [u["username"] for u in data["staff_accounts"]] == ["ann", "ben"]
    other = await ann.post("/staff/org/data/export", {"justification": ORG_WHY, "org": "globex"})
    assert other.status == 200 and json.loads(await other.text())["organization"]["id"] == (
        scene.acme_org
    )  # a customer's request is about its own organization, whatever the form says
    unconfirmed = await ann.post("/staff/org/data/erase", {"justification": ORG_WHY})
    assert unconfirmed.status == 400 and "confirm" in (await unconfirmed.text()).lower()
    assert _ids(scene, "SELECT slug FROM orgs ORDER BY id") == ["acme", "globex"]
    erased = await ann.post("/staff/org/data/erase", {"justification": ORG_WHY, "confirm": "acme"})
    assert erased.status == 200, await erased.text()
    assert _ids(scene, "SELECT slug FROM orgs ORDER BY id") == ["globex"]
    assert _ids(scene, "SELECT username FROM staff_users ORDER BY id") == ["dana", "gus"]
    assert (await ann.get("/staff/")).status in (303, 401)  # her session ended with her account


async def test_staff_without_the_right_role_cannot_take_an_orgs_data(scene: Scene) -> None:
    await scene.world.add_user("sam", "support")
    sam = await scene.world.logged_in("sam")
    response = await sam.post("/staff/org/data/export", {"justification": ORG_WHY, "org": "acme"})
    assert response.status == 403
    dana = await scene.world.logged_in("dana")  # a dpo acts for any organization it names
    response = await dana.post(
        "/staff/org/data/export", {"justification": ORG_WHY, "org": "globex"}
    )
    assert response.status == 200
    assert json.loads(await response.text())["organization"]["slug"] == "globex"


def test_a_customer_acts_for_dsr_only_within_its_own_organization() -> None:
    check_read(ReadContext("user:9", Role.CUSTOMER, DSR, ORG_WHY, 3))
    with pytest.raises(Forbidden):
        check_read(ReadContext("user:9", Role.CUSTOMER, DSR, ORG_WHY))
    with pytest.raises(Forbidden):
        check_read(ReadContext("user:9", Role.CUSTOMER, ABUSE, ORG_WHY, 3))


async def test_tables_added_later_go_with_what_they_point_at(scene: Scene) -> None:
    await _customers(scene)
    path = scene.world.store.path  # type: ignore[attr-defined]
    execute(
        path,
        "CREATE TABLE borrowed (id INTEGER PRIMARY KEY, "
        "machine_id INTEGER NOT NULL REFERENCES machines(id))",
        "CREATE TABLE second_factors (id INTEGER PRIMARY KEY, secret TEXT, "
        "user_id INTEGER NOT NULL REFERENCES staff_users(id))",
        "INSERT INTO borrowed (machine_id) SELECT id FROM machines",
        "INSERT INTO second_factors (user_id, secret) SELECT id, 'totp-seed' FROM staff_users",
    )
    export = await scene.world.store.org_export(DSR_CTX, "acme")
    assert len(export["other"]["borrowed"]) == 2
    assert [set(r) for r in export["other"]["second_factors"]] == [{"id", "user_id"}] * 2
    receipt = await scene.world.store.org_erase(DSR_CTX, "acme")
    assert len(receipt["tables"]["borrowed"]["erased"]) == 2
    assert len(receipt["tables"]["second_factors"]["erased"]) == 2
    assert scene.db("SELECT count(*) FROM borrowed") == [(1,)]  # globex's machine
