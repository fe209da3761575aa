"""The admin-API methods of a store, for every backend: each call runs its backend's SQL
function (``admin_sql``, the backend's ``admin_sql`` module, whose functions have the same
names and parameters) through the backend's writer or readers."""

from collections.abc import Callable
from functools import partial
from types import ModuleType
from typing import Any, TypeVar

from licmon.domain.audit import SYSTEM_ACTOR
from licmon.domain.idempotency import Claim, StoredAnswer
from licmon.domain.models import License, LicenseTerms
from licmon.store import lock_moves
from licmon.store.admin_base import AdminStore, FlagQuery, LicenseQuery, MachineRow
from licmon.store.methods_base import BackendMethods

T = TypeVar("T")


class AdminMethods(BackendMethods, AdminStore):
    admin_sql: ModuleType
    node_locks: ModuleType  # the backend's SQL of activations and lock moves

    async def _write_seats(self, operation: Callable[[Any], T], license_id: int) -> T:
        """A write that changes the license's seats (PostgreSQL locks its counter first)."""
        return await self._write(operation)

    async def claim_idempotency(self, claim: Claim, forget_before: int) -> StoredAnswer | None:
        op = partial(self.admin_sql.claim, claim=claim, forget_before=forget_before)
        return await self._write(op)

    async def finish_idempotency(self, claim: Claim, status: int, sealed: bytes) -> None:
        await self._write(partial(self.admin_sql.finish, claim=claim, status=status, sealed=sealed))

    async def drop_idempotency(self, claim: Claim) -> None:
        await self._write(partial(self.admin_sql.drop, claim=claim))

    async def update_license_terms(
        self, license_id: int, terms: LicenseTerms, *, actor: str
    ) -> License:
        op = partial(
            self.admin_sql.update_terms,
            license_id=license_id,
            terms=terms,
            now=self._now(),
            actor=actor,
        )
        return await self._write(op)

    async def license_cursor(
        self, query: LicenseQuery, after: int | None, limit: int
    ) -> list[License]:
        op = partial(self.admin_sql.licenses_after, query=query, after=after, limit=limit)
        return await self._read(op)

    async def license_machines(
        self, license_id: int, after: int | None, limit: int
    ) -> list[MachineRow]:
        op = partial(
            self.admin_sql.machines,
            license_id=license_id,
            after=after,
            limit=limit,
            now=self._now(),
        )
        return await self._read(op)

    async def deactivate_machine(
        self, license_id: int, machine_id: int, *, actor: str, reason: str
    ) -> MachineRow:
        op = partial(
            self.admin_sql.deactivate,
            license_id=license_id,
            machine_id=machine_id,
            now=self._now(),
            actor=actor,
            reason=reason,
        )
        return await self._write_seats(op, license_id)

    async def move_node_lock(
        self, license_id: int, machine: str, to: str | None = None, *, actor: str = SYSTEM_ACTOR
    ) -> License:
        op = partial(
            lock_moves.move,
            self.node_locks,
            license_id=license_id,
            machine=machine,
            to=to,
            now=self._now(),
            actor=actor,
        )
        return await self._write_seats(op, license_id)

    async def flag_cursor(
        self, query: FlagQuery, after: int | None, limit: int
    ) -> list[dict[str, Any]]:
        op = partial(self.admin_sql.flags_after, query=query, after=after, limit=limit)
        return await self._read(op)
