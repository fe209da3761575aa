"""The single writer: one thread owns the write connection and commits commands in batches.

Callers on the event loop submit a function of the connection and await its result; the
result is delivered only after the batch holding it has committed (group commit), so an
acknowledged write is durable. Each command runs in its own savepoint: a failing command
is rolled back alone and its caller gets the exception.
"""

import asyncio
import contextlib
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")
Operation = Callable[[sqlite3.Connection], Any]
_STOP = object()


@dataclass(slots=True)
class BatchStats:
    """Filled in by the writer thread; read by metrics at scrape time."""

    batches: int = 0
    commands: int = 0
    last_batch_size: int = 0
    last_commit_seconds: float = 0.0
    observe: Callable[[int, float], None] | None = None


class WriterClosed(RuntimeError):
    """The writer no longer accepts commands (shutting down or failed)."""


class Writer:
    def __init__(self, connect: Callable[[], sqlite3.Connection], batch_max: int) -> None:
        self._connect = connect
        self._batch_max = batch_max
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="licmon-writer", daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._accepting = False
        self._ready = threading.Event()
        self._start_error: BaseException | None = None
        self.stats = BatchStats()

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._accepting = True
        self._thread.start()
        self._ready.wait()
        if self._start_error is not None:
            raise self._start_error

    def submit(self, operation: Callable[[sqlite3.Connection], T]) -> "asyncio.Future[T]":
        if not self._accepting or self._loop is None:
            raise WriterClosed("the store is closed")
        future: asyncio.Future[T] = self._loop.create_future()
        self._queue.put((operation, future))
        return future

    @property
    def depth(self) -> int:
        return self._queue.qsize()

    @property
    def alive(self) -> bool:
        return self._accepting and self._thread.is_alive()

    async def stop(self) -> None:
        """Stop accepting, commit everything already queued, and join the thread."""
        if not self._accepting:
            return
        self._accepting = False
        self._queue.put(_STOP)
        await asyncio.to_thread(self._thread.join)

    def _run(self) -> None:
        try:
            conn = self._connect()
        except BaseException as exc:
            self._start_error = exc
            self._accepting = False
            self._ready.set()
            return
        self._ready.set()
        with contextlib.closing(conn):
            while (batch := self._next_batch()) is not None:
                self._commit(conn, batch)

    def _next_batch(self) -> list[tuple[Operation, asyncio.Future[Any]]] | None:
        first = self._queue.get()
        if first is _STOP:
            return None
        batch = [first]
        while len(batch) < self._batch_max:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is _STOP:
                self._queue.put(_STOP)
                break
            batch.append(item)
        return batch

    def _commit(self, conn: sqlite3.Connection, batch: list[tuple[Operation, Any]]) -> None:
        started = time.perf_counter()
        try:
            conn.execute("BEGIN IMMEDIATE")
            results = [(future, *_run_in_savepoint(conn, op)) for op, future in batch]
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            results = [(future, None, exc) for _, future in batch]
        self._record(len(batch), time.perf_counter() - started)
        assert self._loop is not None
        with contextlib.suppress(RuntimeError):  # the loop closed under us: nobody is waiting
            self._loop.call_soon_threadsafe(_settle, results)

    def _record(self, size: int, seconds: float) -> None:
        stats = self.stats
        stats.batches += 1
        stats.commands += size
        stats.last_batch_size = size
        stats.last_commit_seconds = seconds
        if stats.observe is not None:
            stats.observe(size, seconds)


def _run_in_savepoint(conn: sqlite3.Connection, operation: Operation) -> tuple[Any, Any]:
    conn.execute("SAVEPOINT command")
    try:
        result = operation(conn)
    except Exception as exc:
        conn.execute("ROLLBACK TO command")
        conn.execute("RELEASE command")
        return None, exc
    conn.execute("RELEASE command")
    return result, None


def _settle(results: list[tuple[asyncio.Future[Any], Any, BaseException | None]]) -> None:
    for future, result, error in results:
        if future.done():
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)
