"""Contract: the shared-detector stream and lead (``SharedDetectorStore``), on every backend.

A backend that several nodes write (PostgreSQL) passes each node's records to the others,
never loses one whatever order concurrent transactions commit in. SQLite is one node's
database: it shares nothing. (Which node raises the flags is a job lock: test_nodes_contract.)
"""

import asyncio

from licmon.store.shared_base import DetectorCursor
from tests.store.conftest import Reopen


async def read_all(store: object, node: str, cursor: DetectorCursor) -> list[str]:
    records, _ = await store.detector_records_after(node, cursor, 10_000)  # type: ignore[attr-defined]
    return list(records)


async def test_records_go_to_the_other_nodes_not_back_to_their_writer(reopen: Reopen) -> None:
    a, b = await reopen(), await reopen()
    await a.publish_detector_records("a", [(1, "before")])
    _, from_a = await a.detector_records_after("a", None, 10)
    _, from_b = await b.detector_records_after("b", None, 10)
    await a.publish_detector_records("a", [(2, "one"), (3, "two")])
    await b.publish_detector_records("b", [(4, "three")])
    seen_by_b = await read_all(b, "b", from_b)
    seen_by_a = await read_all(a, "a", from_a)
    if a.shared_by_nodes():
        assert seen_by_b == ["one", "two"]  # in order; not what came before its start
        assert seen_by_a == ["three"]
    else:
        assert seen_by_a == seen_by_b == []


async def test_a_cursor_moves_on_and_nothing_is_read_twice(reopen: Reopen) -> None:
    a, b = await reopen(), await reopen()
    _, cursor = await b.detector_records_after("b", None, 10)
    await a.publish_detector_records("a", [(i, f"r{i}") for i in range(5)])
    first, cursor = await b.detector_records_after("b", cursor, 3)
    second, cursor = await b.detector_records_after("b", cursor, 3)
    third, _ = await b.detector_records_after("b", cursor, 3)
    if a.shared_by_nodes():
        assert (first, second, third) == (["r0", "r1", "r2"], ["r3", "r4"], [])
    else:
        assert first == second == third == []


async def test_no_record_is_lost_when_nodes_publish_concurrently(reopen: Reopen) -> None:
    a, b, reader = await reopen(), await reopen(), await reopen()
    _, cursor = await reader.detector_records_after("r", None, 10)
    seen: list[str] = []

    async def publish(store: object, node: str) -> None:
        for i in range(30):
            batch = [(i, f"{node}-{i}-{j}") for j in range(3)]
            await store.publish_detector_records(node, batch)  # type: ignore[attr-defined]

    async def read_while_they_write() -> None:
        nonlocal cursor
        for _ in range(40):
            records, cursor = await reader.detector_records_after("r", cursor, 1000)
            seen.extend(records)
            await asyncio.sleep(0)

    await asyncio.gather(publish(a, "a"), publish(b, "b"), read_while_they_write())
    records, _ = await reader.detector_records_after("r", cursor, 1000)
    seen.extend(records)
    if a.shared_by_nodes():
        expected = {f"{n}-{i}-{j}" for n in "ab" for i in range(30) for j in range(3)}
        assert len(seen) == len(expected) and set(seen) == expected
        for node in "ab":  # each node's records in the order it wrote them
            mine = [r for r in seen if r.startswith(node)]
            assert mine == sorted(mine, key=lambda r: tuple(map(int, r.split("-")[1:])))
    else:
        assert seen == []


async def test_old_records_are_pruned(reopen: Reopen) -> None:
    a, b = await reopen(), await reopen()
    _, cursor = await b.detector_records_after("b", None, 10)
    await a.publish_detector_records("a", [(100, "old"), (200, "new")])
    pruned = await a.prune_detector_records(150)
    left = await read_all(b, "b", cursor)
    if a.shared_by_nodes():
        assert (pruned, left) == (1, ["new"])
    else:
        assert (pruned, left) == (0, [])
