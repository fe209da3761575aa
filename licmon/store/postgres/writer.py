"""The PostgreSQL writer: group commit on one connection of its own, on a thread of its own.

A batch runs entirely on the writer's thread (each statement is a round trip to the server,
the event loop must not wait for any): BEGIN, the seat counters of the licenses the batch
touches locked in id order (two nodes' batches then never deadlock on them), each command in
a savepoint, COMMIT. Callers hear their result after COMMIT. When PostgreSQL aborts the
batch for a deadlock or a serialization failure (another node held what a command needed in
another order), the whole batch runs again, a few times, before its callers hear the error.
What the batch's check-ins count per license and hour (``UsageTally``) is written by
``write_usage`` last, in the same transaction; a batch run again counts again from zero.
"""

import asyncio
import contextlib
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import psycopg

from licmon.store.usage_tally import UsageTally
from licmon.store.writer import GroupCommit, Operation, Pending, WriterClosed, settle

T = TypeVar("T")
Conn = psycopg.Connection[Any]
RETRIES = 5
LOCK_SEATS = "SELECT 1 FROM license_seats WHERE license_id = ANY(%s) ORDER BY license_id FOR UPDATE"


class SeatCommand:
    """A command that decides seats of these licenses: the batch locks them first.

    ``pipelined``: it runs in psycopg's pipeline mode, its statements sent without waiting
    until it reads a result (it must not read ``rowcount``); psycopg syncs when the
    command's savepoint ends, so an error in what it sent last still rolls back only it.
    ``usage``: it is one check-in of this license at this second (``UsageTally``).
    """

    def __init__(
        self,
        operation: Callable[[Conn], Any],
        licenses: tuple[int, ...],
        pipelined: bool = False,
        usage: tuple[int, int] | None = None,
    ) -> None:
        self.operation = operation
        self.licenses = licenses
        self.pipelined = pipelined
        self.usage = usage

    def __call__(self, conn: Conn) -> Any:
        return self.operation(conn)


class Retry(Exception):
    """PostgreSQL rolled the transaction back (deadlock, serialization): run the batch again."""


class PostgresWriter(GroupCommit):
    def __init__(
        self,
        connect: Callable[[], Conn],
        batch_max: int,
        write_usage: Callable[[Conn, UsageTally], None] | None = None,
    ) -> None:
        super().__init__(batch_max)
        self._connect = connect
        self._write_usage = write_usage
        self._tally = UsageTally()
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="licmon-pg-writer")
        self._conn: Conn | None = None
        self.retries = 0

    async def start(self) -> None:
        self._conn = await self._in_thread(self._connect)
        self._accepting = True

    @property
    def alive(self) -> bool:
        """Accepting work: a connection the server dropped is opened again by the next
        batch (readiness tells an unreachable database apart, from the store's faults)."""
        return self._accepting

    async def stop(self) -> None:
        await self._finish()
        if self._conn is not None:
            await self._in_thread(self._conn.close)
            self._conn = None
        self._thread.shutdown(wait=True)

    async def _commit(self, batch: list[Pending]) -> None:
        started = time.perf_counter()
        try:
            results = await self._in_thread(self._run_batch, batch)
        except Exception as exc:  # the batch is lost as a whole; every caller hears why
            results = [(future, None, exc) for _, future, _ in batch]
        except BaseException:  # cancelled: nobody may be left waiting
            settle([(future, None, WriterClosed("the store closed")) for _, future, _ in batch])
            raise
        self.stats.record(len(batch), time.perf_counter() - started)
        settle(results)

    def _run_batch(self, batch: list[Pending]) -> list[tuple[Any, Any, Any]]:
        licenses = sorted({lic for op, _, _ in batch for lic in getattr(op, "licenses", ())})

        def attempt() -> list[tuple[Any, Any, Any]]:
            conn = self._connection()
            with conn.transaction():
                if licenses:
                    conn.execute(LOCK_SEATS, (licenses,))
                outcomes = self._run_commands(conn, batch)
            return [(f, r, e) for (_, f, _), (r, e) in zip(batch, outcomes, strict=True)]

        try:
            return with_retries(attempt, self._count_retry)
        except Retry as exc:
            raise (exc.__cause__ or exc) from None

    def _count_retry(self) -> None:
        self.retries += 1

    def _run_commands(self, conn: Conn, batch: list[Pending]) -> list[tuple[Any, Any]]:
        self._tally.clear()
        outcomes = []
        for op, _, _ in batch:
            result, error = _in_savepoint(conn, op)
            if error is None:
                self._tally.count(op, result)
            outcomes.append((result, error))
        if self._write_usage is not None:
            self._write_usage(conn, self._tally)
        return outcomes

    def _connection(self) -> Conn:
        """The writer's connection, opened again when the server dropped it."""
        if self._conn is None or self._conn.broken or self._conn.closed:
            if self._conn is not None:
                with contextlib.suppress(psycopg.Error):
                    self._conn.close()
            self._conn = None
            self._conn = self._connect()
        return self._conn

    async def _in_thread(self, func: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, func, *args)


def _in_savepoint(conn: Conn, operation: Operation) -> tuple[Any, BaseException | None]:
    if getattr(operation, "pipelined", False):
        return _pipelined(conn, operation)
    return _in_own_savepoint(conn, operation)


def _pipelined(conn: Conn, operation: Operation) -> tuple[Any, BaseException | None]:
    """An error raised here, at the pipeline's end, would have come after the command's
    savepoint: the batch then fails as a whole (nothing of it is committed)."""
    try:
        with conn.pipeline():
            return _in_own_savepoint(conn, operation)
    except Exception as exc:
        if rolled_back(exc):
            raise Retry() from exc
        raise


def _in_own_savepoint(conn: Conn, operation: Operation) -> tuple[Any, BaseException | None]:
    try:
        with conn.transaction():
            return operation(conn), None
    except Exception as exc:
        if rolled_back(exc):
            raise Retry() from exc
        if conn.broken:
            raise
        return None, exc


RETRYABLE = frozenset({"40001", "40P01"})  # serialization failure, deadlock detected


def rolled_back(exc: BaseException) -> bool:
    """PostgreSQL rolled the transaction back for a serialization failure or a deadlock:
    running it again may well succeed. (Not the rest of class 40: after 40003 the commit
    may have happened, and a deferred constraint's 40002 fails the same way again.)"""
    if isinstance(exc, Retry):
        return True
    return isinstance(exc, psycopg.Error) and exc.sqlstate in RETRYABLE


def with_retries(attempt: Callable[[], T], retried: Callable[[], None]) -> T:
    """``attempt()`` (one whole transaction), again while PostgreSQL rolls it back
    (``rolled_back``), ``RETRIES`` times in all, a little longer apart each time; the last
    attempt's error is raised as it is. ``retried`` counts each new attempt."""
    for number in range(RETRIES):
        try:
            return attempt()
        except Exception as exc:
            if not rolled_back(exc) or number == RETRIES - 1:
                raise
            retried()
            time.sleep(0.001 * 2**number)
    raise AssertionError("unreachable")
