"""The organization's ip_precision, end to end, as an auditor would check it.

For each precision level: check-ins through a real HTTP server (GeoIP files written here),
flags raised by the detectors, failed logins of the organization's staff; then every table
of the SQLite file, the file and its WAL as bytes, the server's log output, /metrics and a
``licmon backup`` file are scanned for each address, network, city and coordinate used:
first for what the precision forbids, then, after retention with a moved clock, for all of it.
"""

import dataclasses
import json
import logging
import sqlite3
import struct
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from licmon.cli import main
from licmon.config import Settings
from licmon.datadir import DataDir
from licmon.domain.models import IpPrecision
from licmon.keys import STORE
from licmon.logs import JsonFormatter
from tests.abuse import geofiles
from tests.conftest import FakeClock, checkin_body
from tests.staff.conftest import StaffWorld

DAY = 86400
LONDON_HOST, TOR_HOST = "81.2.69.160", "81.2.69.7"
LINKOPING_HOST, MAPPED_LINKOPING = "89.160.20.128", "::ffff:89.160.20.128"
V6_HOST = "2001:db8:1:2::5"
STAFF_HOST = "198.51.100.77"
HOSTS = (LONDON_HOST, TOR_HOST, LINKOPING_HOST, V6_HOST, STAFF_HOST)
NETWORKS = ("81.2.69.0", "89.160.20.0", "2001:db8:1::", "198.51.100.0")
CITIES = ("London", "Linköping", "Berlin")
COORDINATES = (51.5142, -0.0931, 58.4167, 15.6167, 52.52, 13.4)
ROUNDED = ("51.51", "-0.09", "58.42", "15.62", "52.52", "13.4")


def forbidden_at(precision: IpPrecision) -> tuple[str, ...]:
    """What the organization's stored data may not hold right after ingest."""
    if precision is IpPrecision.FULL:
        return ()
    if precision is IpPrecision.NETWORK:
        return HOSTS
    return (*HOSTS, *NETWORKS, *CITIES, *(str(c) for c in COORDINATES), *ROUNDED)


def every_trace() -> tuple[str, ...]:
    return (*HOSTS, *NETWORKS, *CITIES, *(str(c) for c in COORDINATES))


def in_logs(precision: IpPrecision) -> tuple[str, ...]:
    """Log lines never hold an address; a `none` organization's not even its network."""
    return forbidden_at(IpPrecision.NONE) if precision is IpPrecision.NONE else HOSTS


