"""Protocol v1 against a live app: every outcome of a check-in and a release."""

import asyncio

import jwt
import pytest

from licmon.domain.models import LicenseStatus
from licmon.keys import INDEX
from tests.conftest import START, World, checkin_body
from tests.dbutil import rows


async def test_granted_answer_carries_a_lease_for_this_machine(world: World) -> None:
    key, lic = await world.add_license(seats=2, entitlements=("export",))
    status, body = await world.checkin(key)
    assert status == 200
    assert body["status"] == "granted" and body["renewed"] is False
    assert body["seats"] == 2 and body["seats_in_use"] == 1
    claims = jwt.decode(body["lease"], options={"verify_signature": False})
    assert claims["sub"] == str(lic.id)
    assert claims["machine"] == "machine-0001"
    assert claims["entitlements"] == ["export"]
    assert claims["exp"] == START + 1800


async def test_lease_verifies_with_pyjwt_against_the_jwks_and_echoes_the_nonce(
    world: World,
) -> None:
    key, _ = await world.add_license()
    request = checkin_body(key)
    response = await world.client.post("/v1/checkin", json=request)
    lease = (await response.json())["lease"]
    jwks = await (await world.client.get("/.well-known/jwks.json")).json()
    header = jwt.get_unverified_header(lease)
    assert header["alg"] == "EdDSA"
    jwk = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    public = jwt.PyJWK(jwk).key
    claims = jwt.decode(
        lease,
        public,
        algorithms=["EdDSA"],
        audience="viewer",
        issuer="licmon",
        options={"verify_exp": False, "verify_iat": False},
    )
    assert claims["nonce"] == request["nonce"]
    assert claims["grace_until"] == START + 3 * 86400


async def test_a_tampered_lease_does_not_verify(world: World) -> None:
    key, _ = await world.add_license()
    _, body = await world.checkin(key)
    jwks = await (await world.client.get("/.well-known/jwks.json")).json()
    public = jwt.PyJWK(jwks["keys"][0]).key
    head, payload, signature = body["lease"].split(".")
    forged = jwt.utils.base64url_encode(
        jwt.utils.base64url_decode(payload).replace(b'"seats":1', b'"seats":9')
    ).decode()
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(
            f"{head}.{forged}.{signature}",
            public,
            algorithms=["EdDSA"],
            options={"verify_aud": False, "verify_exp": False, "verify_iat": False},
        )


async def test_same_machine_renews_and_never_takes_a_second_seat(world: World) -> None:
    key, lic = await world.add_license(seats=2)
    await world.checkin(key)
    world.clock.advance(600)
    status, body = await world.checkin(key)
    assert status == 200 and body["renewed"] is True and body["seats_in_use"] == 1
    usage = await world.store.license_usage(lic.id)
    assert usage.seats_in_use == 1 and usage.machines == 1


async def test_seats_exhausted_then_free_again_after_release(world: World) -> None:
    key, _ = await world.add_license(seats=1)
    assert (await world.checkin(key, "machine-A-01"))[0] == 200
    status, body = await world.checkin(key, "machine-B-02")
    assert status == 403
    assert body["reason"] == "seats_exhausted" and body["seats_in_use"] == 1
    released = await world.client.post(
        "/v1/release", json={"key": key, "product": "viewer", "machine": "machine-A-01"}
    )
    assert released.status == 200 and (await released.json()) == {"status": "released"}
    assert (await world.checkin(key, "machine-B-02"))[0] == 200


async def test_an_expired_lease_frees_its_seat(world: World) -> None:
    key, _ = await world.add_license(seats=1, lease_seconds=300)
    await world.checkin(key, "machine-A-01")
    world.clock.advance(299)
    assert (await world.checkin(key, "machine-B-02"))[1]["reason"] == "seats_exhausted"
    world.clock.advance(302)  # machine A's lease (renewed at no point) has now ended
    status, body = await world.checkin(key, "machine-B-02")
    assert status == 200 and body["seats_in_use"] == 1


@pytest.mark.parametrize(
    ("terms", "status", "reason"),
    [
        ({"valid_until": START - 1}, None, "expired"),
        ({"valid_from": START + 86400}, None, "not_yet_valid"),
        ({}, LicenseStatus.REVOKED, "revoked"),
        ({}, LicenseStatus.SUSPENDED, "suspended"),
    ],
)
async def test_each_license_denial(
    world: World, terms: dict[str, int], status: LicenseStatus | None, reason: str
) -> None:
    key, lic = await world.add_license(**terms)
    if status is not None:
        await world.store.set_license_status(lic.id, status)
        await world.client.app[INDEX].refresh(world.store)
    code, body = await world.checkin(key)
    assert code == 403
    assert body["status"] == "denied" and body["reason"] == reason
    assert body["error"] == "denied" and body["message"]
    assert "lease" not in body


