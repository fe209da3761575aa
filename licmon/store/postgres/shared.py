"""What the nodes of one database share beyond tables: catalog notifications and the locks
of singleton jobs.

- Every change to orgs, products or licenses NOTIFYs ``licmon_catalog`` (a trigger of
  m001_core); each node LISTENs on a connection of its own and wakes its catalog follower.
  After a reconnect it wakes it too: notifications sent meanwhile are lost.
- A singleton job's lock is a session-level advisory lock held on another connection of its
  own: it frees when the node closes its store or dies (its session ends), and the next
  node to ask takes it.
"""

import asyncio
import contextlib
import logging
import zlib
from typing import Any

import psycopg

from licmon.store.postgres.connect import cause

log = logging.getLogger(__name__)
CHANNEL = "licmon_catalog"
JOB_LOCK_CLASS = 0x6C6D  # "lm": the first half of every job lock's key
RECONNECT_SECONDS = (0.2, 1.0, 2.0, 5.0)


def job_key(name: str) -> int:
    """The second half of a job lock's key: a signed 32-bit hash of the job's name."""
    value = zlib.crc32(name.encode())
    return value - (1 << 32) if value >= 1 << 31 else value


class CatalogListener:
    def __init__(self, url: str) -> None:
        self._url = url
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._listen_forever())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def changed(self, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout)
        self._changed.clear()

    async def _listen_forever(self) -> None:
        failures = 0
        while True:
            try:
                await self._listen()
            except (psycopg.Error, OSError) as exc:
                if self.listening.is_set():
                    failures = 0  # it had worked: try again soon
                self.listening.clear()
                pause = RECONNECT_SECONDS[min(failures, len(RECONNECT_SECONDS) - 1)]
                failures += 1
                log.warning(
                    "catalog notifications lost, listening again", extra={"cause": cause(exc)}
                )
                await asyncio.sleep(pause)

    async def _listen(self) -> None:
        async with await psycopg.AsyncConnection.connect(self._url, autocommit=True) as conn:
            await conn.execute(f"LISTEN {CHANNEL}")
            self.listening.set()
            self._changed.set()  # whatever was sent while nobody listened
            async for _ in conn.notifies():
                self._changed.set()


class JobLocks:
    def __init__(self, url: str) -> None:
        self._url = url
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self._held: set[str] = set()
        self._guard = asyncio.Lock()

    async def hold(self, name: str) -> bool:
        async with self._guard:
            try:
                return await self._hold(name)
            except (psycopg.Error, OSError) as exc:
                log.warning("job lock unavailable", extra={"job": name, "cause": cause(exc)})
                await self._drop()
                return False

    async def _hold(self, name: str) -> bool:
        conn = await self._connection()
        if name in self._held:
            await conn.execute("SELECT 1")  # the session, and so the lock, still lives
            return True
        cursor = await conn.execute(
            "SELECT pg_try_advisory_lock(%s, %s)", (JOB_LOCK_CLASS, job_key(name))
        )
        row = await cursor.fetchone()
        if row and row[0]:
            self._held.add(name)
            log.info("singleton job runs on this node", extra={"job": name})
            return True
        return False

    async def _connection(self) -> "psycopg.AsyncConnection[Any]":
        if self._conn is None or self._conn.broken or self._conn.closed:
            await self._drop()
            self._conn = await psycopg.AsyncConnection.connect(self._url, autocommit=True)
        return self._conn

    async def _drop(self) -> None:
        self._held.clear()
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                await self._conn.close()
        self._conn = None

    async def close(self) -> None:
        """Give the jobs up now (a closed session frees its locks too, but a moment later)."""
        async with self._guard:
            if self._held and self._conn is not None and not self._conn.broken:
                with contextlib.suppress(psycopg.Error):
                    await self._conn.execute("SELECT pg_advisory_unlock_all()")
            await self._drop()
