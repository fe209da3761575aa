"""Bad input on every endpoint: a clear 4xx JSON error, nothing written, still serving."""

import asyncio
import json
import sqlite3
from typing import Any

import pytest

from licmon.config import Settings
from tests.conftest import World, checkin_body
from tests.dbutil import count

GOOD = {"product": "viewer", "machine": "machine-0001", "nonce": "A" * 22}


def _with(**changes: Any) -> dict[str, Any]:
    return {"key": "LM-x", **GOOD, **changes}


SHAPE_ERRORS = [
    ("not json", b"{bad", "not valid JSON"),
    ("not utf-8", b'{"key": "\xff\xfe"}', "UTF-8"),
    ("array", b"[]", "JSON object"),
    ("null", b"null", "JSON object"),
    ("NaN", b'{"key": NaN}', "not valid JSON"),
    ("huge number", b'{"key": 1' + b"0" * 5000 + b"}", "too large"),
    ("deep nesting", b"[" * 6000 + b"]" * 6000, "nested too deeply"),
    ("missing fields", json.dumps({"key": "LM-x"}).encode(), "Missing field"),
    ("extra field", json.dumps({**_with(admin=True)}).encode(), "Unknown field"),
]

CHECKIN_FIELD_ERRORS = [
    ("key not a string", _with(key=12345), "'key' must be a string"),
    ("machine a list", _with(machine=["a"]), "'machine'"),
    ("machine too short", _with(machine="abc"), "'machine'"),
    ("machine with NUL", _with(machine="abc\u0000defghij"), "'machine'"),
    ("emoji product", _with(product="vi\U0001f600ewer"), "'product'"),
    ("RTL override", _with(machine="abc\u202edefghij"), "'machine'"),
    ("nonce too short", _with(nonce="AAAA"), "'nonce'"),
    ("nonce not base64", _with(nonce="!" * 24), "'nonce'"),
    ("client_time garbage", _with(client_time="yesterday"), "ISO 8601"),
    ("client_time naive", _with(client_time="2026-11-23T05:00:00"), "time zone"),
    ("client_time number", _with(client_time=1e308), "must be a string"),
    ("app_version huge int", _with(app_version=10**30), "must be a string"),
]
LONE_SURROGATE = (
    b'{"key":"LM-x","product":"viewer","machine":"\\ud800abcdefgh",'
    b'"nonce":"AAAAAAAAAAAAAAAAAAAAAA"}'
)


@pytest.mark.parametrize(("name", "raw", "message"), SHAPE_ERRORS, ids=[b[0] for b in SHAPE_ERRORS])
@pytest.mark.parametrize("path", ["/v1/checkin", "/v1/release"])
async def test_malformed_bodies_are_refused_clearly(
    world: World, path: str, name: str, raw: bytes, message: str
) -> None:
    await _expect_400(world, path, raw, message)


@pytest.mark.parametrize(
    ("name", "body", "message"), CHECKIN_FIELD_ERRORS, ids=[b[0] for b in CHECKIN_FIELD_ERRORS]
)
async def test_bad_checkin_fields_are_refused_clearly(
    world: World, name: str, body: dict[str, Any], message: str
) -> None:
    await _expect_400(world, "/v1/checkin", json.dumps(body).encode(), message)


async def test_a_lone_surrogate_is_refused(world: World) -> None:
    await _expect_400(world, "/v1/checkin", LONE_SURROGATE, "'machine'")


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
async def test_extreme_client_times_are_answered_not_crashed_on(world: World, when: str) -> None:
    key, _ = await world.add_license()
    status, _ = await world.checkin(key, client_time=when)
    assert status == 200


async def test_a_very_long_key_is_just_an_invalid_key(world: World) -> None:
    assert await world.checkin("L" * 10_000) == (
        403,
        {
            "status": "denied",
            "reason": "invalid_key",
            "error": "denied",
            "message": "The license key is not valid.",
        },
    )


async def test_release_refuses_checkin_only_fields(world: World) -> None:
    await _expect_400(world, "/v1/release", json.dumps(_with()).encode(), "Unknown field")


async def _expect_400(world: World, path: str, raw: bytes, message: str) -> None:
    key, _ = await world.add_license()
    response = await world.client.post(path, data=raw, headers={"Content-Type": "application/json"})
    body = await response.json()
    assert response.status == 400
    assert set(body) == {"error", "message"} and body["error"] == "bad_request"
    assert message in body["message"]
    assert _count(world, "connections") == 0 and _count(world, "machines") == 0
    assert (await world.checkin(key))[0] == 200  # and the server keeps serving


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1"],
)
async def test_wrong_content_type_is_415(world: World, content_type: str) -> None:
    response = await world.client.post(
        "/v1/checkin", data=json.dumps(checkin_body("LM-x")), headers={"Content-Type": content_type}
    )
    assert response.status == 415
    assert (await response.json())["error"] == "unsupported_media_type"


async def test_oversized_body_is_413(world: World) -> None:
    huge = json.dumps(checkin_body("LM-x", app_version="x" * 20_000))
    response = await world.client.post(
        "/v1/checkin", data=huge, headers={"Content-Type": "application/json"}
    )
    assert response.status == 413
    assert (await response.json())["error"] == "payload_too_large"


async def test_unknown_path_and_wrong_method_answer_json(world: World) -> None:
    missing = await world.client.get("/v2/checkin")
    assert missing.status == 404 and (await missing.json())["error"] == "not_found"
    wrong = await world.client.get("/v1/checkin")
    assert wrong.status == 405 and (await wrong.json())["error"] == "method_not_allowed"
    assert "POST" in wrong.headers["Allow"]


async def test_a_failing_store_command_is_rolled_back_alone(world: World) -> None:
    key, _lic = await world.add_license(seats=5)

    def explode(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO products (code, name, created_at) VALUES ('half', 'x', 0)")
        raise RuntimeError("boom")

    store = world.store
    results = await asyncio.gather(
        store._write(explode), world.checkin(key), return_exceptions=True
    )
    assert isinstance(results[0], RuntimeError)
    assert results[1][0] == 200
    assert [p.code for p in await store.list_products()] == ["editor", "viewer"]


def test_settings_fixture_is_isolated(settings: Settings) -> None:
    assert settings.data_dir.name == "data"


def _count(world: World, table: str) -> int:
    return count(world.store.path, table)  # type: ignore[attr-defined]


async def test_an_unexpected_error_in_a_batch_fails_its_callers_and_the_writer_goes_on(
    world: World,
) -> None:
    key, _ = await world.add_license(seats=5)
    writer = world.store.writer  # type: ignore[attr-defined]
    real_apply = writer._apply

    async def broken_apply(conn: sqlite3.Connection, op: object, bulk: bool) -> object:
        raise RuntimeError("executor gone")

    writer._apply = broken_apply
    try:
        status, body = await asyncio.wait_for(world.checkin(key), 5)  # never left hanging
    finally:
        writer._apply = real_apply
    assert status == 500 and body["error"] == "internal_error"
    assert (await world.checkin(key))[0] == 200
