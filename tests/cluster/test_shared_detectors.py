"""The key-guessing throttle and the detectors see all nodes' traffic: an abuse pattern
spread evenly over two nodes raises the same flags and throttles as on one node.

Each node here is a real AbuseMonitor sharing through a real PostgresStore (its detector
stream and lead, licmon/store/postgres/shared_abuse.py); each keeps the flags it raises in a real
SQLite store of its own, so that who raised what is visible: the lead raises everything,
the other node nothing.
"""

import ipaddress
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from prometheus_client import CollectorRegistry

from licmon.abuse.monitor import AbuseMonitor
from licmon.abuse.record_seal import RecordSeal
from licmon.abuse.sharing import DetectorShare
from licmon.catalog import KeyIndex
from licmon.domain.detectors import DetectorSet, Thresholds
from licmon.domain.detectors.shared import host_pseudonym
from licmon.domain.models import (
    NO_GEO,
    CheckinRequest,
    DenyReason,
    IpPrecision,
    License,
    LicenseTerms,
    Outcome,
    SeatResult,
)
from licmon.errors import Throttled
from licmon.metrics import Metrics
from licmon.store.postgres.store import PostgresStore
from licmon.store.sqlite import SqliteStore
from tests.conftest import START

PEPPER = b"p" * 32
GUESSER = "203.0.113.5"


@dataclass
class Node:
    monitor: AbuseMonitor
    store: SqliteStore
    lic: License
    shared: PostgresStore | None = None
    shared: PostgresStore | None = None

    async def flags(self) -> list[tuple[str, int | None, str, int]]:
        """(kind, license, severity, count) of every flag this node raised."""
        rows = await self.store.list_flags(limit=1000)
        return sorted((r["kind"], r["license_id"], r["severity"], r["count"]) for r in rows)


async def make_node(root: Path, name: str, url: str | None, keep: int = 900) -> Node:
    store = SqliteStore(root / name / "licmon.db", synchronous="NORMAL")
    (root / name).mkdir(parents=True)
    await store.open()
    await store.add_org("acme", "Acme", IpPrecision.NETWORK, 60)
    await store.add_product("viewer", "Viewer")
    lic = await store.add_license("acme", "viewer", LicenseTerms(seats=1, max_machines=4), b"h")
    index = KeyIndex(PEPPER)
    await index.refresh(store, force=True)
    monitor = AbuseMonitor(DetectorSet(Thresholds()), store, Metrics(CollectorRegistry()))
    monitor.index = index
    shared = None
    if url is not None:
        shared = PostgresStore(url, pool_size=2)
        await shared.open()
        seal = RecordSeal(PEPPER)
        monitor.share = DetectorShare(shared, seal, node=name, keep_seconds=keep)
        monitor.host_of = host_pseudonym(PEPPER)
        await monitor.share.start()
    return Node(monitor, store, lic, shared)


@pytest.fixture
async def nodes(tmp_path: Path, pg_url: str) -> AsyncIterator[dict[str, list[Node]]]:
    one = [await make_node(tmp_path, "single", None)]
    two = [await make_node(tmp_path, n, pg_url) for n in ("a", "b")]
    yield {"one": one, "two": two}
    for node in one + two:
        await close(node)


async def close(node: Node) -> None:
    if node.shared is not None:
        await node.shared.close()
    await node.store.close()


async def sync(nodes: list[Node], now: int) -> None:
    for node in nodes:
        await node.monitor.exchange(now)
    for node in nodes:  # what the others published in the same round
        await node.monitor.exchange(now)


def request(machine: str) -> CheckinRequest:
    return CheckinRequest(key="k", product="viewer", machine=machine, nonce=f"n-{machine}")


