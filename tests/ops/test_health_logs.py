"""/healthz, /readyz, request ids and the structured logs."""

import asyncio
import io
import json
import logging
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from licmon.config import Settings
from licmon.datadir import DataDir
from licmon.domain import license_keys
from licmon.domain.models import LicenseTerms
from licmon.keys import INDEX, STORE
from licmon.logs import REQUEST_ID, JsonFormatter
from tests.conftest import checkin_body
from tests.ops.busy import busy_run, busy_settings


@pytest.fixture
def log_lines() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """Every log line written meanwhile, as licmon formats it (JSON, one per line)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(level)


async def test_healthz_and_readyz(make_client: Callable[..., Any], tmp_path: Path) -> None:
    client = await make_client(busy_settings(tmp_path))
    assert (await (await client.get("/healthz")).json()) == {"status": "alive"}
    ready = await client.get("/readyz")
    body = await ready.json()
    assert ready.status == 200 and body["status"] == "ready"
    assert body["checks"]["store"] == "writable"
    assert body["checks"]["write_queue"] == "0"
    assert body["checks"]["geoip"] == "off"


async def test_readyz_is_503_while_the_write_queue_is_backed_up(
    make_client: Callable[..., Any], tmp_path: Path
) -> None:
    settings = busy_settings(tmp_path, ready_queue_max=3)
    client = await make_client(settings)
    await busy_run(client, settings)
    key = await _fresh_key(client, settings)
    blocker = sqlite3.connect(settings.database_path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        first = asyncio.create_task(_checkin(client, key, "queue-machine-0000"))
        await asyncio.sleep(0.2)  # its batch has left the queue and waits for the lock
        rest = [
            asyncio.create_task(_checkin(client, key, f"queue-machine-{n:04d}"))
            for n in range(1, 9)
        ]
        await _until(lambda: client.app[STORE].writer_health().queue_depth >= 8)
        response = await client.get("/readyz")
        body = await response.json()
        assert response.status == 503, body
        assert body["checks"]["store"] == "backlogged" and int(body["checks"]["write_queue"]) > 3
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert {await task for task in (first, *rest)} == {200}
    assert (await client.get("/readyz")).status == 200


async def test_access_log_names_routes_and_never_keys_or_addresses(
    make_client: Callable[..., Any], tmp_path: Path, log_lines: Callable[[], list[dict[str, Any]]]
) -> None:
    settings = busy_settings(tmp_path, access_log=True)
    client = await make_client(settings)
    used = await busy_run(client, settings)
    lines = log_lines()
    text = "\n".join(json.dumps(line) for line in lines).lower()
    leaked = [t for t in used.forbidden_texts() if t.lower() in text]
    assert not leaked, leaked
    access = [line for line in lines if line["logger"] == "licmon.access"]
    assert len(access) >= used.granted
    assert all(line["request_id"] and "client_network" not in line for line in access)
    assert {line["route"] for line in access} >= {"/v1/checkin", "/v1/release", "unmatched"}
    assert {line["status"] for line in access} >= {200, 400, 403, 404}


async def test_log_addresses_puts_the_masked_network_only(
    make_client: Callable[..., Any], tmp_path: Path, log_lines: Callable[[], list[dict[str, Any]]]
) -> None:
    settings = busy_settings(tmp_path, access_log=True, log_addresses=True)
    client = await make_client(settings)
    await client.get("/healthz", headers={"X-Forwarded-For": "203.0.113.77"})
    await client.get("/healthz", headers={"X-Forwarded-For": "2001:db8:4242:1::17"})
    networks = [
        line.get("client_network") for line in log_lines() if line["logger"] == "licmon.access"
    ]
    assert networks == ["203.0.113.0/24", "2001:db8:4242::/48"]


async def test_without_access_log_there_is_no_access_line(
    make_client: Callable[..., Any], tmp_path: Path, log_lines: Callable[[], list[dict[str, Any]]]
) -> None:
    client = await make_client(busy_settings(tmp_path))
    await client.get("/healthz")
    assert not [line for line in log_lines() if line["logger"] == "licmon.access"]


async def test_request_id_is_echoed_and_generated(
    make_client: Callable[..., Any], tmp_path: Path
) -> None:
    client = await make_client(busy_settings(tmp_path))
    offered = await client.get("/healthz", headers={"X-Request-Id": "trace-42"})
    assert offered.headers["X-Request-Id"] == "trace-42"
    fresh = await client.get("/healthz", headers={"X-Request-Id": "no spaces allowed"})
    assert fresh.headers["X-Request-Id"] not in ("", "no spaces allowed")
    missing = await client.get("/nothing-here")
    assert missing.status == 404 and missing.headers["X-Request-Id"]


def test_every_line_carries_the_request_id_of_its_request() -> None:
    formatter = JsonFormatter()
    token = REQUEST_ID.set("req-7")
    try:
        inside = json.loads(formatter.format(_record("store busy")))
    finally:
        REQUEST_ID.reset(token)
    outside = json.loads(formatter.format(_record("catalog reloaded")))
    assert inside["request_id"] == "req-7" and "request_id" not in outside


def test_secrets_never_reach_a_log_line() -> None:
    key = "LM-TT0XF-5F5JR-MCYKP-D4MKS-G48AE-36EQF"
    lease = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
    record = _record(f"bad key {key} and {key.replace('-', '').lower()} with lease {lease}")
    record.password = "hunter2"  # type: ignore[attr-defined]
    record.token = "s3ssion"  # type: ignore[attr-defined]
    line = JsonFormatter().format(record)
    for secret in (key, key.replace("-", "").lower(), lease, "hunter2", "s3ssion"):
        assert secret not in line
    assert json.loads(line)["password"] == "********"


def _record(message: str) -> logging.LogRecord:
    return logging.LogRecord("licmon", logging.INFO, __file__, 1, message, None, None)


async def _fresh_key(client: Any, settings: Settings) -> str:
    key = license_keys.generate()
    store = client.app[STORE]
    key_hash = license_keys.key_hash(DataDir(settings.data_dir).pepper(), key)
    await store.add_license("initech", "editor", LicenseTerms(seats=50, max_machines=50), key_hash)
    await client.app[INDEX].refresh(store)
    return key


async def _checkin(client: Any, key: str, machine: str) -> int:
    response = await client.post("/v1/checkin", json=checkin_body(key, machine, product="editor"))
    return response.status


async def _until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.005)
