"""PostgresStore's admin-API methods."""

from functools import partial
from typing import Any

from licmon.domain.idempotency import Claim, StoredAnswer
from licmon.domain.models import License, LicenseTerms
from licmon.store.admin_base import AdminStore, FlagQuery, LicenseQuery, MachineRow
from licmon.store.postgres import admin_sql
from licmon.store.postgres.plumbing import PostgresPlumbing
from licmon.store.postgres.writer import SeatCommand


class PostgresAdmin(AdminStore, PostgresPlumbing):
    async def claim_idempotency(self, claim: Claim, forget_before: int) -> StoredAnswer | None:
        return await self._write(partial(admin_sql.claim, claim=claim, forget_before=forget_before))

    async def finish_idempotency(self, claim: Claim, status: int, sealed: bytes) -> None:
        await self._write(partial(admin_sql.finish, claim=claim, status=status, sealed=sealed))

    async def drop_idempotency(self, claim: Claim) -> None:
        await self._write(partial(admin_sql.drop, claim=claim))

    async def update_license_terms(
        self, license_id: int, terms: LicenseTerms, *, actor: str
    ) -> License:
        op = partial(
            admin_sql.update_terms, license_id=license_id, terms=terms, now=self._now(), actor=actor
        )
        return await self._write(op)

    async def license_cursor(
        self, query: LicenseQuery, after: int | None, limit: int
    ) -> list[License]:
        return await self._read(
            partial(admin_sql.licenses_after, query=query, after=after, limit=limit)
        )

    async def license_machines(
        self, license_id: int, after: int | None, limit: int
    ) -> list[MachineRow]:
        op = partial(
            admin_sql.machines, license_id=license_id, after=after, limit=limit, now=self._now()
        )
        return await self._read(op)

    async def deactivate_machine(
        self, license_id: int, machine_id: int, *, actor: str, reason: str
    ) -> MachineRow:
        op = partial(
            admin_sql.deactivate,
            license_id=license_id,
            machine_id=machine_id,
            now=self._now(),
            actor=actor,
            reason=reason,
        )
        return await self._write(SeatCommand(op, (license_id,)))  # the seat counter is locked first

    async def flag_cursor(
        self, query: FlagQuery, after: int | None, limit: int
    ) -> list[dict[str, Any]]:
        return await self._read(
            partial(admin_sql.flags_after, query=query, after=after, limit=limit)
        )
