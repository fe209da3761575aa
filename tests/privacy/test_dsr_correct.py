"""Rectification: a machine under the wrong license or organization, an organization's name."""

import dataclasses
import json

import pytest

from licmon.errors import BadRequest, NotFound
from tests.privacy.conftest import DSR_CTX
from tests.privacy.test_dsr_exact import HOST, Scene, checkin_from, scene_fixture  # noqa: F401
from tests.staff.conftest import fast_hashing, staff_settings  # noqa: F401


async def test_a_machine_moves_to_the_right_organization_with_its_log(scene: Scene) -> None:
    store = scene.world.store
    receipt = await store.dsr_correct_machine(
        DSR_CTX, "acme-subject-01", scene.acme_license, scene.globex_license
    )
    [machine_id] = receipt["tables"]["machines"]["corrected"]
    assert receipt["tables"]["seats"]["erased"] == [[scene.acme_license, machine_id]]
    assert HOST not in json.dumps(receipt)
    moved = scene.db(
        f"SELECT license_id, address, precision FROM connections WHERE machine_id = {machine_id}"
    )
    # globex keeps networks only: the moved row is reduced to its /24 at once
    assert moved == [(scene.globex_license, "203.0.113.0/24", "network")]
    assert scene.db(f"SELECT license_id FROM machines WHERE id = {machine_id}") == [
        (scene.globex_license,)
    ]
    [entry] = [e for e in await store.audit_recent(5) if e.entry.action == "dsr.correct"]
    assert entry.entry.details["from_org"] == scene.acme_org
    assert entry.entry.details["to_org"] == scene.globex_org
    assert (await store.audit_verify())[1] is None


async def test_a_machine_known_to_both_licenses_is_merged(scene: Scene) -> None:
    globex_key = scene.world.keys[scene.globex_license]
    await checkin_from(scene.world, globex_key, "198.51.100.4", "acme-subject-01")
    receipt = await scene.world.store.dsr_correct_machine(
        DSR_CTX, "acme-subject-01", scene.acme_license, scene.globex_license
    )
    assert receipt["tables"]["machines"]["merged"] and receipt["tables"]["machines"]["into"]
    assert scene.db("SELECT count(*) FROM machines WHERE fingerprint = 'acme-subject-01'") == [(1,)]


async def test_an_org_scoped_correction_cannot_reach_another_org(scene: Scene) -> None:
    scoped = dataclasses.replace(DSR_CTX, org_id=scene.acme_org)
    with pytest.raises(NotFound):
        await scene.world.store.dsr_correct_machine(
            scoped, "acme-subject-01", scene.acme_license, scene.globex_license
        )
    with pytest.raises(NotFound):
        await scene.world.store.dsr_correct_org(scoped, "globex", "Globex Inc")
    assert scene.db("SELECT license_id FROM machines WHERE fingerprint = 'acme-subject-01'") == [
        (scene.acme_license,)
    ]


async def test_an_organization_name_is_corrected_and_audited_without_names(
    scene: Scene,
) -> None:
    store = scene.world.store
    receipt = await store.dsr_correct_org(DSR_CTX, "acme", "  Acme   Limited ")
    assert receipt["tables"] == {"orgs": {"corrected": [scene.acme_org]}}
    assert [o.name for o in await store.list_orgs() if o.slug == "acme"] == ["Acme Limited"]
    [entry] = [e for e in await store.audit_recent(5) if e.entry.action == "dsr.correct"]
    assert entry.entry.target == f"org:{scene.acme_org}"
    assert "Acme" not in json.dumps(entry.entry.details)
    with pytest.raises(BadRequest):
        await store.dsr_correct_org(DSR_CTX, "acme", "   ")


async def test_a_dpo_corrects_through_the_console_and_scopes_a_request(scene: Scene) -> None:
    dana = await scene.world.logged_in("dana")
    form = {
        "what": "machine",
        "machine": "acme-subject-01",
        "from_license": str(scene.acme_license),
        "to_license": str(scene.globex_license),
        "justification": "data-subject request DSR-5",
    }
    page = await dana.post("/staff/dsr/correct", form)
    assert page.status == 200, await page.text()
    assert "corrected" in await page.text()
    assert scene.db("SELECT license_id FROM machines WHERE fingerprint = 'acme-subject-01'") == [
        (scene.globex_license,)
    ]
    bad = await dana.post("/staff/dsr/correct", {**form, "to_license": "x"})
    assert bad.status == 400
    scoped = await dana.post(
        "/staff/dsr",
        {
            "action": "export",
            "kind": "address",
            "value": "203.0.113.8",
            "org": "globex",
            "justification": "data-subject request DSR-6",
        },
    )
    assert scoped.status == 200 and "203.0.113.8" not in await scoped.text()
