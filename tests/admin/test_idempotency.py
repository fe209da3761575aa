"""Idempotency-Key: a retried POST gets the first answer, never a second license."""

import asyncio

from licmon.keys import SETTINGS, STORE
from tests.admin.conftest import Api, Staff, make_token

NEW = {"org": "acme", "product": "viewer", "seats": 1}


async def test_a_retry_returns_the_first_answer_and_no_second_license(staff: Staff) -> None:
    api, store = staff.admin, staff.world.client.app[STORE]
    first_status, first, first_response = await api.call(
        "POST", "/licenses", NEW, **{"Idempotency-Key": "order-1001"}
    )
    again_status, again, again_response = await api.call(
        "POST", "/licenses", NEW, **{"Idempotency-Key": "order-1001"}
    )
    assert first_status == again_status == 201
    assert again == first and again["key"] == first["key"]
    assert again_response.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first_response.headers
    assert len(await store.list_licenses()) == 1


async def test_concurrent_retries_make_one_license(staff: Staff) -> None:
    api, store = staff.admin, staff.world.client.app[STORE]
    answers = await asyncio.gather(
        *(api.call("POST", "/licenses", NEW, **{"Idempotency-Key": "burst"}) for _ in range(5))
    )
    statuses = sorted(status for status, _, _ in answers)
    assert len(await store.list_licenses()) == 1
    assert set(statuses) <= {201, 409} and 201 in statuses


async def test_the_same_key_with_another_body_is_refused(staff: Staff) -> None:
    api = staff.admin
    status, _ = await api.post("/licenses", NEW, **{"Idempotency-Key": "k-1"})
    assert status == 201
    status, answer = await api.post("/licenses", {**NEW, "seats": 7}, **{"Idempotency-Key": "k-1"})
    assert status == 422 and set(answer) == {"error", "message"}


async def test_keys_are_scoped_to_the_person_and_route(staff: Staff) -> None:
    store = staff.world.client.app[STORE]
    status, _ = await staff.admin.post("/licenses", NEW, **{"Idempotency-Key": "same"})
    assert status == 201
    status, _ = await staff.admin.post("/orgs", {"slug": "hooli"}, **{"Idempotency-Key": "same"})
    assert status == 201  # another route: another request
    bob = Api(staff.world, await make_token(store, "bob", "admin"))
    status, _ = await bob.post("/licenses", NEW, **{"Idempotency-Key": "same"})
    assert status == 201 and len(await store.list_licenses()) == 2


async def test_a_refused_request_keeps_no_answer_and_may_be_corrected(staff: Staff) -> None:
    api, body, key = staff.admin, {**NEW, "org": "newco"}, {"Idempotency-Key": "k-2"}
    status, _ = await api.post("/licenses", body, **key)
    assert status == 404
    status, _ = await api.post("/orgs", {"slug": "newco"})
    assert status == 201
    status, answer = await api.post("/licenses", body, **key)
    assert status == 201, answer


async def test_the_stored_answer_does_not_hold_the_key_in_clear(staff: Staff) -> None:
    api, path = staff.admin, staff.world.client.app[SETTINGS].database_path
    _, created = await api.post("/licenses", NEW, **{"Idempotency-Key": "order-7f3a9c"})
    raw = path.read_bytes()
    wal = path.with_name(path.name + "-wal")
    raw += wal.read_bytes() if wal.exists() else b""
    assert created["key"].encode() not in raw
    assert created["key"].replace("-", "").encode() not in raw
    assert b"order-7f3a9c" not in raw
    await staff.world.store.open()


async def test_a_bad_idempotency_key_is_a_clear_400(staff: Staff) -> None:
    status, answer = await staff.admin.post("/licenses", NEW, **{"Idempotency-Key": "x" * 300})
    assert status == 400 and "Idempotency-Key" in answer["message"]
