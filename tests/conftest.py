"""Shared fixtures: a temporary data directory, a controllable clock, a live app per test."""

import base64
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from licmon.app import create_app
from licmon.config import Settings
from licmon.datadir import DataDir
from licmon.domain import license_keys
from licmon.domain.models import IpPrecision, License, LicenseTerms
from licmon.keys import INDEX, STORE
from licmon.store.base import Store
from tests.pg import pg_cluster, pg_url  # noqa: F401 (a real PostgreSQL, a database per test)

START = 1_795_000_000  # 2026-11-18T...Z


class FakeClock:
    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def nonce() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(16)).rstrip(b"=").decode()


def checkin_body(
    key: str, machine: str = "machine-0001", product: str = "viewer", **extra: Any
) -> dict[str, Any]:
    return {"key": key, "product": product, "machine": machine, "nonce": nonce(), **extra}


@dataclass
class World:
    """A running app with an organization 'acme' and a product 'viewer'."""

    client: TestClient[Any, Any]
    pepper: bytes
    clock: FakeClock
    keys: dict[int, str] = field(default_factory=dict)

    @property
    def store(self) -> Store:
        return self.client.app[STORE]

    async def add_license(
        self, org: str = "acme", product: str = "viewer", **terms: Any
    ) -> tuple[str, License]:
        key = license_keys.generate()
        full_terms = LicenseTerms(**{"seats": 1, "max_machines": 10, **terms})
        lic = await self.store.add_license(
            org, product, full_terms, license_keys.key_hash(self.pepper, key)
        )
        await self.client.app[INDEX].refresh(self.store)
        self.keys[lic.id] = key
        return key, lic

    async def checkin(self, key: str, machine: str = "machine-0001", **extra: Any) -> Any:
        response = await self.client.post("/v1/checkin", json=checkin_body(key, machine, **extra))
        return response.status, await response.json()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", catalog_poll_seconds=0.05, sqlite_synchronous="NORMAL"
    )


@pytest.fixture
def make_client(aiohttp_client: Callable[..., Any], clock: FakeClock) -> Callable[..., Any]:
    async def make(settings: Settings) -> TestClient[Any, Any]:
        return await aiohttp_client(create_app(settings, clock=clock))

    return make


@pytest.fixture
async def world(make_client: Callable[..., Any], settings: Settings, clock: FakeClock) -> World:
    client = await make_client(settings)
    store = client.app[STORE]
    await store.add_org("acme", "Acme Ltd", IpPrecision.FULL, 60)
    await store.add_org("globex", "Globex", IpPrecision.NETWORK, 30)
    await store.add_product("viewer", "Viewer")
    await store.add_product("editor", "Editor")
    return World(client, DataDir(settings.data_dir).pepper(), clock)
