"""The paged lists on PostgreSQL."""

from functools import partial
from typing import Any

from licmon.domain.audit import StoredEntry
from licmon.domain.paging import AuditFilter, Listed, PageRequest
from licmon.store.listing_base import ListingStore
from licmon.store.postgres import listing_sql
from licmon.store.postgres.plumbing import PostgresPlumbing


class PostgresListing(ListingStore, PostgresPlumbing):
    async def license_page(
        self, org: int | None, search: str, status: str, page: PageRequest
    ) -> Listed[dict[str, Any]]:
        rows, total = await self._read(
            partial(
                listing_sql.license_page,
                org=org,
                search=search,
                status=status,
                page=page,
                now=self._now(),
            )
        )
        return Listed(rows, total, page)

    async def flag_page(
        self,
        org: int | None,
        status: str | None,
        kind: str | None,
        license_id: int | None,
        page: PageRequest,
    ) -> Listed[dict[str, Any]]:
        rows, total = await self._read(
            partial(
                listing_sql.flag_page,
                org=org,
                status=status,
                kind=kind,
                license_id=license_id,
                page=page,
            )
        )
        return Listed(rows, total, page)

    async def audit_page(self, wanted: AuditFilter, page: PageRequest) -> Listed[StoredEntry]:
        rows, total = await self._read(partial(listing_sql.audit_page, wanted=wanted, page=page))
        return Listed(rows, total, page)

    async def user_names(self, actors: set[str]) -> dict[str, str]:
        return await self._read(partial(listing_sql.user_names, actors=actors))
