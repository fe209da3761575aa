"""License lifecycle rules."""

from licmon.domain.models import License, LicenseStatus, LicenseTerms
from licmon.domain.node_locks import check_model_terms
from licmon.errors import BadRequest, Conflict
from licmon.timetext import iso


def check_status_change(lic: License, new: LicenseStatus) -> None:
    """Revocation is final; everything else may move between active and suspended."""
    if lic.status is LicenseStatus.REVOKED and new is not LicenseStatus.REVOKED:
        raise Conflict(f"License {lic.id} is revoked; revocation is final.")


def check_terms(terms: LicenseTerms) -> None:
    """A validity that ends before it starts would refuse every check-in forever."""
    start, end = terms.valid_from, terms.valid_until
    if start is not None and end is not None and start >= end:
        raise BadRequest(f"A license's validity starts ({iso(start)}) after it ends ({iso(end)}).")
    check_model_terms(terms)


def check_hold_expiry(expires_at: int | None, now: int) -> None:
    """A hold that has already expired would protect nothing and vanish at once."""
    if expires_at is not None and expires_at <= now:
        raise BadRequest(f"A legal hold cannot expire in the past ({iso(expires_at)}).")
