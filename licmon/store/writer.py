"""Group commit, whatever the database: commands queue up, a batch of them commits in one
transaction, and each caller hears its result only after that commit.

A backend's writer subclasses ``GroupCommit`` and says how one batch commits (``_commit``):
each command in a savepoint of its own, so that a failing command is rolled back alone and
its caller gets the exception, and ``settle`` the futures once the transaction has ended.
"""

import abc
import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")
Operation = Callable[[Any], Any]
Pending = tuple[Operation, "asyncio.Future[Any]", bool]
Settled = tuple["asyncio.Future[Any]", Any, BaseException | None]  # future, result, error


@dataclass(slots=True)
class BatchStats:
    batches: int = 0
    commands: int = 0
    observe: Callable[[int, float], None] | None = None

    def record(self, size: int, seconds: float) -> None:
        self.batches += 1
        self.commands += size
        if self.observe is not None:
            self.observe(size, seconds)


class WriterClosed(RuntimeError):
    """The writer no longer accepts commands (shutting down)."""


class GroupCommit(abc.ABC):
    def __init__(self, batch_max: int) -> None:
        self._batch_max = batch_max
        self._pending: list[Pending] = []
        self._drainer: asyncio.Task[None] | None = None
        self._accepting = False
        self.stats = BatchStats()

    def submit(self, operation: Callable[[Any], T], *, bulk: bool = False) -> "asyncio.Future[T]":
        """Queue a command; a ``bulk`` one (retention, exports) commits in a batch alone."""
        if not self._accepting:
            raise WriterClosed("the store is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._pending.append((operation, future, bulk))
        if self._drainer is None:
            self._drainer = loop.create_task(self._drain())
        return future

    @property
    def depth(self) -> int:
        return len(self._pending)

    async def _finish(self) -> None:
        """Stop accepting and wait until everything already submitted has committed."""
        self._accepting = False
        if self._drainer is not None:
            await self._drainer

    async def _drain(self) -> None:
        try:
            while self._pending:
                size = self._next_batch_size()
                batch = self._pending[:size]
                del self._pending[:size]
                await self._commit(batch)
        finally:
            self._drainer = None

    def _next_batch_size(self) -> int:
        """A bulk command commits alone, so that short commands never wait behind it."""
        for size, (_, _, bulk) in enumerate(self._pending[: self._batch_max]):
            if bulk:
                return size or 1
        return min(len(self._pending), self._batch_max)

    @abc.abstractmethod
    async def _commit(self, batch: list[Pending]) -> None:
        """Run the batch in one transaction and settle every future in it."""


def settle(results: list[Settled]) -> None:
    for future, result, error in results:
        if future.done():
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)
