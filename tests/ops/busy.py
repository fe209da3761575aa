"""A busy run against a live in-process app, remembering every identifying value it used.

Everything a metric label or a log line must never carry is collected in ``Used``: keys,
client addresses (and their networks), machine ids, license and organization ids, slugs and
names.
"""

import dataclasses
import ipaddress
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from licmon.config import Settings
from licmon.datadir import DataDir
from licmon.domain import license_keys
from licmon.domain.models import IpPrecision, LicenseStatus, LicenseTerms
from licmon.keys import INDEX, STORE
from tests.conftest import checkin_body

ORGS = (
    ("northwind", "Northwind Traders Ltd", IpPrecision.FULL),
    ("initech", "Initech Corporation", IpPrecision.NETWORK),
)
ADDRESSES = ("203.0.113.77", "198.51.100.23", "2001:db8:4242::17", "192.0.2.201")


def busy_settings(tmp_path: Path, **changes: Any) -> Settings:
    return dataclasses.replace(
        Settings(
            data_dir=tmp_path / "data",
            catalog_poll_seconds=3600,  # busy_run reloads the catalog itself
            sqlite_synchronous="NORMAL",
            trusted_proxies=("127.0.0.1/32", "::1/128"),
            metrics_refresh_seconds=3600,
        ),
        **changes,
    )


@dataclass
class Used:
    keys: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    machines: list[str] = field(default_factory=list)
    license_ids: list[int] = field(default_factory=list)
    org_ids: list[int] = field(default_factory=list)
    org_texts: list[str] = field(default_factory=list)
    granted: int = 0

    def forbidden_texts(self) -> list[str]:
        """Strings that must not appear anywhere in a scrape or a log."""
        keys = [form for key in self.keys for form in _key_forms(key)]
        networks = [_network_prefix(a) for a in self.addresses]
        return keys + self.addresses + networks + self.machines + self.org_texts

    def forbidden_label_values(self) -> set[str]:
        ids = {str(i) for i in (*self.license_ids, *self.org_ids)}
        return ids | set(self.forbidden_texts())


async def busy_run(client: TestClient[Any, Any], settings: Settings) -> Used:
    used = Used()
    store = client.app[STORE]
    for slug, name, precision in ORGS:
        await store.add_org(slug, name, precision, 30)
        used.org_texts += [slug, name]
    _renumber(settings, "orgs", 70_000)  # ids no legitimate label value could equal
    used.org_ids = [org.id for org in await store.list_orgs()]
    await store.add_product("viewer", "Viewer")
    await store.add_product("editor", "Editor")
    pepper = DataDir(settings.data_dir).pepper()
    licenses = []
    for slug, product, seats in (("northwind", "viewer", 2), ("initech", "editor", 3)):
        key = license_keys.generate()
        lic = await store.add_license(
            slug,
            product,
            LicenseTerms(seats=seats, max_machines=10),
            license_keys.key_hash(pepper, key),
        )
        licenses.append((key, lic, product))
        used.keys.append(key)
    _renumber(settings, "licenses", 90_000)
    licenses = [(k, await store.get_license(lic.id + 90_000), p) for k, lic, p in licenses]
    used.license_ids = [lic.id for _, lic, _ in licenses]
    await client.app[INDEX].refresh(store)
    await _traffic(client, used, licenses)
    revoked_key, revoked, product = licenses[0]
    await store.set_license_status(revoked.id, LicenseStatus.REVOKED)
    await client.app[INDEX].refresh(store)
    await _checkin(client, used, revoked_key, "nw-revoked-machine-01", product, ADDRESSES[0])
    return used


async def _traffic(client: TestClient[Any, Any], used: Used, licenses: list[Any]) -> None:
    for n in range(12):
        key, lic, product = licenses[n % len(licenses)]
        machine = f"{lic.org.slug[:2]}-workstation-{n % 5:04d}"
        await _checkin(client, used, key, machine, product, ADDRESSES[n % len(ADDRESSES)])
    key, _, product = licenses[0]
    await _checkin(client, used, key, "nw-mismatch-machine", "editor", ADDRESSES[1])
    for n in range(3):
        stranger = license_keys.generate()
        used.keys.append(stranger)
        await _checkin(client, used, stranger, f"stranger-machine-{n:03d}", "viewer", ADDRESSES[2])
    release = {"key": key, "product": product, "machine": "no-workstation-0000"}
    assert (await client.post("/v1/release", json=release)).status == 200
    await client.post("/v1/checkin", data=b"{not json", headers=_json_headers(ADDRESSES[3]))
    await client.get(f"/v1/{key}", headers={"X-Forwarded-For": ADDRESSES[3]})
    await client.get("/readyz", headers={"X-Request-Id": key})


async def _checkin(
    client: TestClient[Any, Any], used: Used, key: str, machine: str, product: str, address: str
) -> None:
    used.machines.append(machine)
    used.addresses.append(address)
    body = checkin_body(key, machine, product=product)
    response = await client.post("/v1/checkin", json=body, headers={"X-Forwarded-For": address})
    assert response.status in (200, 403), await response.text()
    used.granted += response.status == 200


def _renumber(settings: Settings, table: str, offset: int) -> None:
    conn = sqlite3.connect(settings.database_path, isolation_level=None)
    try:
        conn.execute(f"UPDATE {table} SET id = id + ?", (offset,))
    finally:
        conn.close()


def _json_headers(address: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-Forwarded-For": address}


def _key_forms(key: str) -> list[str]:
    bare = key.replace("-", "")
    return [key, key.lower(), bare, bare.lower(), bare[2:]]


def _network_prefix(address: str) -> str:
    ip = ipaddress.ip_address(address)
    if ip.version == 4:
        return ".".join(address.split(".")[:3]) + "."
    return str(ipaddress.ip_network((ip, 48), strict=False).network_address).rstrip(":")
