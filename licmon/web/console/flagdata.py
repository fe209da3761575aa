"""Flag counts for the dashboard, in the user's organization scope."""

from licmon.domain.staff import Permission, StaffUser
from licmon.store.base import Store


async def open_flags_by_kind(store: Store, user: StaffUser) -> list[tuple[str, int, int]] | None:
    """(kind, open flags, all open flags) per kind; None: this user does not see flags."""
    if not user.may(Permission.FLAGS):
        return None
    counts = await store.open_flags_by_kind(user.org_id)
    total = sum(n for _, n in counts)
    return [(kind, n, total) for kind, n in counts]