def table_cells(database: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(database)
    try:
        tables = [
            r[0]
            for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not r[0].startswith("sqlite_")
        ]
        return [
            (table, repr(value))
            for table in tables
            for row in conn.execute(f'SELECT * FROM "{table}"')
            for value in row
            if value is not None
        ]
    finally:
        conn.close()


def found_in_cells(cells: list[tuple[str, str]], needles: Iterable[str]) -> list[str]:
    return sorted({f"{table}: {n}" for n in needles for table, text in cells if n in text})


def found_in_bytes(blob: bytes, needles: Iterable[str], floats: Iterable[float] = ()) -> list[str]:
    """Text needles (UTF-8), and coordinates as SQLite stores a REAL (8 bytes, big-endian)."""
    hits = [n for n in needles if n.encode() in blob]
    hits += [f"REAL {c}" for c in floats if struct.pack(">d", c) in blob]
    return hits


def floats_for(needles: tuple[str, ...]) -> tuple[float, ...]:
    return tuple(c for c in COORDINATES if str(c) in needles)


async def drive(world: StaffWorld, key: str) -> None:
    """Check-ins that raise flags (travel, anonymizer, sharing, clock), and failed logins
    of the organization's own staff account."""
    client = world.client

    async def checkin(address: str, machine: str, **extra: Any) -> None:
        body = checkin_body(key, machine, **extra)
        response = await client.post("/v1/checkin", json=body, headers={"X-Forwarded-For": address})
        assert response.status in (200, 403), await response.text()
        world.clock.advance(60)

    await checkin(LONDON_HOST, "machine-aaaa-0001")
    await checkin(MAPPED_LINKOPING, "machine-aaaa-0001")
    await checkin(TOR_HOST, "machine-aaaa-0001", client_time="2020-01-01T00:00:00Z")
    for i in range(2, 6):
        await checkin(V6_HOST, f"machine-aaaa-000{i}")
    await checkin(LONDON_HOST, "machine-aaaa-0001")
    for _ in range(2):
        # The form itself is fetched before anyone is known (its log line may name the
        # visitor's network): from elsewhere, so that the scan sees only the login attempt.
        form = await world.browser("127.0.0.1").challenge()
        browser = world.browser(STAFF_HOST)
        response = await browser.submit_login("site-admin", "wrong password", form)
        assert response.status in (200, 401, 403)


@pytest.fixture
def e2e_settings(tmp_path: Path) -> Settings:
    files = geofiles.all_files(tmp_path / "geo")
    return Settings(
        data_dir=tmp_path / "data",
        catalog_poll_seconds=0.05,
        sqlite_synchronous="NORMAL",
        trusted_proxies=("127.0.0.0/8",),
        geoip_city=str(files["city"]),
        geoip_asn=str(files["asn"]),
        geoip_anonymous=str(files["anonymous"]),
        access_log=True,
        log_addresses=True,
    )


def backup_file(settings: Settings, dest: Path) -> bytes:
    runner = CliRunner(env={"LICMON_DATA_DIR": str(settings.data_dir), "LICMON_CONFIG": ""})
    result = runner.invoke(main, ["backup", str(dest)])
    assert result.exit_code == 0, result.output
    return dest.read_bytes()


def database_bytes(settings: Settings) -> tuple[bytes, bytes]:
    wal = settings.database_path.with_name(settings.database_path.name + "-wal")
    return settings.database_path.read_bytes(), wal.read_bytes() if wal.exists() else b""


class LogLines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def text_but_timings(self) -> str:
        """Every line without the durations the server measured itself (13.4 ms is no
        longitude)."""
        lines = []
        for line in self.lines:
            fields = json.loads(line)
            fields.pop("duration_ms", None)
            lines.append(json.dumps(fields, ensure_ascii=False))
        return "\n".join(lines)


@pytest.mark.parametrize("precision", list(IpPrecision))
async def test_every_sink_honours_the_precision(
    precision: IpPrecision,
    make_client: Callable[..., Any],
    e2e_settings: Settings,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    logs = LogLines()
    logging.getLogger("licmon").addHandler(logs)
    try:
        await _scenario(precision, make_client, e2e_settings, clock, tmp_path, logs)
    finally:
        logging.getLogger("licmon").removeHandler(logs)


async def _scenario(
    precision: IpPrecision,
    make_client: Callable[..., Any],
    settings: Settings,
    clock: FakeClock,
    tmp_path: Path,
    logs: LogLines,
) -> None:
    client = await make_client(settings)
    store = client.app[STORE]
    await store.add_org("site", "Site Ltd", precision, 30)
    await store.add_product("viewer", "Viewer")
    world = StaffWorld(client, DataDir(settings.data_dir).pepper(), clock)
    await world.add_user("site-admin", "customer", "site")
    key, _ = await world.add_license(org="site", seats=1, max_machines=1)
    await drive(world, key)

    flags = await store.list_flags()
    assert {f["kind"] for f in flags} >= {"impossible_travel", "anonymizer", "clock_tampering"}
    forbidden = forbidden_at(precision)
    metrics = await (await client.get("/metrics")).text()
    await _scan(settings, tmp_path / "before.db", forbidden, metrics, "at ingest")
    assert found_in_bytes(logs.text_but_timings().encode(), in_logs(precision)) == []
    checkins = [line for line in logs.lines if '"route": "/v1/checkin"' in line]
    assert checkins, "the access log has a line per check-in"
    expect_network = precision is not IpPrecision.NONE
    assert all(('"client_network"' in line) == expect_network for line in checkins)

    clock.advance(200 * DAY)
    run = await store.run_retention()
    assert run["violations"] == 0
    metrics = await (await client.get("/metrics")).text()
    await _scan(settings, tmp_path / "after.db", every_trace(), metrics, "after retention")


async def _scan(
    settings: Settings, backup: Path, needles: tuple[str, ...], metrics: str, when: str
) -> None:
    floats = floats_for(needles)
    assert found_in_cells(table_cells(settings.database_path), needles) == [], when
    database, wal = database_bytes(settings)
    assert found_in_bytes(database, needles, floats) == [], f"database file {when}"
    assert found_in_bytes(wal, needles, floats) == [], f"WAL {when}"
    assert found_in_bytes(metrics.encode(), (*HOSTS, *NETWORKS, *CITIES)) == [], when
    blob = backup_file(settings, backup)
    assert found_in_bytes(blob, needles, floats) == [], f"backup {when}"


def test_the_scan_finds_what_it_looks_for(tmp_path: Path) -> None:
    """The scanner itself: a REAL coordinate and an address are found in a database file."""
    path = tmp_path / "probe.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (a TEXT, b REAL)")
    conn.execute("INSERT INTO t VALUES (?, ?)", (LONDON_HOST, 51.5142))
    conn.commit()
    conn.close()
    assert found_in_cells(table_cells(path), (LONDON_HOST, "51.5142")) == [
        "t: 51.5142",
        f"t: {LONDON_HOST}",
    ]
    assert found_in_bytes(path.read_bytes(), (LONDON_HOST,), (51.5142,)) == [
        LONDON_HOST,
        "REAL 51.5142",
    ]


async def test_every_console_request_of_a_customer_user_honours_its_precision(
    make_client: Callable[..., Any], e2e_settings: Settings, clock: FakeClock
) -> None:
    settings = dataclasses.replace(e2e_settings, staff_second_factor_required=False)
    client = await make_client(settings)
    await client.app[STORE].add_org("site", "Site Ltd", IpPrecision.NONE, 30)
    world = StaffWorld(client, DataDir(settings.data_dir).pepper(), clock)
    await world.add_user("site-admin", "customer", "site")
    browser = await world.logged_in("site-admin")
    logs = LogLines()
    logging.getLogger("licmon").addHandler(logs)
    try:
        assert (await browser.get("/staff/flags")).status == 200
        assert (await browser.get("/staff/licenses")).status == 200
    finally:
        logging.getLogger("licmon").removeHandler(logs)
    lines = [line for line in logs.lines if '"route": "/staff/' in line]
    assert len(lines) == 2
    assert not any('"client_network"' in line for line in lines)
