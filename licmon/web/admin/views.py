"""What the admin API shows: ids and facts, never a key hash, an address or a token."""

from typing import Any

from licmon.domain.cursors import CursorPage
from licmon.domain.models import License
from licmon.domain.staff import StaffUser
from licmon.domain.terms import terms_view
from licmon.store.admin_base import MachineRow
from licmon.store.base import LicenseUsage
from licmon.timetext import iso_or_none


def license_view(lic: License, usage: LicenseUsage | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": lic.id,
        "org": lic.org.slug,
        "product": lic.product,
        "status": lic.status.value,
        "created_at": iso_or_none(lic.created_at),
        **terms_view(lic.terms),
    }
    if usage is not None:
        view["usage"] = {
            "seats_in_use": usage.seats_in_use,
            "seats_borrowed": usage.borrowed,
            "seats_offline": usage.offline,
            "machines": usage.machines,
        }
    return view


def machine_view(machine: MachineRow) -> dict[str, Any]:
    return {
        "id": machine.id,
        "license": machine.license_id,
        "fingerprint": machine.fingerprint,
        "first_seen": iso_or_none(machine.first_seen),
        "last_seen": iso_or_none(machine.last_seen),
        "seat": machine.seat.value if machine.seat else None,
        "seat_expires": iso_or_none(machine.seat_expires),
    }


FLAG_FIELDS = ("id", "kind", "severity", "status", "count")


def flag_view(flag: dict[str, Any], viewer: StaffUser) -> dict[str, Any]:
    """Without evidence or source network."""
    view = {name: flag[name] for name in FLAG_FIELDS}
    view["license"] = flag["license_id"]
    view["first_seen"] = iso_or_none(flag["first_seen"])
    view["last_seen"] = iso_or_none(flag["last_seen"])
    view["decided_at"] = iso_or_none(flag["decided_at"])
    view["decision_reason"] = flag["decision_reason"]
    if viewer.org_id is None:  # a customer learns that a flag was decided, not by whom
        view["decided_by"] = flag["decided_by"]
    return view


def page_view(page: CursorPage[Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"items": items, "next_cursor": page.next_cursor}
