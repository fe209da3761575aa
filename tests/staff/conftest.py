"""A world with staff accounts, and a browser-like session that logs in through the form.

The test client speaks plain http to 127.0.0.1, and the session cookie is ``Secure``: like
a browser would only on localhost, these helpers carry the cookie themselves.
"""

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import argon2
import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from licmon.config import Settings
from licmon.datadir import DataDir
from licmon.domain import passwords
from licmon.domain.models import IpPrecision
from licmon.domain.staff import StaffUser, parse_roles
from licmon.keys import STORE
from tests.conftest import FakeClock, World

PASSWORD = "correct horse battery staple"
CHALLENGE = re.compile(r'name="challenge" value="([^"]+)"')
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
DEFAULT_ADDRESS = "203.0.113.5"


def cheap_hasher() -> argon2.PasswordHasher:
    return argon2.PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests hash with tiny argon2 parameters; production uses argon2-cffi's defaults."""
    monkeypatch.setattr(passwords, "default_hasher", cheap_hasher)


@dataclass
class Browser:
    """One person's browser: its session cookie and the CSRF token from the last page."""

    client: TestClient[Any, Any]
    address: str = DEFAULT_ADDRESS
    cookie: str = ""
    csrf: str = ""

    def headers(self) -> dict[str, str]:
        headers = {"X-Forwarded-For": self.address}
        if self.cookie:
            headers["Cookie"] = f"licmon_session={self.cookie}"
        return headers

    async def get(self, path: str) -> ClientResponse:
        response = await self.client.get(path, headers=self.headers(), allow_redirects=False)
        self._remember(await response.text())
        return response

    async def post(
        self, path: str, data: dict[str, str] | None = None, *, csrf: bool = True
    ) -> ClientResponse:
        form = {**(data or {}), **({"csrf": self.csrf} if csrf else {})}
        response = await self.client.post(
            path, data=form, headers=self.headers(), allow_redirects=False
        )
        self._remember(await response.text())
        return response

    def _remember(self, text: str) -> None:
        found = CSRF.search(text)
        if found:
            self.csrf = found.group(1)

    async def challenge(self) -> str:
        page = await self.client.get("/staff/login", headers=self.headers())
        found = CHALLENGE.search(await page.text())
        assert found, "the login form carries a challenge"
        return found.group(1)

    async def submit_login(
        self, username: str, password: str = PASSWORD, challenge: str | None = None
    ) -> ClientResponse:
        form = {
            "username": username,
            "password": password,
            "challenge": challenge or await self.challenge(),
        }
        response = await self.client.post(
            "/staff/login", data=form, headers=self.headers(), allow_redirects=False
        )
        morsel = response.cookies.get("licmon_session")
        if morsel is not None and morsel.value:
            self.cookie = morsel.value
        return response

    async def login(self, username: str, password: str = PASSWORD) -> "Browser":
        response = await self.submit_login(username, password)
        assert response.status == 303, await response.text()
        landing = await self.get("/staff/")
        if landing.status == 303:
            await self.get(landing.headers["Location"])
        assert self.csrf
        return self


@dataclass
class StaffWorld(World):
    users: dict[str, StaffUser] = field(default_factory=dict)

    async def add_user(
        self, username: str, roles: str, org: str | None = None, password: str = PASSWORD
    ) -> StaffUser:
        digest = passwords.Passwords().hash(password)
        user = await self.store.add_user(
            username, digest, parse_roles(roles), org, actor="cli:test"
        )
        self.users[username] = user
        return user

    def browser(self, address: str = DEFAULT_ADDRESS) -> Browser:
        return Browser(self.client, address)

    async def logged_in(self, username: str, address: str = DEFAULT_ADDRESS) -> Browser:
        return await self.browser(address).login(username)


@pytest.fixture
def staff_settings(settings: Settings) -> Settings:
    # The second-factor requirement for admins has tests of its own (test_second_factor).
    return dataclasses.replace(
        settings, trusted_proxies=("127.0.0.0/8",), staff_second_factor_required=False
    )


@pytest.fixture
async def sworld(
    make_client: Callable[..., Any], staff_settings: Settings, clock: FakeClock
) -> StaffWorld:
    return await make_staff_world(make_client, staff_settings, clock)


async def make_staff_world(
    make_client: Callable[..., Any], staff_settings: Settings, clock: FakeClock
) -> StaffWorld:
    """Two organizations and two products, on an app made with ``staff_settings``."""
    client = await make_client(staff_settings)
    store = client.app[STORE]
    await store.add_org("acme", "Acme Ltd", IpPrecision.FULL, 60)
    await store.add_org("globex", "Globex Corporation", IpPrecision.NETWORK, 30)
    await store.add_product("viewer", "Viewer")
    await store.add_product("editor", "Editor")
    return StaffWorld(client, DataDir(staff_settings.data_dir).pepper(), clock)
