"""Answers that must not be believed: tampered, signed by another key, replayed, forged."""

import base64
import hashlib
import hmac
import json
import logging
from pathlib import Path
from typing import Any

import jwt
import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from licmon.app import create_app
from licmon.client import State
from licmon.config import Settings
from licmon.datadir import DataDir
from licmon.domain import license_keys
from licmon.domain.models import IpPrecision, LicenseTerms
from licmon.keys import INDEX, KEYRING, STORE
from tests.client.conftest import url_of
from tests.conftest import World


async def test_a_tampered_lease_is_rejected_and_never_saved(
    world: World, new_client: Any, relay: Any, state_dir: Path, caplog: Any
) -> None:
    key, _ = await world.add_license(seats=1)

    async def tamper(request: web.Request) -> web.Response:
        answer = await world.client.post("/v1/checkin", json=await request.json())
        body = await answer.json()
        head, payload, signature = body["lease"].split(".")
        claims = json.loads(_unb64(payload))
        claims["seats"] = 999
        body["lease"] = ".".join([head, _b64(json.dumps(claims).encode()), signature])
        return web.json_response(body)

    client = new_client(key, server=url_of(await relay(tamper)))
    with caplog.at_level(logging.WARNING, "licmon.client"):
        status = await client.checkin()
    assert status.state is State.UNLICENSED
    assert "could not be verified" in status.message and "signature" in status.message
    assert "rejected" in caplog.text and key not in caplog.text
    assert not (state_dir / "lease-viewer.json").exists()


async def test_a_rejected_answer_leaves_a_valid_lease_on_grace(
    world: World, new_client: Any, relay: Any
) -> None:
    key, _ = await world.add_license()
    await new_client(key).checkin()

    async def forged(request: web.Request) -> web.Response:
        return web.json_response({"status": "granted", "lease": "not.a.lease"})

    status = await new_client(key, server=url_of(await relay(forged))).checkin()
    assert status.state is State.OFFLINE and "could not be verified" in status.message


async def test_a_lease_signed_by_another_key_is_rejected(
    world: World, new_client: Any, fake_licmon: Any
) -> None:
    key, _ = await world.add_license()
    fake = await fake_licmon(key)
    status = await new_client(key, server=url_of(fake)).checkin()
    assert status.state is State.UNLICENSED
    assert "a key this program does not trust" in status.message


async def test_keys_trusted_on_first_use_stay_pinned(
    world: World, new_client: Any, fake_licmon: Any, relay: Any, state_dir: Path
) -> None:
    key, _ = await world.add_license()
    first = new_client(key, trusted_keys=None, server=url_of(await relay()))
    assert (await first.checkin()).licensed
    pinned = json.loads((state_dir / "trusted-keys-viewer.json").read_text())
    assert pinned == world.client.app[KEYRING].jwks()
    fake = await fake_licmon(key)
    status = await new_client(key, trusted_keys=None, server=url_of(fake)).checkin()
    assert status.state is State.OFFLINE  # the fake's lease is refused; the real one serves
    assert "does not trust" in status.message


async def test_a_replayed_answer_fails_the_nonce_check(
    world: World, new_client: Any, relay: Any
) -> None:
    key, _ = await world.add_license()
    recorded: list[Any] = []

    async def replay(request: web.Request) -> web.Response:
        if not recorded:
            answer = await world.client.post("/v1/checkin", json=await request.json())
            recorded.append(await answer.json())
        return web.json_response(recorded[0])

    client = new_client(key, server=url_of(await relay(replay)))
    first = await client.checkin()
    assert first.state is State.LICENSED and first.lease is not None
    second = await client.checkin()
    assert second.state is State.OFFLINE and "answers another request" in second.message
    assert second.lease == first.lease  # the program goes on with the lease it verified


@pytest.mark.parametrize("forgery", ["none", "hs256_with_public_key", "fresh_ed25519_no_kid"])
async def test_a_fake_server_cannot_mint_a_lease(
    world: World, new_client: Any, relay: Any, forgery: str
) -> None:
    key, _ = await world.add_license()

    async def mint(request: web.Request) -> web.Response:
        sent = await request.json()
        claims = {
            "iss": "licmon",
            "sub": "1",
            "aud": "viewer",
            "machine": sent["machine"],
            "nonce": sent["nonce"],
            "iat": int(world.clock()),
            "exp": int(world.clock()) + 3600,
            "grace_until": int(world.clock()) + 86400,
        }
        return web.json_response({"status": "granted", "lease": _forge(world, claims, forgery)})

    status = await new_client(key, server=url_of(await relay(mint))).checkin()
    assert status.state is State.UNLICENSED and "could not be verified" in status.message


# -- helpers


@pytest.fixture
def fake_licmon(world: World, aiohttp_server: Any, tmp_path: Path) -> Any:
    """Another real licmon, with its own signing key, that knows the same license key."""

    async def start(key: str) -> Any:
        settings = Settings(data_dir=tmp_path / "fake", sqlite_synchronous="NORMAL")
        server = await aiohttp_server(create_app(settings, clock=world.clock))
        store = server.app[STORE]
        await store.add_org("acme", "Acme", IpPrecision.FULL, 60)
        await store.add_product("viewer", "Viewer")
        pepper = DataDir(settings.data_dir).pepper()
        terms = LicenseTerms(seats=1, max_machines=1)
        await store.add_license("acme", "viewer", terms, license_keys.key_hash(pepper, key))
        await server.app[INDEX].refresh(store)
        return server

    return start


def _forge(world: World, claims: dict[str, Any], forgery: str) -> str:
    if forgery == "none":
        return jwt.encode(claims, None, algorithm="none")
    if forgery == "hs256_with_public_key":
        x = world.client.app[KEYRING].jwks()["keys"][0]["x"]
        return _hs256(claims, x.encode())
    return jwt.encode(claims, Ed25519PrivateKey.generate(), algorithm="EdDSA")


def _hs256(claims: dict[str, Any], secret: bytes) -> str:
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = _b64(json.dumps(claims).encode())
    signature = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(signature)}"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
