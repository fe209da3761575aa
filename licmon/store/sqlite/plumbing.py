"""What the SQLite store's method groups rely on: its clock, its writer and its readers."""

import abc
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from licmon.domain.access import ReadContext

T = TypeVar("T")


class SqlitePlumbing(abc.ABC):
    path: Path
    on_personal_read: Callable[[str], None] | None

    @abc.abstractmethod
    def _now(self) -> int: ...

    @abc.abstractmethod
    async def _write(
        self, operation: Callable[[sqlite3.Connection], T], *, bulk: bool = False
    ) -> T: ...

    @abc.abstractmethod
    async def _read(self, operation: Callable[[sqlite3.Connection], T]) -> T: ...

    async def _gateway(
        self, operation: Callable[[sqlite3.Connection], T], *, bulk: bool = False
    ) -> T:
        """A transaction that names the personal columns: a command of the writer (``bulk``:
        in a batch alone), whose audit entry commits with it."""
        return await self._write(operation, bulk=bulk)

    def _count_read(self, ctx: ReadContext) -> None:
        """Tell the metrics that the gateway served a read for this purpose."""
        if self.on_personal_read is not None:
            self.on_personal_read(ctx.purpose)
