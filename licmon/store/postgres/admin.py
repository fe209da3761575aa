"""PostgresStore's admin-API methods: the shared ones over PostgreSQL's ``admin_sql``."""

from collections.abc import Callable
from typing import Any, TypeVar

from licmon.store.admin_methods import AdminMethods
from licmon.store.postgres import admin_sql, node_locks
from licmon.store.postgres.plumbing import PostgresPlumbing
from licmon.store.postgres.writer import SeatCommand

T = TypeVar("T")


class PostgresAdmin(AdminMethods, PostgresPlumbing):
    admin_sql = admin_sql
    node_locks = node_locks

    async def _write_seats(self, operation: Callable[[Any], T], license_id: int) -> T:
        """The batch locks the license's seat counter row first (as a check-in's does)."""
        result: T = await self._write(SeatCommand(operation, (license_id,)))
        return result
