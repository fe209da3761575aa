"""The store contract suite: every test here runs against every backend.

A test asks for ``store`` (an opened Store on an empty database) or ``reopen`` (a function
that opens another Store on the same database: a restart, or a second node). Tests speak
the Store interface only; a behaviour one backend lacks fails here.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from licmon.datadir import DataDir
from licmon.store.base import Store
from licmon.store.postgres.store import PostgresStore
from licmon.store.sqlite import SqliteStore
from tests.conftest import FakeClock

BACKENDS = ["sqlite", "postgres"]

Reopen = Callable[[], Awaitable[Store]]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _sqlite_factory(tmp_path: Path, clock: FakeClock) -> Callable[[], Store]:
    path = tmp_path / "licmon.db"
    return lambda: SqliteStore(path, synchronous="NORMAL", clock=clock)


def _postgres_factory(request: pytest.FixtureRequest, clock: FakeClock) -> Callable[[], Store]:
    url = request.getfixturevalue("pg_cluster").fresh_database()
    data = request.getfixturevalue("tmp_path")  # the node's data directory: erasure ledger
    DataDir(data).ensure().pepper()  # the shared ledger key is derived from it, as in serve
    return lambda: PostgresStore(url, clock=clock, pool_size=4, data_dir=data)


@pytest.fixture
async def reopen(
    backend: str, tmp_path: Path, clock: FakeClock, request: pytest.FixtureRequest
) -> AsyncIterator[Reopen]:
    if backend == "sqlite":
        make = _sqlite_factory(tmp_path, clock)
    else:
        make = _postgres_factory(request, clock)
    opened: list[Store] = []

    async def open_one() -> Store:
        store = make()
        await store.open()
        opened.append(store)
        return store

    yield open_one
    for store in reversed(opened):
        await store.close()


@pytest.fixture
async def store(reopen: Reopen) -> Store:
    return await reopen()


OpenNode = Callable[[], Awaitable[PostgresStore]]


@pytest.fixture
async def pg_nodes(pg_url: str, clock: FakeClock) -> AsyncIterator[OpenNode]:
    """Opens nodes (PostgresStores) on one fresh database; closes what is left open."""
    opened: list[PostgresStore] = []

    async def open_node() -> PostgresStore:
        node = PostgresStore(pg_url, clock=clock, pool_size=2)
        await node.open()
        opened.append(node)
        return node

    yield open_node
    for node in opened:
        if node.is_open:
            await node.close()
