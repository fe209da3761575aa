"""The store's paged lists (see ``listing_sql``): one page and the total."""

import abc
from typing import Any

from licmon.domain.audit import StoredEntry
from licmon.domain.paging import AuditFilter, Listed, PageRequest


class ListingStore(abc.ABC):
    @abc.abstractmethod
    async def license_page(
        self, org: int | None, search: str, status: str, page: PageRequest
    ) -> Listed[dict[str, Any]]:
        """Licenses by id; ``search``: a license id, part of an organization's slug or
        name, or the start of a machine fingerprint."""

    @abc.abstractmethod
    async def flag_page(
        self,
        org: int | None,
        status: str | None,
        kind: str | None,
        license_id: int | None,
        page: PageRequest,
    ) -> Listed[dict[str, Any]]:
        """Flags, the latest seen first (without evidence)."""

    @abc.abstractmethod
    async def audit_page(self, wanted: AuditFilter, page: PageRequest) -> Listed[StoredEntry]:
        """Audit entries, the newest first."""

    @abc.abstractmethod
    async def user_names(self, actors: set[str]) -> dict[str, str]:
        """``user:<id>`` -> user name, for the actors given."""
