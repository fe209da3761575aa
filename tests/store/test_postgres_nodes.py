"""Several nodes on one PostgreSQL database: catalog changes reach the others at once
(LISTEN/NOTIFY), singleton jobs run on one node at a time and move when it dies."""

import asyncio
import time
from collections.abc import Awaitable, Callable

import psycopg

from licmon.catalog import KeyIndex, stop_task
from licmon.domain import license_keys
from licmon.domain.models import IpPrecision, LicenseStatus, LicenseTerms
from licmon.store.base import Store
from licmon.store.postgres.shared import job_key
from tests.store.conftest import OpenNode

PEPPER = b"p" * 32
SLOW_POLL = 60.0  # far longer than any test waits: only a notification can be in time


async def test_a_license_added_on_one_node_reaches_the_other_within_seconds(
    pg_nodes: OpenNode,
) -> None:
    first, second = await pg_nodes(), await pg_nodes()
    index = KeyIndex(PEPPER)
    await index.refresh(second, force=True)
    follower = asyncio.create_task(index.follow(second, SLOW_POLL))
    try:
        await asyncio.wait_for(second.listener.listening.wait(), 10)
        await first.add_org("acme", "Acme", IpPrecision.FULL, 30)
        await first.add_product("viewer", "Viewer")
        key = license_keys.generate()
        lic = await first.add_license(
            "acme",
            "viewer",
            LicenseTerms(seats=1, max_machines=5),
            license_keys.key_hash(PEPPER, key),
        )
        assert await eventually(lambda: index.find(key) is not None)
        await first.set_license_status(lic.id, LicenseStatus.REVOKED)
        assert await eventually(lambda: status_of(index, key) is LicenseStatus.REVOKED)
    finally:
        await stop_task(follower)


def status_of(index: KeyIndex, key: str) -> LicenseStatus | None:
    found = index.find(key)
    return None if found is None else found.status


async def eventually(check: Callable[[], bool], within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if check():
            return True
        await asyncio.sleep(0.02)
    return False


async def test_a_singleton_job_runs_on_one_node_and_moves_when_it_stops(
    pg_nodes: OpenNode,
) -> None:
    nodes = [await pg_nodes() for _ in range(3)]
    held = [await node.job_lock("retention") for node in nodes]
    assert held == [True, False, False]
    assert await nodes[0].job_lock("retention")  # it keeps it
    assert await nodes[1].job_lock("gauges")  # another job, its own lock
    await nodes[0].close()
    assert [await node.job_lock("retention") for node in nodes[1:]] == [True, False]


async def test_a_singleton_job_moves_when_its_node_dies(pg_nodes: OpenNode, pg_url: str) -> None:
    first, second = await pg_nodes(), await pg_nodes()
    assert await first.job_lock("retention")
    assert not await second.job_lock("retention")
    with psycopg.connect(pg_url, autocommit=True) as admin:  # the node's session dies
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_locks "
            "WHERE locktype = 'advisory' AND granted AND objid = %s",
            (job_key("retention") & 0xFFFFFFFF,),
        )
    assert await eventually_async(lambda: second.job_lock("retention"))
    assert not await first.job_lock("retention")  # the dead session took its lock along


async def eventually_async(check: Callable[[], Awaitable[bool]], within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await check():
            return True
        await asyncio.sleep(0.05)
    return False


async def test_one_node_alone_always_runs_its_jobs(store: Store) -> None:
    assert await store.job_lock("retention")
    assert await store.job_lock("retention")
