"""The Store interface: what the rest of licmon asks of storage, in the domain's words."""

import abc
from dataclasses import dataclass

from licmon.domain.models import (
    CheckinCommand,
    IpPrecision,
    License,
    LicenseStatus,
    LicenseTerms,
    Org,
    Product,
    SeatResult,
)


@dataclass(frozen=True, slots=True)
class CatalogSnapshot:
    version: int
    licenses: list[tuple[bytes, License]]


@dataclass(frozen=True, slots=True)
class LicenseUsage:
    seats_in_use: int
    machines: int


@dataclass(frozen=True, slots=True)
class WriterHealth:
    alive: bool
    queue_depth: int


class Store(abc.ABC):
    """Every method is a coroutine and never blocks the event loop."""

    @abc.abstractmethod
    async def open(self) -> None: ...

    @abc.abstractmethod
    async def close(self) -> None:
        """Stop accepting writes, commit every queued one, release resources."""

    # -- the hot path
    @abc.abstractmethod
    async def checkin(self, cmd: CheckinCommand) -> SeatResult:
        """Apply one check-in (seat and connection log) and return once it is committed."""

    @abc.abstractmethod
    async def release(self, license_id: int, machine: str) -> bool: ...

    @abc.abstractmethod
    async def load_catalog(self) -> CatalogSnapshot: ...

    @abc.abstractmethod
    async def catalog_version(self) -> int: ...

    # -- health
    @abc.abstractmethod
    async def check_writable(self) -> None:
        """Raise when a write cannot be committed right now."""

    @abc.abstractmethod
    def writer_health(self) -> WriterHealth: ...

    # -- administration
    @abc.abstractmethod
    async def add_org(
        self, slug: str, name: str, precision: IpPrecision, retention_days: int
    ) -> Org: ...

    @abc.abstractmethod
    async def list_orgs(self) -> list[Org]: ...

    @abc.abstractmethod
    async def add_product(self, code: str, name: str) -> Product: ...

    @abc.abstractmethod
    async def list_products(self) -> list[Product]: ...

    @abc.abstractmethod
    async def add_license(
        self, org: str, product: str, terms: LicenseTerms, key_hash: bytes
    ) -> License: ...

    @abc.abstractmethod
    async def get_license(self, license_id: int) -> License: ...

    @abc.abstractmethod
    async def list_licenses(self, org: str | None = None) -> list[License]: ...

    @abc.abstractmethod
    async def set_license_status(self, license_id: int, status: LicenseStatus) -> License: ...

    @abc.abstractmethod
    async def license_usage(self, license_id: int) -> LicenseUsage: ...
