"""The client against a real licmon (the `world` app), and small real servers that misbehave."""

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from licmon.client import AsyncLicenseClient, Timing, TrustedKeys
from licmon.keys import KEYRING
from tests.conftest import World

FAST = Timing(
    timeout=2.0,
    attempts=3,
    max_wait=5.0,
    backoff_base=0.01,
    backoff_cap=0.05,
    min_heartbeat=0.01,
    leeway=120.0,
    release_timeout=1.0,
)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Sleeps:
    """Records every wait the client asks for and yields at once: retries without real delays."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(0)


def url_of(server: TestServer | Any) -> str:
    return str(server.make_url("")).rstrip("/")


def pinned_keys(world: World) -> TrustedKeys:
    return TrustedKeys.from_jwks(world.client.app[KEYRING].jwks())


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
async def new_client(world: World, state_dir: Path, sleeps: Sleeps) -> Any:
    """A client of the world's server (or of `server=`), pinned to its keys, on its clock."""
    made: list[AsyncLicenseClient] = []

    def make(key: str, **options: Any) -> AsyncLicenseClient:
        settings: dict[str, Any] = {
            "machine": "machine-0001",
            "trusted_keys": pinned_keys(world),
            "state_dir": state_dir,
            "timing": FAST,
            "clock": world.clock,
            "sleep": sleeps,
            **options,
        }
        server = settings.pop("server", url_of(world.client))
        client = AsyncLicenseClient(server, key, settings.pop("product", "viewer"), **settings)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.close()


@pytest.fixture
def relay(world: World, aiohttp_server: Any) -> Any:
    """A real server in front of licmon that passes requests on, or answers in its place."""

    async def start(checkin: Handler | None = None) -> TestServer:
        app = web.Application()
        app.router.add_post("/v1/checkin", checkin or forward(world))
        app.router.add_post("/v1/release", forward(world))
        app.router.add_get("/.well-known/jwks.json", forward(world))
        server: TestServer = await aiohttp_server(app)
        return server

    return start


def forward(world: World) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        return await pass_on(world, request)

    return handler


async def pass_on(world: World, request: web.Request, body: Any = None) -> web.Response:
    if request.method == "GET":
        answer = await world.client.get(request.path)
    else:
        answer = await world.client.post(request.path, json=body or await request.json())
    return web.json_response(await answer.json(), status=answer.status)
