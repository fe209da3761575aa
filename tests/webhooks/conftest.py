"""A real webhook receiver on 127.0.0.1 (an aiohttp app) and a licmon app whose delivery
worker sends to it. The clock is controllable but starts at the real time, so that the
``standardwebhooks`` verifier (which checks timestamps against the wall clock) accepts
what it signs; backoff is crossed by advancing that clock, never by sleeping."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from standardwebhooks import Webhook

from licmon.config import Settings
from licmon.domain.webhooks import WebhookEndpoint
from licmon.services.webhooks.admin import add_endpoint
from licmon.services.webhooks.wiring import SECRET_BOX
from tests.admin.conftest import Api, Staff, make_token, staff
from tests.conftest import FakeClock, World

__all__ = ["Staff", "staff"]  # the admin API's staff tokens, for the webhook routes

WAIT_SECONDS = 10.0


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers each request with the next status of ``answers`` (then 200), records all."""

    server: TestServer
    answers: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    hang: bool = False

    @property
    def url(self) -> str:
        return str(self.server.make_url("/hooks"))

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append(Received(dict(request.headers), await request.read()))
        if self.hang:
            await asyncio.sleep(3600)
        return web.Response(status=self.answers.pop(0) if self.answers else 200)

    def verified(self, secret: str) -> list[Any]:
        """Every body, each checked with the Standard Webhooks reference verifier."""
        return [Webhook(secret).verify(r.body, r.headers) for r in self.received]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(time.time())


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        catalog_poll_seconds=0.05,
        sqlite_synchronous="NORMAL",
        webhook_require_https=False,
        webhook_poll_seconds=0.02,
        webhook_timeout_seconds=2.0,
        staff_second_factor_required=False,
    )


HOOKS_SCOPES = "read,licenses:write,webhooks:write"


@pytest.fixture
async def hooks(staff: Staff) -> Api:
    """An administrator whose token may also manage webhooks."""
    return Api(staff.world, await make_token(staff.world.store, "ada", "admin", HOOKS_SCOPES))


@pytest.fixture
async def receiver() -> Any:
    holder: dict[str, Receiver] = {}

    async def handle(request: web.Request) -> web.Response:
        return await holder["r"].handle(request)

    app = web.Application()
    app.router.add_post("/hooks", handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    holder["r"] = Receiver(server)
    yield holder["r"]
    await server.close()


async def subscribe(world: World, url: str, *events: str) -> tuple[WebhookEndpoint, str]:
    box = world.client.app[SECRET_BOX]
    return await add_endpoint(world.store, box, url, events, actor="alice", require_https=False)


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    """Wait (in real time, for the background worker) until ``check`` holds."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)
