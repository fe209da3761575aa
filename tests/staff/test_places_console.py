"""Known places in the console and the token API (issue 15): staff who decide flags declare
and withdraw them (audited), everyone who sees licenses sees them (a customer its own), and
the running detectors use a declared place at once."""

import json

from licmon.domain.scopes import LICENSES_WRITE, READ
from licmon.domain.sessions import new_api_token, token_hash
from licmon.keys import ABUSE
from tests.staff.conftest import StaffWorld
from tests.staff.fixtures import build_scene
from tests.staff.test_pages import audit

VPN = "203.0.113.0/24"


async def write_token(world: StaffWorld, username: str, scopes: str) -> str:
    secret = new_api_token()
    await world.store.add_api_token(
        username, "places", token_hash(secret), None, actor="cli:t", scopes=scopes
    )
    return secret


async def test_declare_list_and_withdraw_in_the_console(sworld: StaffWorld) -> None:
    scene = await build_scene(sworld)
    analyst = await scene.browser("analyst")
    page = await (await analyst.get("/staff/places")).text()
    assert "No known places." in page and "Declare a place" in page
    added = await analyst.post(
        "/staff/places", {"org": "acme", "network": VPN, "kind": "vpn", "label": "Acme VPN"}
    )
    assert added.status == 303
    monitor = sworld.client.app[ABUSE]
    assert len(monitor.places) == 1  # the detectors know it at once
    listed = await (await analyst.get("/staff/places")).text()
    assert VPN in listed and "Acme VPN" in listed and "VPN egress" in listed
    bad = await analyst.post("/staff/places", {"org": "acme", "network": "10.0.0.0/4"})
    bad_text = await bad.text()
    assert bad.status == 400 and "too wide" in bad_text, bad_text[bad_text.find("<main>") :][:600]
    twice = await analyst.post("/staff/places", {"org": "acme", "network": VPN, "kind": "vpn"})
    assert twice.status == 409
    (entry,) = audit(sworld, "place.add")
    assert entry[0] == sworld.users["analyst"].actor and VPN not in json.dumps(entry)
    gone = await analyst.post("/staff/places/remove", {"org": "acme", "network": VPN})
    assert gone.status == 303 and len(monitor.places) == 0
    assert VPN not in await (await analyst.get("/staff/places")).text()


async def test_customers_see_their_own_places_and_change_none(sworld: StaffWorld) -> None:
    scene = await build_scene(sworld)
    await sworld.store.add_place("acme", VPN, "vpn", "acme vpn", actor="cli:t")
    await sworld.store.add_place("globex", "198.18.7.0/24", "office", "globex hq", actor="cli:t")
    customer = await scene.browser("customer")
    page = await (await customer.get("/staff/places")).text()
    assert VPN in page and "198.18.7.0/24" not in page and "Declare a place" not in page
    refused = await customer.post("/staff/places", {"org": "acme", "network": "192.0.2.0/24"})
    assert refused.status == 403
    support = await scene.browser("support")
    seen = await (await support.get("/staff/places")).text()
    assert "198.18.7.0/24" in seen and "Withdraw" not in seen
    assert len(await sworld.store.list_places()) == 2


async def test_the_token_api(sworld: StaffWorld) -> None:
    scene = await build_scene(sworld)
    client = sworld.client
    writer = await write_token(sworld, "analyst", f"{READ},{LICENSES_WRITE}")
    auth = {"Authorization": f"Bearer {writer}"}
    body = {"org": "acme", "network": VPN, "kind": "vpn", "label": "Acme VPN"}
    created = await client.post("/staff/api/places", json=body, headers=auth)
    assert created.status == 201, await created.text()
    assert await created.json() == body
    assert len(client.app[ABUSE].places) == 1
    listed = await client.get("/staff/api/places?org=acme", headers=auth)
    assert await listed.json() == [body]
    for wrong, message in (
        ({"org": "acme"}, "Missing field(s): network"),
        ({"org": "acme", "network": "  "}, "not blank"),
        ({"org": "acme", "network": VPN, "label": 7}, "'label' must be a string"),
        ({"org": "acme", "network": VPN, "colour": "red"}, "Unknown field"),
        ({"org": "acme", "network": "nonsense"}, "CIDR"),
        ([1, 2], "JSON object"),
    ):
        answer = await client.post("/staff/api/places", json=wrong, headers=auth)
        problem = await answer.json()
        assert answer.status == 400 and message in problem["message"], problem
    reader = {"Authorization": f"Bearer {scene.tokens['analyst']}"}  # read scope only
    assert (await client.post("/staff/api/places", json=body, headers=reader)).status == 403
    customer = {"Authorization": f"Bearer {scene.tokens['customer']}"}
    assert await (await client.get("/staff/api/places", headers=customer)).json() == [body]
    other = {"Authorization": f"Bearer {scene.tokens['globex-customer']}"}
    assert await (await client.get("/staff/api/places", headers=other)).json() == []
    removed = await client.delete(f"/staff/api/places?org=acme&network={VPN}", headers=auth)
    assert removed.status == 204
    assert await (await client.get("/staff/api/places", headers=auth)).json() == []
    missing = await client.delete(f"/staff/api/places?org=acme&network={VPN}", headers=auth)
    assert missing.status == 404 and "error" in await missing.json()
