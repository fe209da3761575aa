"""What the PostgreSQL store's method groups rely on: its clock, its writer, its readers and
the purpose gateway.

Every ``op`` is a plain (sync) function of a psycopg connection, run on a thread, never on
the event loop. Rows come back as tuples (psycopg's default row factory); where names read
better, ``licmon.store.postgres.rowdicts.dicts(conn, sql, params)`` runs the statement on a
``dict_row`` cursor. Parameters are psycopg's ``%s`` / ``%(name)s`` placeholders.

- ``_write(op)``: inside the group-commit writer's transaction, in a savepoint of its own, as
  licmon's normal role (no SELECT on personal columns); the caller resumes after COMMIT.
  ``bulk`` commits in a batch alone (retention, erasures).
- ``_read(op)``: one read-only transaction as the normal role.
- ``_gateway(op)``: one read-write transaction as the gateway role, which may SELECT the
  personal columns; the op writes its own audit entry in that same transaction (``bulk``
  says nothing more here: it is a transaction of its own anyway).
"""

import abc
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg

from licmon.domain.access import ReadContext

T = TypeVar("T")


class PostgresPlumbing(abc.ABC):
    on_personal_read: Callable[[str], None] | None

    @abc.abstractmethod
    def _now(self) -> int: ...

    @abc.abstractmethod
    async def _write(
        self, op: Callable[[psycopg.Connection[Any]], T], *, bulk: bool = False
    ) -> T: ...

    @abc.abstractmethod
    async def _read(self, op: Callable[[psycopg.Connection[Any]], T]) -> T: ...

    @abc.abstractmethod
    async def _gateway(
        self, op: Callable[[psycopg.Connection[Any]], T], *, bulk: bool = False
    ) -> T: ...

    def _count_read(self, ctx: ReadContext) -> None:
        """Tell the metrics that the gateway served a read for this purpose."""
        if self.on_personal_read is not None:
            self.on_personal_read(ctx.purpose)
