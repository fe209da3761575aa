"""Catalog rows to domain objects and back, the same on every backend (no SQL here)."""

import json
from collections.abc import Mapping
from typing import Any

from licmon.domain.models import IpPrecision, License, LicenseStatus, LicenseTerms, Org
from licmon.domain.node_locks import TERM_RANGES

MODEL_TERMS = tuple(TERM_RANGES)  # the license models' whole-number terms, stored as they are


def org_from_row(row: Mapping[str, Any], prefix: str = "") -> Org:
    return Org(
        id=row[prefix + "id"],
        slug=row[prefix + "slug"],
        name=row[prefix + "name"],
        ip_precision=IpPrecision(row[prefix + "ip_precision"]),
        retention_days=row[prefix + "retention_days"],
    )


def terms_row(terms: LicenseTerms) -> dict[str, Any]:
    return {
        "seats": terms.seats,
        "max_machines": terms.max_machines,
        "valid_from": terms.valid_from,
        "valid_until": terms.valid_until,
        "allowed_countries": ",".join(sorted(terms.allowed_countries)),
        "lease_seconds": terms.lease_seconds,
        "grace_seconds": terms.grace_seconds,
        "entitlements": json.dumps(list(terms.entitlements)),
        "max_borrow_days": terms.max_borrow_days,
        "max_offline_days": terms.max_offline_days,
        "locked_machines": json.dumps(sorted(terms.locked_machines)),
        **{name: getattr(terms, name) for name in MODEL_TERMS},
        "refuse_cloned": int(terms.refuse_cloned),
    }


def license_from_row(row: Mapping[str, Any]) -> License:
    countries = row["allowed_countries"]
    terms = LicenseTerms(
        seats=row["seats"],
        max_machines=row["max_machines"],
        valid_from=row["valid_from"],
        valid_until=row["valid_until"],
        allowed_countries=frozenset(countries.split(",")) if countries else frozenset(),
        lease_seconds=row["lease_seconds"],
        grace_seconds=row["grace_seconds"],
        entitlements=tuple(json.loads(row["entitlements"])),
        max_borrow_days=row["max_borrow_days"],
        max_offline_days=row["max_offline_days"],
        locked_machines=frozenset(json.loads(row["locked_machines"])),
        **{name: row[name] for name in MODEL_TERMS},
        refuse_cloned=bool(row["refuse_cloned"]),
    )
    return License(
        id=row["id"],
        org=org_from_row(row, "o_"),
        product=row["product_code"],
        terms=terms,
        status=LicenseStatus(row["status"]),
        created_at=row["created_at"],
    )
