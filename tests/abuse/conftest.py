"""An app behind a trusted proxy with GeoIP files built by the tests, and flag helpers."""

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from licmon.config import Settings
from licmon.datadir import DataDir
from licmon.domain.detectors import FlagDraft, FlagKind, Severity
from licmon.domain.flags import FlagRaise
from licmon.domain.models import IpPrecision
from licmon.keys import STORE
from licmon.store.base import Store
from tests.abuse.geofiles import all_files
from tests.conftest import FakeClock, World, checkin_body


@dataclasses.dataclass
class Abused(World):
    settings: Settings | None = None

    async def checkin_from(
        self, key: str, address: str, machine: str = "machine-0001", **extra: Any
    ) -> tuple[int, dict[str, Any], Any]:
        response = await self.client.post(
            "/v1/checkin",
            json=checkin_body(key, machine, **extra),
            headers={"X-Forwarded-For": address},
        )
        return response.status, await response.json(), response.headers


def abuse_settings(settings: Settings, files: dict[str, Path], **more: Any) -> Settings:
    return dataclasses.replace(
        settings,
        trusted_proxies=("127.0.0.0/8",),
        geoip_city=str(files["city"]),
        geoip_asn=str(files["asn"]),
        geoip_anonymous=str(files["anonymous"]),
        geoip_check_seconds=0.0,
        **more,
    )


@pytest.fixture
def geo_files(tmp_path: Path) -> dict[str, Path]:
    return all_files(tmp_path / "geoip")


@pytest.fixture
async def aworld(
    make_client: Callable[..., Any],
    settings: Settings,
    clock: FakeClock,
    geo_files: dict[str, Path],
) -> Abused:
    configured = abuse_settings(settings, geo_files)
    client = await make_client(configured)
    store = client.app[STORE]
    await store.add_org("acme", "Acme Ltd", IpPrecision.FULL, 60)
    await store.add_org("globex", "Globex", IpPrecision.NETWORK, 30)
    await store.add_product("viewer", "Viewer")
    return Abused(client, DataDir(settings.data_dir).pepper(), clock, settings=configured)


def draft(
    kind: FlagKind = FlagKind.MACHINE_SHARING,
    license_id: int | None = 1,
    at: int = 1_795_000_000,
    scope: str = "",
    **evidence: Any,
) -> FlagRaise:
    d = FlagDraft(kind, Severity.HIGH, license_id, at, evidence or {"machines_seen": 4}, scope)
    return FlagRaise(d, at + 86400)


async def raise_one(store: Store, *raises: FlagRaise) -> list[int]:
    return await store.raise_flags(list(raises) or [draft()])
