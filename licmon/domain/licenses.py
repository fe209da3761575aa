"""License lifecycle rules."""

from licmon.domain.models import License, LicenseStatus
from licmon.errors import Conflict


def check_status_change(lic: License, new: LicenseStatus) -> None:
    """Revocation is final; everything else may move between active and suspended."""
    if lic.status is LicenseStatus.REVOKED and new is not LicenseStatus.REVOKED:
        raise Conflict(f"License {lic.id} is revoked; revocation is final.")
