"""The single writer: one connection, one batch at a time, group commit.

Callers submit a function of the connection and await its result, which is delivered only
after the batch holding it has committed: an acknowledged write is durable.

The calls that can wait — BEGIN IMMEDIATE (on another process's lock) and COMMIT (on the
disk) — run on the writer's own thread. The commands themselves are short in-memory
statements under the lock already held; they run on the event loop between those two calls,
because handing every statement to a thread costs more in GIL hand-offs than it saves
(measured in bench/, see README). A failing command is rolled back alone and its caller
gets the exception: each command runs in its own savepoint, except a run of check-ins
(``Counted``, ``replayable``: no effect outside the transaction), which share one; should
one of them fail, the run is rolled back and each runs again in its own. After an error
that made SQLite roll the whole transaction back (disk full, I/O), the batch is lost and
every caller hears that error. What the batch's check-ins count per license and hour
(``UsageTally``) is written by ``write_usage`` just before COMMIT.
"""

import asyncio
import contextlib
import itertools
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from licmon.store.usage_tally import Counted, UsageTally
from licmon.store.writer import (
    BatchStats,
    GroupCommit,
    Operation,
    Pending,
    Settled,
    WriterClosed,
    settle,
)

T = TypeVar("T")

__all__ = ["BatchStats", "Writer", "WriterClosed"]


class Writer(GroupCommit):
    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        batch_max: int,
        write_usage: Callable[[sqlite3.Connection, UsageTally], None] | None = None,
    ) -> None:
        super().__init__(batch_max)
        self._connect = connect
        self._write_usage = write_usage
        self._tally = UsageTally()
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="licmon-writer")
        self._conn: sqlite3.Connection | None = None

    async def start(self) -> None:
        self._conn = await self._in_thread(self._connect)
        self._accepting = True

    @property
    def alive(self) -> bool:
        return self._accepting and self._conn is not None

    async def stop(self) -> None:
        """Stop accepting, commit everything already submitted, close the connection."""
        await self._finish()
        if self._conn is not None:
            await self._in_thread(self._conn.close)
            self._conn = None
        self._thread.shutdown(wait=True)

    async def _commit(self, batch: list[Pending]) -> None:
        conn = self._conn
        assert conn is not None
        started = time.perf_counter()
        try:
            await self._in_thread(conn.execute, "BEGIN IMMEDIATE")
            self._tally.clear()
            results = await self._apply_all(conn, batch)
            if self._write_usage is not None:
                self._write_usage(conn, self._tally)
            await self._in_thread(conn.execute, "COMMIT")
        except Exception as exc:  # the batch is lost as a whole; every caller hears why
            await self._in_thread(_rollback, conn)
            results = [(future, None, exc) for _, future, _ in batch]
        except BaseException:  # cancelled: nobody may be left waiting, nothing left open
            _rollback(conn)
            settle([(future, None, WriterClosed("the store closed")) for _, future, _ in batch])
            raise
        self.stats.record(len(batch), time.perf_counter() - started)
        settle(results)

    async def _apply_all(self, conn: sqlite3.Connection, batch: list[Pending]) -> list[Settled]:
        results: list[Settled] = []
        for together, run in itertools.groupby(batch, key=_replayable):
            commands = list(run)
            if together and len(commands) > 1:
                results += self._apply_together(conn, commands)
            else:
                results += [(f, *await self._apply(conn, op, bulk)) for op, f, bulk in commands]
        return results

    def _apply_together(self, conn: sqlite3.Connection, commands: list[Pending]) -> list[Settled]:
        """Check-ins under one savepoint (two statements, not two each); should one fail,
        each again in its own."""
        conn.execute("SAVEPOINT checkins")
        try:
            results: list[Settled] = [(future, op(conn), None) for op, future, _ in commands]
        except Exception:
            if not conn.in_transaction:  # SQLite rolled it all back: the batch is lost
                raise
            conn.execute("ROLLBACK TO checkins")
            conn.execute("RELEASE checkins")
            return [(future, *self._apply_alone(conn, op)) for op, future, _ in commands]
        conn.execute("RELEASE checkins")
        for (op, _, _), (_, result, _) in zip(commands, results, strict=True):
            self._tally.count(op, result)
        return results

    async def _apply(self, conn: sqlite3.Connection, op: Operation, bulk: bool) -> tuple[Any, Any]:
        if bulk:
            return self._tallied(op, await self._in_thread(_run_in_savepoint, conn, op))
        return self._apply_alone(conn, op)

    def _apply_alone(self, conn: sqlite3.Connection, op: Operation) -> tuple[Any, Any]:
        return self._tallied(op, _run_in_savepoint(conn, op))

    def _tallied(self, op: Operation, outcome: tuple[Any, Any]) -> tuple[Any, Any]:
        result, error = outcome
        if error is None:
            self._tally.count(op, result)
        return outcome

    async def _in_thread(self, func: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, func, *args)


def _replayable(pending: Pending) -> bool:
    operation, _, bulk = pending
    return isinstance(operation, Counted) and operation.replayable and not bulk


def _run_in_savepoint(conn: sqlite3.Connection, operation: Operation) -> tuple[Any, Any]:
    conn.execute("SAVEPOINT command")
    try:
        result = operation(conn)
    except Exception as exc:
        if not conn.in_transaction:  # SQLite rolled it all back: the batch is lost
            raise
        conn.execute("ROLLBACK TO command")
        conn.execute("RELEASE command")
        return None, exc
    conn.execute("RELEASE command")
    return result, None


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
