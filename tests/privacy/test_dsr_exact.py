"""Data-subject requests, complete and exact: two hosts of one /24 in two organizations."""

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from licmon.config import Settings
from licmon.domain.detectors.events import FlagDraft, FlagKind, Severity
from licmon.domain.flags import FlagRaise
from licmon.domain.subjects import Subject
from tests.conftest import FakeClock, checkin_body
from tests.dbutil import rows
from tests.privacy.conftest import DSR_CTX, ctx
from tests.staff.conftest import (  # noqa: F401  (fixtures)
    StaffWorld,
    fast_hashing,
    make_staff_world,
    staff_settings,
)

HOST = "203.0.113.7"  # acme (full precision): the subject
NEIGHBOUR = "203.0.113.8"  # acme too, another person at the same site
OTHER_ORG_HOST = "203.0.113.9"  # globex (network precision): stored as 203.0.113.0/24
NETWORK = "203.0.113.0/24"


@dataclass
class Scene:
    world: StaffWorld
    acme_license: int
    globex_license: int
    acme_org: int
    globex_org: int

    def db(self, sql: str) -> list[tuple[Any, ...]]:
        return rows(self.world.store.path, sql)  # type: ignore[attr-defined]


async def checkin_from(world: StaffWorld, key: str, address: str, machine: str) -> None:
    response = await world.client.post(
        "/v1/checkin", json=checkin_body(key, machine), headers={"X-Forwarded-For": address}
    )
    assert response.status == 200, await response.text()


@pytest.fixture(name="scene")
async def scene_fixture(
    make_client: Callable[..., Any],
    staff_settings: Settings,  # noqa: F811
    clock: FakeClock,
) -> Scene:
    world = await make_staff_world(make_client, staff_settings, clock)
    acme_key, acme = await world.add_license("acme", seats=3)
    globex_key, globex = await world.add_license("globex", seats=3)
    await checkin_from(world, acme_key, HOST, "acme-subject-01")
    await checkin_from(world, acme_key, NEIGHBOUR, "acme-neighbour-1")
    await checkin_from(world, globex_key, OTHER_ORG_HOST, "globex-machine-1")
    now = int(clock.now)
    await world.store.raise_flags(
        [
            FlagRaise(
                FlagDraft(
                    FlagKind.KEY_GUESSING, Severity.MEDIUM, None, now, {"address": HOST}, HOST
                ),
                now + 86400,
            ),
            FlagRaise(
                FlagDraft(
                    FlagKind.KEY_GUESSING,
                    Severity.MEDIUM,
                    None,
                    now,
                    {"network": NETWORK},
                    NETWORK,
                ),
                now + 86400,
            ),
        ]
    )
    await world.add_user("dana", "dpo")
    for address in (HOST, NEIGHBOUR):  # failed logins of a staff account, from two hosts
        browser = world.browser(address)
        response = await browser.submit_login("dana", "wrong password!")
        assert response.status in (401, 403, 429, 200)
    orgs = {o.slug: o.id for o in await world.store.list_orgs()}
    return Scene(world, acme.id, globex.id, orgs["acme"], orgs["globex"])


def _ids(scene: Scene, sql: str) -> list[int]:
    return [r[0] for r in scene.db(sql)]


async def test_an_address_export_is_exact_and_reports_the_network_rows_as_ambiguous(
    scene: Scene,
) -> None:
    export = await scene.world.store.dsr_export(DSR_CTX, Subject.parse("address", HOST))
    assert [r["machine"] for r in export["records"]] == ["acme-subject-01"]
    assert [m["fingerprint"] for m in export["machines"]] == ["acme-subject-01"]
    text = json.dumps(export)
    assert NEIGHBOUR not in text and "globex-machine-1" not in text
    assert "acme-neighbour-1" not in text
    globex_rows = _ids(scene, "SELECT id FROM connections WHERE address = '203.0.113.0/24'")
    network_flag = _ids(scene, "SELECT id FROM flags WHERE source_network = '203.0.113.0/24'")
    assert export["ambiguous"]["connections"] == globex_rows
    # a flag without a license keeps no more than a network (issue 19, precision at every
    # sink): the host's key-guessing flag was stored as its /24, so it is ambiguous too
    assert scene.db("SELECT source_network FROM flags") == [(NETWORK,)]
    assert export["ambiguous"]["flags"] == network_flag
    assert export["flags"] == []
    [attempt] = export["login_attempts"]
    assert attempt["address"] == HOST and attempt["purpose"] == "security.authn"


async def test_an_org_scoped_address_export_sees_only_that_org(scene: Scene) -> None:
    scoped = dataclasses.replace(DSR_CTX, org_id=scene.globex_org)
    export = await scene.world.store.dsr_export(scoped, Subject.parse("address", HOST))
    assert export["records"] == [] and export["machines"] == []
    assert export["flags"] == []  # a flag without a license belongs to no organization
    assert export["login_attempts"] == []  # the dpo is not globex staff
    assert len(export["ambiguous"]["connections"]) == 1  # globex's own network row


