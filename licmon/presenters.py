"""Domain objects as plain dicts, for JSON output (CLI --json, APIs)."""

from typing import Any

from licmon.domain.models import License, Org, Product
from licmon.store.base import LicenseUsage
from licmon.timetext import iso_or_none


def org_view(org: Org) -> dict[str, Any]:
    return {
        "id": org.id,
        "slug": org.slug,
        "name": org.name,
        "ip_precision": org.ip_precision.value,
        "retention_days": org.retention_days,
    }


def product_view(product: Product) -> dict[str, Any]:
    return {"id": product.id, "code": product.code, "name": product.name}


def license_view(lic: License, usage: LicenseUsage | None = None) -> dict[str, Any]:
    terms = lic.terms
    view: dict[str, Any] = {
        "id": lic.id,
        "org": lic.org.slug,
        "product": lic.product,
        "status": lic.status.value,
        "seats": terms.seats,
        "max_machines": terms.max_machines,
        "valid_from": iso_or_none(terms.valid_from),
        "valid_until": iso_or_none(terms.valid_until),
        "allowed_countries": sorted(terms.allowed_countries),
        "lease_seconds": terms.lease_seconds,
        "grace_seconds": terms.grace_seconds,
        "entitlements": list(terms.entitlements),
        "max_borrow_days": terms.max_borrow_days,
        "max_offline_days": terms.max_offline_days,
        "locked_machines": sorted(terms.locked_machines),
        "activation_limit": terms.activation_limit,
        "lock_moves": terms.lock_moves,
        "lock_move_days": terms.lock_move_days,
        "overage_percent": terms.overage_percent,
        "max_processes": terms.max_processes,
        "refuse_cloned": terms.refuse_cloned,
        "created_at": iso_or_none(lic.created_at),
    }
    if usage is not None:
        view["seats_in_use"] = usage.seats_in_use
        view["seats_borrowed"] = usage.borrowed
        view["seats_offline"] = usage.offline
        view["machines_seen"] = usage.machines
        view["machines_activated"] = usage.activated
    return view
