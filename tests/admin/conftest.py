"""A running app with staff accounts holding personal API tokens, for the admin API."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import ClientResponse

from licmon.config import Settings
from licmon.domain.sessions import new_api_token, token_hash
from licmon.domain.staff import parse_roles
from licmon.store.base import Store
from tests.conftest import FakeClock, World
from tests.staffer import NOT_A_PASSWORD_HASH

WRITE = "read,licenses:write"


async def make_token(
    store: Store, username: str, roles: str, scopes: str = WRITE, org: str | None = None
) -> str:
    """``username`` (created when new) with ``roles``, and a fresh token with ``scopes``."""
    if username not in {user.username for user in await store.list_users()}:
        await store.add_user(username, NOT_A_PASSWORD_HASH, parse_roles(roles), org, actor="t")
    secret = new_api_token()
    await store.add_api_token(
        username, "tests", token_hash(secret), None, actor="test", scopes=scopes
    )
    return secret


@dataclass
class Api:
    """Calls to /v1/admin as one token."""

    world: World
    token: str

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **extra}

    async def call(
        self, method: str, path: str, body: Any = None, **headers: str
    ) -> tuple[int, Any, ClientResponse]:
        kwargs: dict[str, Any] = {"headers": self.headers(**headers)}
        if body is not None:
            kwargs["json"] = body
        response = await self.world.client.request(method, "/v1/admin" + path, **kwargs)
        data = await response.json() if response.content_type == "application/json" else None
        return response.status, data, response

    async def get(self, path: str) -> tuple[int, Any]:
        status, data, _ = await self.call("GET", path)
        return status, data

    async def post(self, path: str, body: Any, **headers: str) -> tuple[int, Any]:
        status, data, _ = await self.call("POST", path, body, **headers)
        return status, data


@dataclass
class Staff:
    admin: Api
    reader: Api  # an admin whose token has only the read scope
    support: Api
    customer: Api  # a customer of acme, with read and licenses:write
    world: World


@pytest.fixture
def settings(tmp_path: Any) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        catalog_poll_seconds=0.05,
        sqlite_synchronous="NORMAL",
        staff_second_factor_required=False,
    )


@pytest.fixture
async def staff(world: World) -> Staff:
    store = world.store
    return Staff(
        admin=Api(world, await make_token(store, "ada", "admin")),
        reader=Api(world, await make_token(store, "ada", "admin", scopes="read")),
        support=Api(world, await make_token(store, "sam", "support")),
        customer=Api(world, await make_token(store, "cleo", "customer", org="acme")),
        world=world,
    )


@pytest.fixture
def clock_of(world: World) -> Callable[[], FakeClock]:
    return lambda: world.clock
