"""SqliteStore's admin-API methods."""

from functools import partial
from typing import Any

from licmon.domain.idempotency import Claim, StoredAnswer
from licmon.domain.models import License, LicenseTerms
from licmon.store.admin_base import AdminStore, FlagQuery, LicenseQuery, MachineRow
from licmon.store.sqlite import admin_sql
from licmon.store.sqlite.plumbing import SqlitePlumbing


class SqliteAdmin(AdminStore, SqlitePlumbing):
    async def claim_idempotency(self, claim: Claim, forget_before: int) -> StoredAnswer | None:
        return await self._write(partial(admin_sql.claim, claim=claim, forget_before=forget_before))

    async def finish_idempotency(self, claim: Claim, status: int, sealed: bytes) -> None:
        await self._write(partial(admin_sql.finish, claim=claim, status=status, sealed=sealed))

    async def drop_idempotency(self, claim: Claim) -> None:
        await self._write(partial(admin_sql.drop, claim=claim))

    async def update_license_terms(
        self, license_id: int, terms: LicenseTerms, *, actor: str
    ) -> License:
        return await self._write(
            partial(
                admin_sql.update_terms,
                license_id=license_id,
                terms=terms,
                now=self._now(),
                actor=actor,
            )
        )

    async def license_cursor(
        self, query: LicenseQuery, after: int | None, limit: int
    ) -> list[License]:
        return await self._read(
            partial(admin_sql.licenses_after, query=query, after=after, limit=limit)
        )

    async def license_machines(
        self, license_id: int, after: int | None, limit: int
    ) -> list[MachineRow]:
        return await self._read(
            partial(
                admin_sql.machines,
                license_id=license_id,
                after=after,
                limit=limit,
                now=self._now(),
            )
        )

    async def deactivate_machine(
        self, license_id: int, machine_id: int, *, actor: str, reason: str
    ) -> MachineRow:
        return await self._write(
            partial(
                admin_sql.deactivate,
                license_id=license_id,
                machine_id=machine_id,
                now=self._now(),
                actor=actor,
                reason=reason,
            )
        )

    async def flag_cursor(
        self, query: FlagQuery, after: int | None, limit: int
    ) -> list[dict[str, Any]]:
        return await self._read(
            partial(admin_sql.flags_after, query=query, after=after, limit=limit)
        )
