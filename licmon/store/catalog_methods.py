"""The catalog methods of a store, for every backend: organizations, products, licenses and
the snapshot the key index is built from. Each call runs its backend's ``catalog`` module's
function (the same names and parameters on both) through the backend's writer or readers."""

from functools import partial
from types import ModuleType

from licmon.domain.audit import SYSTEM_ACTOR
from licmon.domain.models import IpPrecision, License, LicenseStatus, LicenseTerms, Org, Product
from licmon.store.base import CatalogSnapshot
from licmon.store.methods_base import BackendMethods


class CatalogMethods(BackendMethods):
    catalog: ModuleType

    async def load_catalog(self) -> CatalogSnapshot:
        version, licenses = await self._read(self.catalog.load_catalog)
        return CatalogSnapshot(version, licenses)

    async def catalog_version(self) -> int:
        return await self._read(self.catalog.catalog_version)

    async def add_org(
        self,
        slug: str,
        name: str,
        precision: IpPrecision,
        retention_days: int,
        *,
        actor: str = SYSTEM_ACTOR,
    ) -> Org:
        return await self._write(
            partial(
                self.catalog.insert_org,
                slug=slug,
                name=name,
                precision=precision,
                retention=retention_days,
                actor=actor,
                now=self._now(),
            )
        )

    async def list_orgs(self) -> list[Org]:
        return await self._read(self.catalog.list_orgs)

    async def add_product(self, code: str, name: str, *, actor: str = SYSTEM_ACTOR) -> Product:
        return await self._write(
            partial(self.catalog.insert_product, code=code, name=name, now=self._now(), actor=actor)
        )

    async def list_products(self) -> list[Product]:
        return await self._read(self.catalog.list_products)

    async def add_license(
        self,
        org: str,
        product: str,
        terms: LicenseTerms,
        key_hash: bytes,
        *,
        actor: str = SYSTEM_ACTOR,
    ) -> License:
        return await self._write(
            partial(
                self.catalog.insert_license,
                org=org,
                product=product,
                terms=terms,
                key=key_hash,
                actor=actor,
                now=self._now(),
            )
        )

    async def get_license(self, license_id: int) -> License:
        return await self._read(partial(self.catalog.license_by_id, license_id=license_id))

    async def list_licenses(self, org: str | None = None) -> list[License]:
        return await self._read(partial(self.catalog.list_licenses, org=org))

    async def set_license_status(
        self,
        license_id: int,
        status: LicenseStatus,
        *,
        actor: str = SYSTEM_ACTOR,
        reason: str = "",
    ) -> License:
        return await self._write(
            partial(
                self.catalog.set_license_status,
                license_id=license_id,
                status=status,
                now=self._now(),
                actor=actor,
                reason=reason,
            )
        )
