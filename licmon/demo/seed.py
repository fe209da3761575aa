"""The demo's catalog: organizations, products and one license per simulated behaviour."""

import asyncio
import secrets
from dataclasses import dataclass

from licmon.domain import license_keys
from licmon.domain.access import Role
from licmon.domain.models import IpPrecision, LicenseStatus, LicenseTerms
from licmon.domain.passwords import Passwords
from licmon.store.base import Store

ORGS = (
    ("acme", "Acme Ltd"),
    ("globex", "Globex Corp"),
    ("initech", "Initech"),
    ("umbrella", "Umbrella plc"),
)
PRODUCTS = (("viewer", "Viewer"), ("editor", "Editor"))
LEASE_SECONDS = 300
GRACE_SECONDS = 3600


@dataclass(frozen=True)
class DemoLicense:
    role: str
    org: str
    product: str
    seats: int
    max_machines: int
    key: str = ""
    license_id: int = 0


PLAN = (
    DemoLicense("honest", "acme", "viewer", seats=5, max_machines=10),
    DemoLicense("seat overuse", "globex", "viewer", seats=2, max_machines=4),
    DemoLicense("machine sharing", "initech", "editor", seats=40, max_machines=3),
    DemoLicense("revoked key", "umbrella", "viewer", seats=3, max_machines=6),
    DemoLicense("impossible travel", "acme", "editor", seats=1, max_machines=2),
)


async def seed(store: Store, pepper: bytes) -> list[DemoLicense]:
    """Write the demo catalog; returns the licenses with their keys (known only to the demo)."""
    for slug, name in ORGS:
        await store.add_org(slug, name, IpPrecision.NETWORK, 60)
    for code, name in PRODUCTS:
        await store.add_product(code, name)
    licenses = [await _issue(store, pepper, planned) for planned in PLAN]
    for lic in licenses:
        if lic.role == "revoked key":
            await store.set_license_status(lic.license_id, LicenseStatus.REVOKED)
    return licenses


async def _issue(store: Store, pepper: bytes, planned: DemoLicense) -> DemoLicense:
    key = license_keys.generate()
    terms = LicenseTerms(
        seats=planned.seats,
        max_machines=planned.max_machines,
        lease_seconds=LEASE_SECONDS,
        grace_seconds=GRACE_SECONDS,
    )
    created = await store.add_license(
        planned.org, planned.product, terms, license_keys.key_hash(pepper, key)
    )
    return DemoLicense(
        planned.role,
        planned.org,
        planned.product,
        planned.seats,
        planned.max_machines,
        key,
        created.id,
    )


DEMO_STAFF_USER = "demo-admin"
DEMO_STAFF_ROLES = frozenset({Role.ADMIN, Role.DPO})


async def seed_staff(store: Store) -> tuple[str, str]:
    """A personal demo login (admin and dpo) with a fresh random password, printed once."""
    password = secrets.token_urlsafe(12)
    hashed = await asyncio.to_thread(Passwords().hash, password)
    await store.add_user(DEMO_STAFF_USER, hashed, DEMO_STAFF_ROLES, None, actor="demo")
    return DEMO_STAFF_USER, password
