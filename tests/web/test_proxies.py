"""Client address resolution through trusted and untrusted proxies, end to end."""

import dataclasses
import sqlite3
from collections.abc import Callable
from typing import Any

from licmon.config import Settings
from licmon.datadir import DataDir
from licmon.domain import license_keys
from licmon.domain.models import IpPrecision, LicenseTerms
from licmon.keys import INDEX, STORE
from tests.conftest import checkin_body

FORWARDED = {"X-Forwarded-For": "6.6.6.6, 203.0.113.9"}


async def _address_logged(
    make_client: Callable[..., Any], settings: Settings, headers: dict[str, str]
) -> str:
    client = await make_client(settings)
    store = client.app[STORE]
    await store.add_org("acme", "Acme", IpPrecision.FULL, 60)
    await store.add_product("viewer", "Viewer")
    key = license_keys.generate()
    pepper = DataDir(settings.data_dir).pepper()
    await store.add_license(
        "acme", "viewer", LicenseTerms(seats=1, max_machines=2), license_keys.key_hash(pepper, key)
    )
    await client.app[INDEX].refresh(store)
    response = await client.post("/v1/checkin", json=checkin_body(key), headers=headers)
    assert response.status == 200
    conn = sqlite3.connect(settings.database_path)
    try:
        return str(conn.execute("SELECT address FROM connections").fetchone()[0])
    finally:
        conn.close()


async def test_trusted_proxy_headers_are_believed(
    make_client: Callable[..., Any], settings: Settings
) -> None:
    trusting = dataclasses.replace(settings, trusted_proxies=("127.0.0.0/8",))
    assert await _address_logged(make_client, trusting, FORWARDED) == "203.0.113.9"


async def test_forwarded_header_from_a_trusted_proxy(
    make_client: Callable[..., Any], settings: Settings
) -> None:
    trusting = dataclasses.replace(
        settings, trusted_proxies=("127.0.0.1/32",), proxy_header="Forwarded"
    )
    headers = {"Forwarded": 'for="[2001:db8::7]:1234";proto=https', "X-Forwarded-For": "6.6.6.6"}
    assert await _address_logged(make_client, trusting, headers) == "2001:db8::7"


async def test_a_client_forwarded_header_passed_through_is_ignored(
    make_client: Callable[..., Any], settings: Settings
) -> None:
    trusting = dataclasses.replace(settings, trusted_proxies=("127.0.0.0/8",))
    headers = {"X-Forwarded-For": "203.0.113.9", "Forwarded": "for=6.6.6.6"}
    assert await _address_logged(make_client, trusting, headers) == "203.0.113.9"


async def test_untrusted_peer_headers_are_ignored(
    make_client: Callable[..., Any], settings: Settings
) -> None:
    other = dataclasses.replace(settings, trusted_proxies=("10.0.0.0/8",))
    assert await _address_logged(make_client, other, FORWARDED) == "127.0.0.1"


async def test_no_trusted_proxies_ignores_headers(
    make_client: Callable[..., Any], settings: Settings
) -> None:
    assert await _address_logged(make_client, settings, FORWARDED) == "127.0.0.1"