async def play(nodes: list[Node], *, sync_every: int = 1) -> list[int | None]:
    """The abuse pattern, event i on node i % len(nodes); the throttle's answers."""
    answers: list[int | None] = []
    step = 0

    async def on_node() -> Node:
        nonlocal step
        node = nodes[step % len(nodes)]
        step += 1
        if step % sync_every == 0:
            await sync(nodes, START + step)
        return node

    for i in range(5):  # five machines of a four-machine license
        node = await on_node()
        address = ipaddress.ip_address(f"198.51.100.{10 + i}")
        result = SeatResult(Outcome.GRANTED, 1)
        drafts = node.monitor.checked_in(
            node.lic, request(f"m{i}"), address, NO_GEO, result, START + step
        )
        await node.monitor.raise_flags(drafts, node.lic)
    for i in range(1, 5):  # four of them refused a seat
        node = await on_node()
        result = SeatResult(Outcome.DENIED, 1, DenyReason.SEATS_EXHAUSTED)
        address = ipaddress.ip_address(f"198.51.100.{10 + i}")
        drafts = node.monitor.checked_in(
            node.lic, request(f"m{i}"), address, NO_GEO, result, START + step
        )
        await node.monitor.raise_flags(drafts, node.lic)
    for burst in range(3):  # a guesser, back after each block
        at = START + 1000 + burst * 400
        for _ in range(14):
            node = await on_node()
            guesser = ipaddress.ip_address(GUESSER)
            try:
                node.monitor.throttle(guesser, "guesser-01", at)
            except Throttled as refused:
                answers.append(refused.retry_after)
                continue
            answers.append(None)
            await node.monitor.invalid_key(guesser, "guesser-01", at)
    await sync(nodes, START + 5000)
    return answers


async def test_a_pattern_over_two_nodes_throttles_and_flags_as_on_one(
    nodes: dict[str, list[Node]],
) -> None:
    (single,) = nodes["one"]
    a, b = nodes["two"]
    alone = await play([single])
    spread = await play([a, b])
    assert alone == spread  # the same attempts throttled, for the same time
    assert alone.count(None) < len(alone) - 10  # the guesser was throttled
    expected = await single.flags()
    kinds = {kind for kind, *_ in expected}
    assert {"machine_sharing", "seat_overuse", "key_guessing"} <= kinds
    leader, other = (a, b) if a.monitor.leads else (b, a)
    assert not other.monitor.leads
    assert await leader.flags() == expected
    assert await other.flags() == []  # one node raises; the flags are not counted twice


async def test_without_sharing_each_node_sees_half_and_misses_the_pattern(
    tmp_path: Path,
) -> None:
    """What the sharing is for: two nodes that do not share let the pattern through."""
    single = await make_node(tmp_path / "apart", "single", None)
    a = await make_node(tmp_path / "apart", "a", None)
    b = await make_node(tmp_path / "apart", "b", None)
    try:
        alone, apart = await play([single]), await play([a, b])
        assert apart.count(None) > alone.count(None)  # more guesses looked at
        kinds = {kind for node in (a, b) for kind, *_ in await node.flags()}
        assert kinds.isdisjoint({"machine_sharing", "seat_overuse"})
    finally:
        for node in (single, a, b):
            await node.store.close()


async def test_with_a_lag_the_guesser_is_still_throttled_within_a_few_attempts(
    nodes: dict[str, list[Node]],
) -> None:
    (single,) = nodes["one"]
    a, b = nodes["two"]
    alone = await play([single])
    lagging = await play([a, b], sync_every=4)
    first_alone = next(i for i, r in enumerate(alone) if r is not None)
    first_lagging = next(i for i, r in enumerate(lagging) if r is not None)
    assert first_lagging - first_alone <= 4
    leader = a if a.monitor.leads else b
    assert {f[0] for f in await leader.flags()} == {f[0] for f in await single.flags()}


async def test_the_database_holds_detector_records_sealed_and_reduced(
    tmp_path: Path, pg_url: str
) -> None:
    a = await make_node(tmp_path, "a", pg_url, keep=10**9)
    b = await make_node(tmp_path, "b", pg_url, keep=10**9)
    try:
        await play([a, b])
    finally:
        for node in (a, b):
            await close(node)
    with psycopg.connect(pg_url) as conn:
        rows = conn.execute("SELECT purpose, record FROM detector_records").fetchall()
    assert rows and {purpose for purpose, _ in rows} == {"license.enforcement.abuse"}
    sealed = " ".join(record for _, record in rows)
    assert "license_id" not in sealed and "invalid_key" not in sealed  # ciphertext only
    assert RecordSeal(b"another pepper" * 3).open(rows[0][1]) is None
    plain = " ".join(RecordSeal(PEPPER).open(record) or "" for _, record in rows)
    assert '"license_id":1' in plain and '"outcome":"invalid_key"' in plain
    assert '"host"' in plain  # the guesser's, as a pseudonym; no address, no host key:
    for address in (GUESSER, "198.51.100", str(int(ipaddress.ip_address(GUESSER)))):
        assert address not in plain
