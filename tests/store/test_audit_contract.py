"""The audit log stays one linear hash chain when several stores (nodes) append at once."""

import asyncio
import threading

from licmon.domain.audit import AuditEntry
from licmon.store.base import Store
from tests.conftest import FakeClock
from tests.store.conftest import Reopen

PER_STORE = 60


async def _append(store: Store, node: str, now: int) -> None:
    for i in range(PER_STORE):
        await store.audit_record(AuditEntry(now, f"system:{node}", "test.append", f"n:{i}"))


def _in_a_thread(store: Store, node: str, now: int) -> threading.Thread:
    """Another event loop on another thread, as another process would be."""
    thread = threading.Thread(target=lambda: asyncio.run(_append(store, node, now)))
    thread.start()
    return thread


async def test_concurrent_appends_from_two_nodes_keep_one_verified_chain(
    store: Store, reopen: Reopen, clock: FakeClock
) -> None:
    other = await reopen()
    now = int(clock())
    before, _ = await store.audit_head()
    await asyncio.gather(_append(store, "a", now), _append(other, "b", now))
    count, broken = await store.audit_verify()
    assert broken is None and count == before + 2 * PER_STORE
    assert await other.audit_head() == await store.audit_head()


async def test_appends_from_other_threads_and_loops_keep_the_chain(
    reopen: Reopen, clock: FakeClock
) -> None:
    one, two = await reopen(), await reopen()
    now = int(clock())
    threads = [_in_a_thread(s, n, now) for s, n in ((one, "a"), (two, "b"))]
    await asyncio.gather(*(asyncio.to_thread(t.join) for t in threads))
    count, broken = await one.audit_verify()
    assert broken is None and count >= 2 * PER_STORE
    hashes = await one.audit_hashes_at(frozenset({1, count}))
    assert hashes[count] == (await two.audit_head())[1]
