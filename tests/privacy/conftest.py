"""A world behind a trusted proxy, so that tests choose the client addresses."""

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from licmon.config import Settings
from licmon.datadir import DataDir
from licmon.domain.access import ReadContext, Role
from licmon.domain.models import IpPrecision
from licmon.domain.purposes import ABUSE, DSR
from licmon.keys import STORE
from tests.conftest import FakeClock, World, checkin_body


class Proxied(World):
    async def checkin_from(self, key: str, address: str, machine: str = "machine-0001") -> int:
        response = await self.client.post(
            "/v1/checkin", json=checkin_body(key, machine), headers={"X-Forwarded-For": address}
        )
        return response.status


@pytest.fixture
async def pworld(make_client: Callable[..., Any], settings: Settings, clock: FakeClock) -> Proxied:
    client = await make_client(dataclasses.replace(settings, trusted_proxies=("127.0.0.0/8",)))
    store = client.app[STORE]
    await store.add_org("acme", "Acme Ltd", IpPrecision.FULL, 60)
    await store.add_org("globex", "Globex", IpPrecision.NETWORK, 30)
    await store.add_org("initech", "Initech", IpPrecision.NONE, 60)
    await store.add_product("viewer", "Viewer")
    return Proxied(client, DataDir(settings.data_dir).pepper(), clock)


def ctx(
    role: Role = Role.ADMIN,
    purpose: str = ABUSE,
    org_id: int | None = None,
    justification: str = "investigating flag #12 for seat overuse",
) -> ReadContext:
    return ReadContext("user:1", role, purpose, justification, org_id)


DSR_CTX = ctx(Role.DPO, DSR, justification="data-subject request DSR-2026-001")