async def test_product_mismatch(world: World) -> None:
    key, _ = await world.add_license(product="editor")
    code, body = await world.checkin(key, product="viewer")
    assert (code, body["reason"]) == (403, "product_mismatch")


@pytest.mark.parametrize("key", ["LM-AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-AAAAA", "nonsense", "x" * 64])
async def test_one_uniform_answer_for_every_unknown_or_malformed_key(
    world: World, key: str
) -> None:
    await world.add_license()
    code, body = await world.checkin(key)
    assert code == 403
    assert body == {
        "status": "denied",
        "reason": "invalid_key",
        "error": "denied",
        "message": "The license key is not valid.",
    }


async def test_key_is_found_whatever_its_case_and_separators(world: World) -> None:
    key, _ = await world.add_license()
    sloppy = key.lower().replace("-", " ")
    assert (await world.checkin(sloppy))[0] == 200


async def test_concurrent_checkins_racing_for_the_last_seats_never_exceed_them(
    world: World,
) -> None:
    key, lic = await world.add_license(seats=3)
    results = await asyncio.gather(*(world.checkin(key, f"machine-{i:04d}") for i in range(40)))
    granted = [body for status, body in results if status == 200]
    assert len(granted) == 3
    assert all(body["reason"] == "seats_exhausted" for status, body in results if status == 403)
    assert (await world.store.license_usage(lic.id)).seats_in_use == 3


async def test_release_with_an_unknown_key_is_the_uniform_refusal(world: World) -> None:
    response = await world.client.post(
        "/v1/release", json={"key": "LM-nothing", "product": "viewer", "machine": "machine-0001"}
    )
    assert response.status == 403 and (await response.json())["reason"] == "invalid_key"


async def test_every_checkin_writes_one_connection_row_per_machine_address_and_day(
    world: World,
) -> None:
    key, _lic = await world.add_license(seats=2)
    for _ in range(5):
        await world.checkin(key)
    await world.checkin(key, "machine-0002")
    world.clock.advance(86400)
    await world.checkin(key)
    rows = _rows(
        world,
        "SELECT machine_id, day, address, checkins, purpose, retain_until "
        "FROM connections ORDER BY id",
    )
    assert [(r[1], r[2], r[3]) for r in rows] == [
        ("2026-11-18", "127.0.0.1", 5),
        ("2026-11-18", "127.0.0.1", 1),
        ("2026-11-19", "127.0.0.1", 1),
    ]
    assert {r[4] for r in rows} == {"license.enforcement.checkin"}
    assert rows[0][5] == 1_794_960_000 + 86400 * 60  # start of the UTC day + 60 days


async def test_network_precision_keeps_only_the_network(world: World) -> None:
    key, _ = await world.add_license(org="globex")
    await world.checkin(key)
    assert _rows(world, "SELECT address, precision FROM connections") == [
        ("127.0.0.0/24", "network")
    ]


async def test_denied_checkins_are_logged_as_denials(world: World) -> None:
    key, _lic = await world.add_license(valid_until=START - 10)
    await world.checkin(key)
    assert _rows(world, "SELECT checkins, denials FROM connections") == [(0, 1)]


async def test_jwks_health_and_readiness(world: World) -> None:
    jwks = await (await world.client.get("/.well-known/jwks.json")).json()
    assert jwks["keys"][0]["kty"] == "OKP" and jwks["keys"][0]["crv"] == "Ed25519"
    assert (await world.client.get("/healthz")).status == 200
    ready = await world.client.get("/readyz")
    assert ready.status == 200
    assert (await ready.json())["checks"]["store"] == "writable"


async def test_openapi_describes_exactly_the_routes_the_app_serves(world: World) -> None:
    spec = await (await world.client.get("/openapi.json")).json()
    served = {r.resource.canonical for r in world.client.app.router.routes() if r.resource}
    console_pages = {p for p in served if p.startswith("/staff") and not p.startswith("/staff/api")}
    assert set(spec["paths"]) == served - console_pages  # HTML pages are not the API


def _rows(world: World, sql: str) -> list[tuple[object, ...]]:
    return rows(world.store.path, sql)  # type: ignore[attr-defined]


async def test_an_unknown_key_is_answered_after_a_commit_like_a_known_one(world: World) -> None:
    await world.add_license()
    writer = world.store.writer  # type: ignore[attr-defined]
    before = writer.stats.commands
    assert (await world.checkin("LM-AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-AAAAA"))[0] == 403
    assert writer.stats.commands == before + 1
