"""Tokens, scopes, roles and the organization scope on the admin API."""

from tests.admin.conftest import Api, Staff
from tests.conftest import checkin_body

NEW = {"org": "acme", "product": "viewer", "seats": 1}


async def test_no_token_or_a_wrong_one_is_401(staff: Staff) -> None:
    client = staff.world.client
    for headers in ({}, {"Authorization": "Bearer lmt_nothing"}, {"Authorization": "Basic x"}):
        response = await client.get("/v1/admin/licenses", headers=headers)
        assert response.status == 401
        assert set(await response.json()) == {"error", "message"}


async def test_a_write_outside_the_tokens_scopes_is_403(staff: Staff) -> None:
    status, answer = await staff.reader.post("/licenses", NEW)
    assert status == 403 and "licenses:write" in answer["message"]
    status, _ = await staff.reader.get("/licenses")
    assert status == 200
    status, answer = await staff.reader.post("/orgs", {"slug": "x-corp"})
    assert status == 403


async def test_roles_apply_as_in_the_console(staff: Staff) -> None:
    status, _ = await staff.support.post("/licenses", NEW)
    assert status == 403  # support sees licenses, issues none
    status, _ = await staff.customer.post("/licenses", NEW)
    assert status == 403
    _, lic = await staff.admin.post("/licenses", NEW)
    status, _ = await staff.customer.post(f"/licenses/{lic['id']}/suspend", {"reason": "mine"})
    assert status == 403


async def test_a_customer_token_sees_only_its_organization(staff: Staff) -> None:
    admin, customer = staff.admin, staff.customer
    _, ours = await admin.post("/licenses", NEW)
    _, theirs = await admin.post("/licenses", {**NEW, "org": "globex"})
    status, listed = await customer.get("/licenses")
    assert status == 200 and [item["id"] for item in listed["items"]] == [ours["id"]]
    status, listed = await customer.get("/licenses?org=globex")
    assert status == 200 and listed["items"] == []
    for path in (f"/licenses/{theirs['id']}", f"/licenses/{theirs['id']}/machines"):
        status, answer = await customer.get(path)
        assert status == 404, path
        status, nothing = await customer.get(path.replace(str(theirs["id"]), "987654"))
        assert (status, nothing) == (404, answer)  # the same as a license that does not exist
    status, orgs = await customer.get("/orgs")
    assert [org["slug"] for org in orgs["items"]] == ["acme"]


async def test_customer_self_service_deactivates_only_its_own_machines(staff: Staff) -> None:
    admin, customer, client = staff.admin, staff.customer, staff.world.client
    _, ours = await admin.post("/licenses", NEW)
    _, theirs = await admin.post("/licenses", {**NEW, "org": "globex"})
    for lic in (ours, theirs):
        response = await client.post("/v1/checkin", json=checkin_body(lic["key"], "machine-0001"))
        assert response.status == 200
    _, machines = await admin.get(f"/licenses/{theirs['id']}/machines")
    foreign = machines["items"][0]["id"]
    status, _, _ = await customer.call(
        "DELETE", f"/licenses/{theirs['id']}/machines/{foreign}?reason=not+mine"
    )
    assert status == 404
    status, machines = await customer.get(f"/licenses/{ours['id']}/machines")
    assert status == 200 and machines["items"][0]["seat"] == "online"
    own = machines["items"][0]["id"]
    status, answer, _ = await customer.call("DELETE", f"/licenses/{ours['id']}/machines/{own}")
    assert status == 400 and "reason" in answer["message"]
    status, freed, _ = await customer.call(
        "DELETE", f"/licenses/{ours['id']}/machines/{own}?reason=retired+laptop"
    )
    assert status == 200 and freed["seat"] is None
    status, shown = await customer.get(f"/licenses/{ours['id']}")
    assert shown["usage"]["seats_in_use"] == 0


async def test_answers_carry_no_key_hash_address_or_token(staff: Staff) -> None:
    admin, client = staff.admin, staff.world.client
    _, lic = await admin.post("/licenses", NEW)
    await client.post(
        "/v1/checkin",
        json=checkin_body(lic["key"], "machine-0001"),
        headers={"X-Forwarded-For": "198.51.100.77"},
    )
    texts = []
    for path in ("/licenses", f"/licenses/{lic['id']}", f"/licenses/{lic['id']}/machines"):
        response = await client.get("/v1/admin" + path, headers=admin.headers())
        assert response.headers["Cache-Control"] == "no-store"
        texts.append(await response.text())
    for text in texts:
        assert lic["key"] not in text and "key_hash" not in text
        assert "198.51.100" not in text and "127.0.0.1" not in text
        assert admin.token not in text


async def test_another_api_is_not_a_way_round_the_scope(staff: Staff) -> None:
    """A read-only token may not write through any admin route."""
    api: Api = staff.reader
    _, lic = await staff.admin.post("/licenses", NEW)
    for method, path, body in [
        ("PATCH", f"/licenses/{lic['id']}", {"seats": 9}),
        ("POST", f"/licenses/{lic['id']}/revoke", {"reason": "reader"}),
        ("DELETE", f"/licenses/{lic['id']}/machines/1?reason=reader", None),
        ("POST", "/products", {"code": "x"}),
    ]:
        status, _, _ = await api.call(method, path, body)
        assert status == 403, (method, path)
