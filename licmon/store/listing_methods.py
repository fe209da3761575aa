"""The paged lists of a store, for every backend: each runs its backend's ``listing_sql``
function (the same names and parameters on both) on the backend's readers."""

from functools import partial
from types import ModuleType
from typing import Any

from licmon.domain.audit import StoredEntry
from licmon.domain.paging import AuditFilter, Listed, PageRequest
from licmon.store.listing_base import ListingStore
from licmon.store.methods_base import BackendMethods


class ListingMethods(BackendMethods, ListingStore):
    listing_sql: ModuleType

    async def license_page(
        self, org: int | None, search: str, status: str, page: PageRequest
    ) -> Listed[dict[str, Any]]:
        rows, total = await self._read(
            partial(
                self.listing_sql.license_page,
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
                self.listing_sql.flag_page,
                org=org,
                status=status,
                kind=kind,
                license_id=license_id,
                page=page,
            )
        )
        return Listed(rows, total, page)

    async def audit_page(self, wanted: AuditFilter, page: PageRequest) -> Listed[StoredEntry]:
        rows, total = await self._read(
            partial(self.listing_sql.audit_page, wanted=wanted, page=page)
        )
        return Listed(rows, total, page)

    async def user_names(self, actors: set[str]) -> dict[str, str]:
        return await self._read(partial(self.listing_sql.user_names, actors=actors))