async def test_an_address_erase_touches_that_host_only(scene: Scene) -> None:
    before_globex = scene.db(f"SELECT * FROM connections WHERE license_id = {scene.globex_license}")
    receipt = await scene.world.store.dsr_erase(DSR_CTX, Subject.parse("address", HOST))
    text = json.dumps(receipt)
    assert HOST not in text and NETWORK not in text and "203.0.113" not in text
    assert receipt["tables"]["connections"]["erased"]
    assert receipt["tables"]["login_attempts"]["erased"]
    assert not receipt["tables"].get("flags", {}).get("erased")  # only a network: ambiguous
    assert receipt["ambiguous"]["connections"] and receipt["ambiguous"]["flags"]
    left = [r[0] for r in scene.db("SELECT address FROM connections ORDER BY id")]
    assert left == [NEIGHBOUR, NETWORK]
    assert (
        scene.db(f"SELECT * FROM connections WHERE license_id = {scene.globex_license}")
        == before_globex
    )
    assert scene.db("SELECT address FROM login_attempts") == [(NEIGHBOUR,)]
    assert scene.db("SELECT source_network FROM flags") == [(NETWORK,)]
    assert (await scene.world.store.audit_verify())[1] is None


async def test_an_org_scoped_erase_leaves_other_organizations_alone(scene: Scene) -> None:
    scoped = dataclasses.replace(DSR_CTX, org_id=scene.globex_org)
    before = scene.db("SELECT * FROM connections ORDER BY id")
    receipt = await scene.world.store.dsr_erase(scoped, Subject.parse("address", HOST))
    assert receipt["erased"] == 0
    assert scene.db("SELECT * FROM connections ORDER BY id") == before
    assert len(scene.db("SELECT * FROM login_attempts")) == 2
    assert len(scene.db("SELECT * FROM flags")) == 1


async def test_a_license_export_covers_every_table(scene: Scene) -> None:
    store = scene.world.store
    await store.read_connections(ctx(), Subject.parse("license", str(scene.acme_license)))
    export = await store.dsr_export(DSR_CTX, Subject.parse("license", str(scene.acme_license)))
    assert export["format"] == "licmon.dsr-export" and export["version"] == 1
    assert {m["fingerprint"] for m in export["machines"]} == {
        "acme-subject-01",
        "acme-neighbour-1",
    }
    assert len(export["seats"]) == 2 and len(export["records"]) == 2
    actions = {e["action"] for e in export["audit"]}
    assert {"license.add", "personal_data.read"} <= actions
    for record in export["records"] + export["machines"] + export["seats"]:
        assert {"purpose", "legal_basis", "retain_until", "held", "restricted"} <= set(record)


async def test_a_machine_erase_removes_its_machine_and_seat_and_lists_row_ids(
    scene: Scene,
) -> None:
    machine_id = _ids(scene, "SELECT id FROM machines WHERE fingerprint = 'acme-subject-01'")
    receipt = await scene.world.store.dsr_erase(
        DSR_CTX, Subject.parse("machine", "acme-subject-01")
    )
    assert receipt["tables"]["machines"]["erased"] == machine_id
    assert receipt["tables"]["seats"]["erased"] == [[scene.acme_license, machine_id[0]]]
    assert _ids(scene, "SELECT id FROM machines WHERE fingerprint = 'acme-subject-01'") == []


async def test_flags_a_hold_keeps_are_restricted_then_erased_when_it_ends(scene: Scene) -> None:
    store = scene.world.store
    now = int(scene.world.clock.now)
    draft = FlagDraft(FlagKind.CLOCK_TAMPERING, Severity.MEDIUM, scene.acme_license, now, {})
    [flag] = await store.raise_flags([FlagRaise(draft, now + 86400)])
    hold = await store.add_hold("license", str(scene.acme_license), "fraud", "Case 3", None, "x")
    receipt = await store.dsr_erase(DSR_CTX, Subject.parse("license", str(scene.acme_license)))
    assert receipt["tables"]["flags"] == {"erased": [], "restricted": [flag]}
    assert scene.db(f"SELECT restricted FROM flags WHERE id = {flag}") == [(1,)]
    await store.release_hold(hold["id"], "x")
    assert scene.db(f"SELECT count(*) FROM flags WHERE id = {flag}") == [(0,)]


async def test_a_restriction_receipt_names_tables_and_row_ids_only(scene: Scene) -> None:
    receipt = await scene.world.store.dsr_restrict(DSR_CTX, Subject.parse("address", HOST))
    ids = _ids(scene, f"SELECT id FROM connections WHERE address = '{HOST}'")
    assert receipt["tables"]["connections"]["restricted"] == ids
    assert "203.0.113" not in json.dumps(receipt)


async def test_an_ipv6_host_is_exact_and_its_48_is_ambiguous(scene: Scene) -> None:
    acme_key = scene.world.keys[scene.acme_license]
    globex_key = scene.world.keys[scene.globex_license]
    await checkin_from(scene.world, acme_key, "2001:db8:1::7", "acme-v6-machine1")
    await checkin_from(scene.world, globex_key, "2001:db8:1::9", "globex-v6-machin")
    export = await scene.world.store.dsr_export(DSR_CTX, Subject.parse("address", "2001:db8:1::7"))
    assert [r["machine"] for r in export["records"]] == ["acme-v6-machine1"]
    assert export["ambiguous"]["connections"] == _ids(
        scene, "SELECT id FROM connections WHERE address = '2001:db8:1::/48'"
    )
    assert "globex-v6-machin" not in json.dumps(export)
