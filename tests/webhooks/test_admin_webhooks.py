"""/v1/admin/webhooks against a live server: the secret shown once, scopes and roles,
strict bodies, deliveries listed by cursor, redelivery, idempotent creation."""

import logging
from typing import Any

import pytest

from licmon.domain import webhooks
from tests.admin.conftest import Api, Staff, make_token
from tests.webhooks.conftest import HOOKS_SCOPES, Receiver, eventually

NEW_LICENSE = {"org": "acme", "product": "viewer", "seats": 2}


async def created(api: Api, url: str, *events: str) -> dict[str, Any]:
    status, body = await api.post("/webhooks", {"url": url, "events": list(events)})
    assert status == 201, body
    return body


async def deliveries(api: Api, webhook_id: int, query: str = "") -> dict[str, Any]:
    status, body = await api.get(f"/webhooks/{webhook_id}/deliveries{query}")
    assert status == 200, body
    return body


async def test_an_endpoint_is_created_with_its_secret_once_then_receives_signed_events(
    staff: Staff, hooks: Api, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api = hooks
    hook = await created(api, receiver.url, webhooks.LICENSE_CREATED, webhooks.LICENSE_REVOKED)
    secret = hook["secret"]
    assert secret.startswith("whsec_") and hook["events"] == ["license.created", "license.revoked"]
    status, listed = await api.get("/webhooks")
    assert status == 200 and [h["id"] for h in listed["items"]] == [hook["id"]]
    status, shown = await api.get(f"/webhooks/{hook['id']}")
    assert status == 200 and "secret" not in shown and "secret" not in str(listed)

    status, lic = await api.post("/licenses", NEW_LICENSE)
    assert status == 201
    status, _ = await api.post(f"/licenses/{lic['id']}/revoke", {"reason": "refunded"})
    assert status == 200

    async def both() -> bool:
        return len(receiver.received) == 2

    await eventually(both, "two deliveries")
    bodies = receiver.verified(secret)
    assert [b["type"] for b in bodies] == ["license.created", "license.revoked"]
    assert {b["data"]["license"] for b in bodies} == {lic["id"]}
    listed_deliveries = await deliveries(api, hook["id"])
    assert [d["event"] for d in listed_deliveries["items"]] == [
        "license.revoked",
        "license.created",
    ]
    assert all(d["status"] == "delivered" for d in listed_deliveries["items"])

    logged = "\n".join(record.getMessage() + str(record.__dict__) for record in caplog.records)
    assert secret not in logged and secret[6:] not in logged
    audit = await staff.world.store.audit_recent(50, target=f"webhook:{hook['id']}")
    assert audit and secret[6:] not in str([e.entry for e in audit])


async def test_disable_enable_and_delete(hooks: Api, receiver: Receiver) -> None:
    api = hooks
    hook = await created(api, receiver.url, webhooks.LICENSE_CREATED)
    status, off = await api.post(f"/webhooks/{hook['id']}/disable", {})
    assert status == 200 and off["enabled"] is False
    assert (await api.post("/licenses", NEW_LICENSE))[0] == 201
    status, on = await api.post(f"/webhooks/{hook['id']}/enable", {})
    assert status == 200 and on["enabled"] is True
    assert (await deliveries(api, hook["id"]))["items"] == []  # nothing while disabled
    status, gone, _ = await api.call("DELETE", f"/webhooks/{hook['id']}")
    assert status == 200 and gone == {"id": hook["id"], "deleted": True}
    status, missing = await api.get(f"/webhooks/{hook['id']}")
    assert status == 404 and missing["error"] == "not_found"


async def test_writes_need_the_webhooks_scope_and_a_vendor_administrator(
    staff: Staff, hooks: Api, receiver: Receiver
) -> None:
    body = {"url": receiver.url, "events": ["license.created"]}
    status, refused = await staff.admin.post("/webhooks", body)  # read,licenses:write
    assert status == 403 and "webhooks:write" in refused["message"]
    hook = await created(hooks, receiver.url, webhooks.LICENSE_CREATED)
    assert (await staff.reader.get("/webhooks"))[0] == 200  # reading needs only read
    assert (await staff.reader.post(f"/webhooks/{hook['id']}/disable", {}))[0] == 403
    store = staff.world.store
    for username, role, org in (("cleo", "customer", "acme"), ("sam", "support", None)):
        scoped = Api(staff.world, await make_token(store, username, role, HOOKS_SCOPES, org))
        assert (await scoped.post("/webhooks", body))[0] == 403
        assert (await scoped.get("/webhooks"))[0] == 403
        assert (await scoped.get(f"/webhooks/{hook['id']}/deliveries"))[0] == 403
    assert (await Api(staff.world, "lmt_not-a-token").get("/webhooks"))[0] == 401
    assert [h.id for h in await store.list_webhooks()] == [hook["id"]]


@pytest.mark.parametrize(
    ("body", "word"),
    [
        ({"url": "http://127.0.0.1:9/x", "events": ["license.exploded"]}, "Unknown event"),
        ({"url": "http://127.0.0.1:9/x", "events": []}, "at least one"),
        ({"url": "http://127.0.0.1:9/x", "events": "license.created"}, "list"),
        ({"url": "ftp://127.0.0.1/x", "events": ["license.created"]}, "absolute"),
        ({"url": "http://u:p@127.0.0.1/x", "events": ["license.created"]}, "credentials"),
        ({"url": "http://127.0.0.1/x", "events": ["license.created"], "x": 1}, "Unknown field"),
        ({"events": ["license.created"]}, "Missing"),
        ([], "object"),
    ],
)
async def test_bad_bodies_are_clear_400s_that_create_nothing(
    staff: Staff, hooks: Api, body: Any, word: str
) -> None:
    status, answer = await hooks.post("/webhooks", body)
    assert status == 400 and answer["error"] == "bad_request" and word in answer["message"]
    assert await staff.world.store.list_webhooks() == []


async def test_deliveries_page_by_cursor_and_filter_by_status(
    staff: Staff, hooks: Api, receiver: Receiver
) -> None:
    api = hooks
    hook = await created(api, receiver.url, webhooks.LICENSE_CREATED)
    for _ in range(3):
        assert (await api.post("/licenses", NEW_LICENSE))[0] == 201

    async def all_delivered() -> bool:
        rows = await staff.world.store.list_webhook_deliveries(hook["id"])
        return len(rows) == 3 and all(r.status.value == "delivered" for r in rows)

    await eventually(all_delivered, "three deliveries")
    first = await deliveries(api, hook["id"], "?limit=2")
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = await deliveries(api, hook["id"], f"?limit=2&cursor={first['next_cursor']}")
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    ids = [d["id"] for d in first["items"] + rest["items"]]
    assert ids == sorted(ids, reverse=True)
    assert (await deliveries(api, hook["id"], "?status=failed"))["items"] == []
    status, bad = await api.get(f"/webhooks/{hook['id']}/deliveries?status=lost")
    assert status == 400 and "status" in bad["message"]


async def test_a_delivery_is_sent_again_by_hand_with_the_same_webhook_id(
    staff: Staff, hooks: Api, receiver: Receiver
) -> None:
    api = hooks
    hook = await created(api, receiver.url, webhooks.LICENSE_CREATED)
    assert (await api.post("/licenses", NEW_LICENSE))[0] == 201

    async def delivered(count: int) -> Any:
        async def check() -> bool:
            return len(receiver.received) == count

        return check

    await eventually(await delivered(1), "the first delivery")
    (item,) = (await deliveries(api, hook["id"]))["items"]
    status, again = await api.post(f"/webhooks/{hook['id']}/deliveries/{item['id']}/redeliver", {})
    assert (
        status == 202 and again["status"] == "pending" and again["webhook_id"] == item["webhook_id"]
    )
    await eventually(await delivered(2), "the second delivery")
    assert {r.headers["webhook-id"] for r in receiver.received} == {item["webhook_id"]}
    other = await created(api, receiver.url, webhooks.LICENSE_REVOKED)
    status, _ = await api.post(f"/webhooks/{other['id']}/deliveries/{item['id']}/redeliver", {})
    assert status == 404


async def test_a_retried_creation_with_an_idempotency_key_makes_one_endpoint(
    staff: Staff, hooks: Api, receiver: Receiver
) -> None:
    body = {"url": receiver.url, "events": ["license.created"]}
    first = await hooks.post("/webhooks", body, **{"Idempotency-Key": "hook-1"})
    second = await hooks.post("/webhooks", body, **{"Idempotency-Key": "hook-1"})
    assert first[0] == second[0] == 201 and first[1] == second[1]
    assert len(await staff.world.store.list_webhooks()) == 1
